using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;
using Emulator.Persistence;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ContractTests.Faults;

/// <summary>
/// The transport <c>delay</c> fault (docs/faults.md): its rule is used when the delayed answer is given, by the call's
/// write as any call's rule; while the call waits, its use is held for it, so a retry sent meanwhile is not held too.
/// The wait is on a clock the test moves.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class TransportDelayTests
{
    private static readonly DateTimeOffset Start = new(2027, 1, 10, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(17);

    /// <summary>An emulator of its own on a clock the test moves, and a merchant whose next create meets a delay rule of one use.</summary>
    private sealed class DelayedCreate : IAsyncDisposable
    {
        private readonly EmulatorFactory emulator;

        private DelayedCreate(EmulatorFactory emulator, ParkingTime time, WebApplicationFactory<Program> host, MerchantHarness merchant) =>
            (this.emulator, Time, Host, Merchant) = (emulator, time, host, merchant);

        public ParkingTime Time { get; }

        public WebApplicationFactory<Program> Host { get; }

        public MerchantHarness Merchant { get; }

        public static async Task<DelayedCreate> StartAsync()
        {
            var time = new ParkingTime(EmulatorFactory.Start, Delay);
            var emulator = new EmulatorFactory();
            var host = emulator.WithWebHostBuilder(b => b.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(time)));
            var m = await MerchantHarness.StartAsync(host.CreateClient(), Start);
            (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "create", transport = "delay", delay = "PT17S", times = 1 })).StatusCode.Should().Be(HttpStatusCode.Created);
            return new DelayedCreate(emulator, time, host, m);
        }

        public async ValueTask DisposeAsync()
        {
            await Merchant.DisposeAsync();
            await Host.DisposeAsync();
            await emulator.DisposeAsync();
        }
    }

    private static async Task<JsonObject> RuleAsync(MerchantHarness m) =>
        (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/faults"))!.Single()!.AsObject();

    /// <summary>
    /// Found by a review: the rule was used before the wait, so a call held when its process died (or whose write then
    /// failed) had spent it. Now the held call has not used it while it waits; a retry sent meanwhile passes at once.
    /// </summary>
    [Fact]
    public async Task Delay_IsUsedWhenTheDelayedAnswerIsGiven_AndARetrySentMeanwhileIsNotHeld()
    {
        await using var delayed = await DelayedCreate.StartAsync();
        var (time, host, m) = (delayed.Time, delayed.Host, delayed.Merchant);
        var body = MerchantHarness.Body(Start);

        var held = m.Client.CallAsync(m.Merchant, "create", body);
        await time.ParkedAsync(1);
        var whileHeld = await RuleAsync(m);
        var retry = await m.Client.CallAsync(m.Merchant, "create", body).WaitAsync(TimeSpan.FromSeconds(30));
        var parkedByTheRetry = time.Parked - 1;
        time.Advance(Delay);
        var first = await held.WaitAsync(TimeSpan.FromSeconds(30));
        var afterwards = await RuleAsync(m);
        var subscriptions = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions"))!;

        ((int)whileHeld["remaining"]!).Should().Be(1, "the held call has not been answered: it has not used the rule");
        parkedByTheRetry.Should().Be(0, "the rule's one use is held for the first call: the retry is not delayed too");
        retry.ResultCode.Should().Be("SUCCESS", retry.ResultMessage);
        first.ResultCode.Should().Be("SUCCESS", first.ResultMessage);
        first.Text.Should().Be(retry.Text, "the same request gets the answer its twin stored");
        ((int)afterwards["remaining"]!).Should().Be(0, "used when its delayed answer was given");
        subscriptions.Should().ContainSingle();
    }

    /// <summary>
    /// A client that gives up during the wait has had the fault (no answer in time), and no answer can be given: the
    /// rule is used then, so its retry is not delayed again (with a delay longer than the client's time limit, no
    /// retry would ever be answered). The call itself takes no effect.
    /// </summary>
    [Fact]
    public async Task Delay_WhoseClientGivesUpDuringTheWait_IsUsedThen_TheRetryIsNotDelayed()
    {
        await using var delayed = await DelayedCreate.StartAsync();
        var (time, host, m) = (delayed.Time, delayed.Host, delayed.Merchant);
        var body = MerchantHarness.Body(Start);
        using var patience = new CancellationTokenSource();

        var givenUp = m.Client.CallAsync(m.Merchant, "create", body, cancellationToken: patience.Token);
        await time.ParkedAsync(1);
        var subscriptionsWhileHeld = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions"))!;
        await patience.CancelAsync();
        var gaveUp = async () => await givenUp;
        await gaveUp.Should().ThrowAsync<OperationCanceledException>();
        var used = await UsedUpAsync(m);
        var retry = await m.Client.CallAsync(m.Merchant, "create", body).WaitAsync(TimeSpan.FromSeconds(30));

        subscriptionsWhileHeld.Should().BeEmpty("the held call has done nothing yet");
        used.Should().BeTrue("the client gave up during the wait: it has had the fault");
        retry.ResultCode.Should().Be("SUCCESS", retry.ResultMessage);
        time.Parked.Should().Be(1, "the retry was not delayed");
        (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions")).Should().ContainSingle("the retry made the subscription, the call given up nothing");
    }

    /// <summary>Polls until the merchant's one rule is used up (the call given up ends on the server after the client left).</summary>
    private static async Task<bool> UsedUpAsync(MerchantHarness m)
    {
        var watch = global::System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            if ((int)(await RuleAsync(m))["remaining"]! == 0)
            {
                return true;
            }

            await Task.Delay(10);
        }

        return false;
    }

    /// <summary>As for any call's rule: a held call whose write then fails (answered UNKNOWN_EXCEPTION) has not used it, and the retry is delayed.</summary>
    [Fact]
    public async Task Delay_WhenTheCallsWriteFailsAfterTheWait_IsNotUsed_TheRetryIsDelayedToo()
    {
        await using var delayed = await DelayedCreate.StartAsync();
        var (time, host, m) = (delayed.Time, delayed.Host, delayed.Merchant);
        var body = MerchantHarness.Body(Start);

        AntomReply failed;
        await using (await RefusedWrites.OfAsync(host.Services.GetRequiredService<Database>(), m.Merchant.ClientId))
        {
            var call = m.Client.CallAsync(m.Merchant, "create", body);
            await time.ParkedAsync(1);
            time.Advance(Delay);
            failed = await call.WaitAsync(TimeSpan.FromSeconds(30));
        }

        var afterFailure = await RuleAsync(m);
        var retried = m.Client.CallAsync(m.Merchant, "create", body);
        await time.ParkedAsync(2);
        time.Advance(Delay);
        var retry = await retried.WaitAsync(TimeSpan.FromSeconds(30));
        var afterRetry = await RuleAsync(m);

        failed.ResultCode.Should().Be("UNKNOWN_EXCEPTION", failed.ResultMessage);
        ((int)afterFailure["remaining"]!).Should().Be(1, "the call whose outcome was not stored did not use the rule");
        retry.ResultCode.Should().Be("SUCCESS", retry.ResultMessage);
        time.Parked.Should().Be(2, "the retry met the rule and was delayed");
        ((int)afterRetry["remaining"]!).Should().Be(0);
    }
}
