using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ContractTests.Support;
using Emulator.Scheduling;
using Microsoft.Extensions.DependencyInjection;

namespace ContractTests.Control;

/// <summary>Merchants and keys through the control API (CONTROL-API.md "Server", "Merchants").</summary>
[Collection(EmulatorCollection.Name)]
public sealed class MerchantsTests(EmulatorFactory factory)
{
    private readonly AntomTestClient client = new(factory.CreateClient());

    [Fact]
    public async Task Keys_ReturnsTheAntomPublicKeyOfFixtures()
    {
        var keys = await client.Http.GetFromJsonAsync<JsonObject>("/_emulator/v1/keys");

        ((string)keys!["keyVersion"]!).Should().Be("1");
        ((string)keys["antomPublicKey"]!).Should().Be(Fixtures.Read("keys/antom-public.spki.b64").Trim());
        ((string)keys["antomPublicKeyPem"]!).Should().StartWith("-----BEGIN PUBLIC KEY-----");
    }

    [Fact]
    public async Task Health_IsOk()
    {
        var health = await client.Http.GetFromJsonAsync<JsonObject>("/_emulator/v1/health");

        ((string)health!["status"]!).Should().Be("ok");
    }

    [Fact]
    public async Task DefaultMerchant_IsLoadedFromFixtures()
    {
        var merchant = await client.Http.GetFromJsonAsync<JsonObject>($"/_emulator/v1/merchants/{Fixtures.DefaultClientId}");

        ((string)merchant!["publicKey"]!).Should().Be(Fixtures.Read("keys/merchant-public.spki.b64").Trim());
        ((string)merchant["paymentNotificationUrl"]!).Should().Be("http://localhost:8081/antom/notify/payment");
    }

