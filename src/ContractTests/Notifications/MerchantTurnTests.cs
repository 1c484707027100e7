using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;
using Emulator.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Emulator.Persistence;

namespace ContractTests.Notifications;

/// <summary>
/// On PostgreSQL an instance runs a bounded number of merchants at once (its merchant turns: a third of Max Pool Size,
/// two here). With both held by slow webhook endpoints, due work still runs once a turn is free, and a caller (an
/// advance) is served before the background loop's waiting runs. (On SQLite there is no bound: the first test passes
/// there too, the others are PostgreSQL's.)
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class MerchantTurnTests(EmulatorFactory factory)
{
    [Fact]
    public async Task BackgroundLoop_MerchantWaitingForATurn_RunsOnceOneIsFree()
    {
        // Skipped for want of a turn, its due work would wait for a next tick that, on a clock only the test moves,
        // never comes.
        await using var instance = await TwoTurnInstance.StartAsync(factory);
        await using var receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey);
        await instance.CreateExpiringAsync(await TestMerchant.CreateAsync(instance.Http, receiver));
        factory.Time.Advance(TimeSpan.FromMinutes(2));
        await instance.UntilTurnsAwaitedAsync(1); // the tick found no turn free
        var metrics = await instance.Http.GetStringAsync("/metrics");

        instance.ReleaseSlow(0);
        instance.ReleaseSlow(1);

        var notice = await receiver.WaitForAsync(r => !r.IsPayment, TimeSpan.FromSeconds(30));
        ((string)notice.Json["subscriptionStatus"]!).Should().Be("TERMINATED");
        metrics.Should().MatchRegex(EmulatorFactory.OnPostgres ? "(?m)^emulator_merchant_turns_awaited 1$" : "(?m)^emulator_merchant_turns_awaited 0$", "operators see merchants waiting for a turn");
    }

    [SkippableFact]
    public async Task AdvanceWaitingForATurn_GoesBeforeTheBackgroundLoopsWaitingRuns()
    {
        // Every merchant with due work has a background run queued for a turn: an advance asked for meanwhile must get
        // the next free turn, not wait behind all of them.
        Skip.IfNot(EmulatorFactory.OnPostgres, "an instance's merchant turns are bounded on PostgreSQL only");
        await using var instance = await TwoTurnInstance.StartAsync(factory);
        var asking = await TestMerchant.CreateAsync(instance.Http);
        var (_, before, askingClockAtDelivery) = await instance.QueueABackgroundRunAsync(watching: asking);

        var advance = instance.AdvanceAsync(asking);
        await instance.UntilTurnsAwaitedAsync(2); // and the advance after it
        instance.ReleaseSlow(0);
        await advance.WaitAsync(TimeSpan.FromSeconds(30));

        (await askingClockAtDelivery.WaitAsync(TimeSpan.FromSeconds(30))).Should().BeOnOrAfter(before.AddMinutes(1), "the advance had its turn before the background run");
    }

    [SkippableFact]
    public async Task BackgroundRunOfAMerchantWhoseAdvanceWaits_GoesBeforeLaterCallersOfOtherMerchants()
    {
        // The merchant's queued background run holds its gate, which its advance waits for: the run then waits with the
        // callers, so a caller of another merchant that comes later does not go first. (Its advance may still be
        // overtaken by callers that come while that run goes.)
        Skip.IfNot(EmulatorFactory.OnPostgres, "an instance's merchant turns are bounded on PostgreSQL only");
        await using var instance = await TwoTurnInstance.StartAsync(factory);
        var other = await TestMerchant.CreateAsync(instance.Http);
        var (merchant, before, otherClockAtDelivery) = await instance.QueueABackgroundRunAsync(watching: other);

        var its = instance.AdvanceAsync(merchant);
        await instance.UntilAsync(d => d.CallersAtMerchantGates == 1); // its advance waits for its gate, held by the queued run
        var others = instance.AdvanceAsync(other);
        await instance.UntilTurnsAwaitedAsync(2); // the other merchant's advance waits for a turn
        instance.ReleaseSlow(0);
        await Task.WhenAll(its, others).WaitAsync(TimeSpan.FromSeconds(30));

        (await otherClockAtDelivery.WaitAsync(TimeSpan.FromSeconds(30))).Should().BeBefore(before.AddMinutes(1), "the run went before the later caller of another merchant");
    }

    [SkippableFact]
    public async Task AnAdvanceWaitingBehindItsMerchantsOwnDelivery_IsNotCountedAsWaitingForATurn()
    {
        // What operators read as "turns run short" must not count a caller that only waits for its merchant's run.
        Skip.IfNot(EmulatorFactory.OnPostgres, "an instance's merchant turns are bounded on PostgreSQL only");
        await using var instance = await TwoTurnInstance.StartAsync(factory);

        var advance = instance.AdvanceAsync(instance.SlowMerchants[0]);
        await instance.UntilAsync(d => d.CallersAtMerchantGates == 1);
        var metrics = await instance.Http.GetStringAsync("/metrics");
        instance.ReleaseSlow(0);
        await advance.WaitAsync(TimeSpan.FromSeconds(30));

        metrics.Should().MatchRegex("(?m)^emulator_merchant_turns_awaited 0$");
    }

    /// <summary>An emulator with two merchant turns on PostgreSQL, both held by slow merchants' background runs.</summary>
    private sealed class TwoTurnInstance : IAsyncDisposable
    {
        private readonly EmulatorFactory factory;
        private readonly WebApplicationFactory<Program> host;
        private readonly TaskCompletionSource[] releases = [new(), new()];
        private readonly List<NotificationInbox> receivers = [];
        private readonly string dataDirectory = Directory.CreateTempSubdirectory("emulator-turns-").FullName;

        private TwoTurnInstance(EmulatorFactory factory)
        {
            this.factory = factory;
            host = factory.WithWebHostBuilder(b =>
            {
                if (EmulatorFactory.OnPostgres)
                {
                    var database = new Npgsql.NpgsqlConnectionStringBuilder(SharedPostgres.CreateDatabaseAsync().GetAwaiter().GetResult()) { MaxPoolSize = 6 };
                    b.UseSetting("Emulator:PostgresConnectionString", database.ConnectionString);
                }
                else
                {
                    b.UseSetting("Emulator:DataDirectory", dataDirectory);
                }
            });
            Http = host.CreateClient();
        }

        public HttpClient Http { get; }

        /// <summary>The two merchants whose background runs hold the turns until released.</summary>
        public List<TestMerchant> SlowMerchants { get; } = [];

        public static async Task<TwoTurnInstance> StartAsync(EmulatorFactory factory)
        {
            var instance = new TwoTurnInstance(factory);
            var arrivals = new List<Task>();
            foreach (var release in instance.releases)
            {
                var arrived = new TaskCompletionSource();
                var slow = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey);
                slow.Answer = async _ =>
                {
                    arrived.TrySetResult();
                    await release.Task;
                    return (200, NotificationInbox.Acknowledgement);
                };
                instance.receivers.Add(slow);
                arrivals.Add(arrived.Task);
                var merchant = await TestMerchant.CreateAsync(instance.Http, slow);
                instance.SlowMerchants.Add(merchant);
                await instance.CreateExpiringAsync(merchant);
            }

            factory.Time.Advance(TimeSpan.FromMinutes(2));
            await Task.WhenAll(arrivals).WaitAsync(TimeSpan.FromSeconds(30));
            return instance;
        }

        /// <summary>A subscription request that expires a minute from now: a notification due when the clock passes it.</summary>
        public async Task CreateExpiringAsync(TestMerchant merchant)
        {
            var body = MerchantHarness.Body(factory.Time.GetUtcNow());
            body["subscriptionExpiryTime"] = factory.Time.GetUtcNow().AddMinutes(1).ToString("yyyy-MM-dd'T'HH:mm:sszzz");
            (await new AntomTestClient(Http).CallAsync(merchant, "create", body)).ResultCode.Should().Be("SUCCESS");
        }

        /// <summary>
        /// A merchant whose background run is queued for a turn (both are held), and whose webhook handler reads the
        /// clock of <paramref name="watching"/> when that run delivers: its reading tells whether an advance of that
        /// merchant went before the run. Also that clock's reading now.
        /// </summary>
        public async Task<(TestMerchant Merchant, DateTimeOffset WatchedClock, Task<DateTimeOffset> WatchedClockAtDelivery)> QueueABackgroundRunAsync(TestMerchant watching)
        {
            var receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey);
            receivers.Add(receiver);
            var atDelivery = new TaskCompletionSource<DateTimeOffset>();
            receiver.Answer = async _ =>
            {
                atDelivery.TrySetResult(await ClockAsync(watching));
                return (200, NotificationInbox.Acknowledgement);
            };
            var merchant = await TestMerchant.CreateAsync(Http, receiver);
            await CreateExpiringAsync(merchant);
            factory.Time.Advance(TimeSpan.FromMinutes(2));
            await UntilTurnsAwaitedAsync(1); // that merchant's run is queued
            return (merchant, await ClockAsync(watching), atDelivery.Task);
        }

        public async Task AdvanceAsync(TestMerchant merchant) =>
            (await Http.PostAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}/clock/advance", new { by = "PT1M" })).EnsureSuccessStatusCode();

        public async Task<DateTimeOffset> ClockAsync(TestMerchant merchant) =>
            (await Http.GetFromJsonAsync<JsonObject>($"/_emulator/v1/merchants/{merchant.ClientId}/clock"))!["now"]!.GetValue<DateTimeOffset>();

        /// <summary>Until <paramref name="count"/> runs or calls wait for a turn (at once where turns are not bounded).</summary>
        public Task UntilTurnsAwaitedAsync(int count) => UntilAsync(d => d.MerchantTurnsAwaited >= count);

        /// <summary>Until the instance's database reports <paramref name="condition"/> (at once where turns are not bounded).</summary>
        public async Task UntilAsync(Func<Database, bool> condition)
        {
            var database = host.Services.GetRequiredService<Database>();
            for (var polls = 0; EmulatorFactory.OnPostgres && !condition(database); polls++)
            {
                polls.Should().BeLessThan(1500, $"the condition should hold within 30 s ({database.MerchantTurnsAwaited} wait for a turn, {database.CallersAtMerchantGates} for a gate)");
                await Task.Delay(20);
            }
        }

        public void ReleaseSlow(int index) => releases[index].TrySetResult();

        public async ValueTask DisposeAsync()
        {
            foreach (var release in releases)
            {
                release.TrySetResult();
            }

            foreach (var receiver in receivers)
            {
                await receiver.DisposeAsync();
            }

            await host.DisposeAsync();
            try
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // SQLite may still hold the file on a slow shutdown; the temp folder is cleaned by the OS.
            }
        }
    }
}