    /// <summary>
    /// A pipeline resets its merchant (DELETE, then PUT with the same client id) while the run of an advance it gave up
    /// on still waits for a slow webhook: the reset waits for that run, so the run cannot move the new merchant's clock
    /// or leave attempts behind once it ends.
    /// </summary>
    [Fact]
    public async Task DeleteThenPut_WhileARunIsUnderWay_WaitsForIt_SoTheRunDoesNotReachTheNewMerchant()
    {
        var start = new DateTimeOffset(2027, 1, 10, 0, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        await m.CreateAsync(MerchantHarness.Body(start));
        var held = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        m.Receiver.Answer = async _ =>
        {
            held.TrySetResult();
            await release.Task;
            return (200, Emulator.Testing.NotificationInbox.Acknowledgement);
        };
        var advance = m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", new { by = "P6M" });
        await held.Task.WaitAsync(TimeSpan.FromSeconds(30)); // the authorization expired; its CREATE/TERMINATED is out

        async Task<HttpStatusCode> ResetAsync()
        {
            (await m.Http.DeleteAsync(m.Control)).EnsureSuccessStatusCode();
            var put = await m.Http.PutAsJsonAsync(m.Control, new
            {
                publicKey = Convert.ToBase64String(TestMerchant.SharedKey.ExportSubjectPublicKeyInfo()),
                clock = new { frozenAt = start },
            });
            return put.StatusCode;
        }

        var reset = ResetAsync();
        var resetBeforeTheRunEnded = await Task.WhenAny(reset, Task.Delay(TimeSpan.FromSeconds(1))) == reset;
        release.TrySetResult();
        (await advance).EnsureSuccessStatusCode();
        var put = await reset;
        var clock = await m.Http.GetFromJsonAsync<JsonObject>($"{m.Control}/clock");
        var ledger = await m.NotificationsAsync();

        resetBeforeTheRunEnded.Should().BeFalse("the delete waits for the run of the merchant under way");
        put.Should().Be(HttpStatusCode.OK);
        DateTimeOffset.Parse((string)clock!["now"]!, System.Globalization.CultureInfo.InvariantCulture).Should().Be(start, "the old run ended before the reset, and moved only the old merchant's clock");
        ledger.Should().BeEmpty("nothing of the deleted merchant is left for the new one");
    }

    [Fact]
    public async Task PutMerchant_WithAClockRate_TicksThatFastFromTheWall_AndARefusedRateChangesNothing()
    {
        var http = factory.CreateClient();
        var clientId = "SANDBOX_RATE_" + Guid.NewGuid().ToString("N")[..8];
        var key = Convert.ToBase64String(TestMerchant.SharedKey.ExportSubjectPublicKeyInfo());
        var wall = factory.Time.GetUtcNow();

        var created = await http.PutAsJsonAsync($"/_emulator/v1/merchants/{clientId}", new { publicKey = key, clock = new { rate = 3600 } });
        factory.Time.Advance(TimeSpan.FromSeconds(2));
        var clock = await http.GetFromJsonAsync<JsonObject>($"/_emulator/v1/merchants/{clientId}/clock");
        var both = await http.PutAsJsonAsync($"/_emulator/v1/merchants/{clientId}", new { publicKey = key, paymentNotificationUrl = "http://localhost:9/p", clock = new { rate = 60, frozenAt = wall } });
        var tooFast = await http.PutAsJsonAsync($"/_emulator/v1/merchants/{clientId}", new { publicKey = key, paymentNotificationUrl = "http://localhost:9/p", clock = new { rate = 2_000_000 } });
        var after = await http.GetFromJsonAsync<JsonObject>($"/_emulator/v1/merchants/{clientId}/clock");
        var merchant = await http.GetFromJsonAsync<JsonObject>($"/_emulator/v1/merchants/{clientId}");
        await http.DeleteAsync($"/_emulator/v1/merchants/{clientId}");

        created.StatusCode.Should().Be(HttpStatusCode.OK);
        DateTimeOffset.Parse((string)clock!["now"]!).Should().Be(ClockState.WholeMilliseconds(wall).AddHours(2), "two wall seconds at 3600 are two hours");
        ((long)clock["rate"]!).Should().Be(3600);
        both.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await both.Content.ReadAsStringAsync()).Should().Contain("not both");
        tooFast.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await tooFast.Content.ReadAsStringAsync()).Should().Contain("clock.rate must be a whole number from 1");
        ((long)after!["rate"]!).Should().Be(3600, "a refused PUT leaves the clock as it was");
        merchant!["paymentNotificationUrl"].Should().BeNull("a refused PUT leaves the merchant as it was");
    }

    [Fact]
    public async Task PutMerchant_WithPemKey_ThenGetAndDelete()
    {
        using var key = RSA.Create(2048);
        var clientId = "SANDBOX_PEM_" + Guid.NewGuid().ToString("N")[..8];

        var put = await client.Http.PutAsJsonAsync($"/_emulator/v1/merchants/{clientId}", new { publicKey = key.ExportSubjectPublicKeyInfoPem() });
        var got = await client.Http.GetFromJsonAsync<JsonObject>($"/_emulator/v1/merchants/{clientId}");
        var delete = await client.Http.DeleteAsync($"/_emulator/v1/merchants/{clientId}");
        var after = await client.Http.GetAsync($"/_emulator/v1/merchants/{clientId}");

        put.StatusCode.Should().Be(HttpStatusCode.OK);
        ((string)got!["publicKey"]!).Should().Be(Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()));
        delete.StatusCode.Should().Be(HttpStatusCode.NoContent);
        after.StatusCode.Should().Be(HttpStatusCode.NotFound);
        after.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task PutMerchant_ReplacingTheKey_TakesEffectOnTheNextCall()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        using var newKey = RSA.Create(2048);
        (await client.CallAsync(merchant, "create", Bodies.Create(factory.Time.GetUtcNow()))).ResultCode.Should().Be("SUCCESS");

        await client.Http.PutAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}", new { publicKey = Convert.ToBase64String(newKey.ExportSubjectPublicKeyInfo()) });
        var withOldKey = await client.CallAsync(merchant, "create", Bodies.Create(factory.Time.GetUtcNow()));
        var withNewKey = await client.CallAsync(merchant with { PrivateKey = newKey }, "create", Bodies.Create(factory.Time.GetUtcNow()));

        withOldKey.ResultCode.Should().Be("INVALID_SIGNATURE");
        withNewKey.ResultCode.Should().Be("SUCCESS", withNewKey.ResultMessage);
    }

    [Theory]
    [InlineData("not a key")]
    [InlineData("")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")]
    public async Task PutMerchant_BadKey_IsProblem400SayingWhatToSend(string publicKey)
    {
        var response = await client.Http.PutAsJsonAsync("/_emulator/v1/merchants/SANDBOX_BADKEY", new { publicKey });
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        ((string)problem!["detail"]!).Should().Contain("publicKey");
    }

    [Fact]
    public async Task DeleteMerchant_RemovesItsSubscriptionsAndItCannotCallAnyMore()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        await client.CallAsync(merchant, "create", Bodies.Create(factory.Time.GetUtcNow()));

        await client.Http.DeleteAsync($"/_emulator/v1/merchants/{merchant.ClientId}");
        var reply = await client.CallAsync(merchant, "create", Bodies.Create(factory.Time.GetUtcNow()));
        var list = await client.Http.GetAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions");

        reply.ResultCode.Should().Be("UNKNOWN_CLIENT");
        list.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DeleteMerchant_LeavesNoRowOfItsOwnInAnyTable()
    {
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(start));
        await m.AdvanceAsync("P2M");
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "create", resultCode = "RISK_REJECT" })).StatusCode.Should().Be(HttpStatusCode.Created);
        var database = factory.Services.GetRequiredService<Emulator.Persistence.Database>();
        async Task<long> RowsAsync(string table, string column, string value) =>
            (await database.QueryAsync($"SELECT COUNT(*) FROM {table} WHERE {column} = @v", r => r.GetInt64(0), CancellationToken.None, ("@v", value)))[0];
        (await RowsAsync("phases", "subscription_id", subscriptionId)).Should().BeGreaterThan(0, "the advance deducted phases");
        var notificationIds = (await m.NotificationsAsync()).Select(n => (string)n!["notificationId"]!).ToList();
        var paymentId = (string)(await m.SubscriptionAsync(subscriptionId))["phases"]![0]!["paymentId"]!;
        (await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund(paymentId, "100"))).ResultCode.Should().Be("SUCCESS");
        (await RowsAsync("refunds", "client_id", m.Merchant.ClientId)).Should().Be(1);

        // At once after a signed call: the API-call journal, written off the call's path, must not outlive the merchant.
        await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel("20270101190000000000000000000000009"));
        (await m.Http.DeleteAsync(m.Control)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        var rows = new[]
        {
            ("merchants", "client_id", m.Merchant.ClientId), ("subscriptions", "client_id", m.Merchant.ClientId),
            ("phases", "subscription_id", subscriptionId), ("phases", "client_id", m.Merchant.ClientId),
            ("timeline", "subscription_id", subscriptionId), ("notifications", "client_id", m.Merchant.ClientId),
            ("idempotency", "client_id", m.Merchant.ClientId), ("api_calls", "client_id", m.Merchant.ClientId),
            ("clocks", "client_id", m.Merchant.ClientId), ("faults", "client_id", m.Merchant.ClientId),
            ("refunds", "client_id", m.Merchant.ClientId),
        }.Concat(notificationIds.Select(id => ("notification_attempts", "notification_id", id)));
        notificationIds.Should().NotBeEmpty();
        foreach (var (table, column, value) in rows)
        {
            (await RowsAsync(table, column, value)).Should().Be(0, $"{table} rows of the deleted merchant are gone");
        }
    }

    /// <summary>
    /// Creates under way when their merchant is deleted (held, after the gateway found the merchant, by a transport delay
    /// on a clock the test moves) leave nothing behind: their writes find the merchant gone and they are answered
    /// UNKNOWN_CLIENT, so a merchant registered again with the same client id starts empty.
    /// </summary>
    [Fact]
    public async Task CreatesUnderWay_WhenTheMerchantIsDeleted_LeaveNothingForTheMerchantRegisteredAgain()
    {
        const int Creates = 8;
        var start = new DateTimeOffset(2027, 1, 10, 0, 0, 0, TimeSpan.Zero);
        var time = new ParkingTime(EmulatorFactory.Start, TimeSpan.FromSeconds(17));
        await using var emulator = new EmulatorFactory();
        await using var host = emulator.WithWebHostBuilder(b => b.ConfigureServices(services => services.AddSingleton<TimeProvider>(time)));
        await using var m = await MerchantHarness.StartAsync(host.CreateClient(), start);
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "create", transport = "delay", delay = "PT17S", times = 0 })).StatusCode.Should().Be(HttpStatusCode.Created);
        var creates = Enumerable.Range(0, Creates).Select(_ => m.Client.CallAsync(m.Merchant, "create", MerchantHarness.Body(start))).ToArray();
        await time.ParkedAsync(Creates);

        var deleted = await m.Http.DeleteAsync(m.Control);
        time.Advance(TimeSpan.FromSeconds(17));
        var replies = await Task.WhenAll(creates);
        (await m.Http.PutAsJsonAsync(m.Control, new { publicKey = Convert.ToBase64String(TestMerchant.SharedKey.ExportSubjectPublicKeyInfo()) })).EnsureSuccessStatusCode();
        var subscriptions = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions"))!;
        var calls = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/api-calls"))!;
        var kept = (await host.Services.GetRequiredService<Emulator.Persistence.Database>().QueryAsync(
            "SELECT COUNT(*) FROM idempotency WHERE client_id = @v", r => r.GetInt64(0), CancellationToken.None, ("@v", m.Merchant.ClientId)))[0];

        deleted.StatusCode.Should().Be(HttpStatusCode.NoContent);
        replies.Select(r => r.ResultCode).Should().AllBe("UNKNOWN_CLIENT", "their merchant was deleted before their write");
        subscriptions.Should().BeEmpty("nothing of the deleted merchant reaches the one registered again");
        calls.Should().BeEmpty();
        kept.Should().Be(0, "no request id of the deleted merchant's is kept for the new one");
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("DELETE", "")]
    [InlineData("GET", "/subscriptions")]
    [InlineData("GET", "/subscriptions/sub_1")]
    [InlineData("POST", "/subscription-requests/req-1/approve")]
    [InlineData("POST", "/subscription-requests/req-1/decline")]
    [InlineData("GET", "/api-calls")]
    [InlineData("GET", "/clock")]
    [InlineData("POST", "/clock/freeze")]
    [InlineData("POST", "/clock/resume")]
    [InlineData("POST", "/clock/advance", """{"by":"P1M"}""")]
    [InlineData("GET", "/notifications")]
    [InlineData("POST", "/notifications/ntf_1/redeliver")]
    [InlineData("GET", "/faults")]
    [InlineData("POST", "/faults", """{"target":"create","resultCode":"RISK_REJECT"}""")]
    [InlineData("DELETE", "/faults")]
    [InlineData("DELETE", "/faults/flt_1")]
    [InlineData("POST", "/scenarios/rate-limited")]
    public async Task EveryCallAboutAMerchant_UnknownClientId_Is404SayingHowToCreateIt(string method, string path, string? body = null)
    {
        var clientId = "SANDBOX_NOBODY_" + Guid.NewGuid().ToString("N")[..8];
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/_emulator/v1/merchants/{clientId}{path}");
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        var response = await client.Http.SendAsync(request);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        ((string)problem!["detail"]!).Should().Be($"no merchant '{clientId}'; create it with PUT /_emulator/v1/merchants/{clientId}");
        (await client.Http.GetAsync($"/_emulator/v1/merchants/{clientId}")).StatusCode.Should().Be(HttpStatusCode.NotFound, "a call about an unknown merchant creates nothing");
    }
}
