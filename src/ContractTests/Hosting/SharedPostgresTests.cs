using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;
using Microsoft.AspNetCore.Hosting;
using Xunit.Abstractions;

namespace ContractTests.Hosting;

/// <summary>
/// The shared deployment: two emulator processes on one PostgreSQL database behave as one emulator. Subscriptions are
/// created and approved through both, the merchant's clock is advanced 12 months a month at a time through one then the
/// other (while both background loops run), and every phase is deducted once and every notification delivered once.
/// </summary>
public sealed class SharedPostgresTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Subscriptions = 100;
    private static readonly DateTimeOffset Start = new(2027, 1, 15, 0, 0, 0, TimeSpan.Zero);
    private readonly string dataA = Directory.CreateTempSubdirectory("emulator-shared-a-").FullName;
    private readonly string dataB = Directory.CreateTempSubdirectory("emulator-shared-b-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(dataA, recursive: true);
        Directory.Delete(dataB, recursive: true);
        return Task.CompletedTask;
    }

    [SkippableFact]
    public async Task TwoInstancesOnOneDatabase_TwelveMonthsThroughBoth_EachPhaseOnce_EachNotificationDeliveredOnceAndAcknowledged()
    {
        SkipUnlessPostgres();
        await using var postgres = await PostgresServer.StartAsync();
        var environment = new Dictionary<string, string>
        {
            ["Emulator__PostgresConnectionString"] = await postgres.CreateDatabaseAsync("shared"),
            ["Emulator__SchedulerInterval"] = "00:00:00.100",
        };
        await using var receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey);

        // Started together: the two migrate the same empty database at once.
        await using var two = await TwoInstances.StartAsync(dataA, dataB, environment);
        try
        {
            await DriveAndCheckAsync(two.ClientA, two.ClientB, receiver);
        }
        catch
        {
            output.WriteLine("instance A:\n" + two.A.Output + "\ninstance B:\n" + two.B.Output);
            throw;
        }
    }

    /// <summary>
    /// Behind a load balancer, a webhook handler's calls reach the instance that is not running the advance. They see
    /// what they would see through the one that is: the clock at the time the run has reached, an approve that answers
    /// at once (the advance delivers what it caused), and what they changed in the advance's events.
    /// </summary>
    [SkippableFact]
    public async Task AdvanceOnA_WebhookHandlerCallsB_SeesTheRunsTime_AnswersAtOnce_AndItsChangesAreInTheAdvancesEvents()
    {
        SkipUnlessPostgres();
        await using var shared = await OneMerchant.StartAsync(dataA, dataB, "handler", notificationTimeout: TimeSpan.FromSeconds(5));
        var (clientA, clientB, receiver, merchant, control) = (shared.Two.ClientA, shared.Two.ClientB, shared.Receiver, shared.Merchant, shared.Control);
        var renewed = MerchantHarness.Body(Start);
        await new AntomTestClient(clientA).CallAsync(merchant, "create", renewed);
        (await clientA.PostAsync($"{control}/subscription-requests/{(string)renewed["subscriptionRequestId"]!}/approve", null)).EnsureSuccessStatusCode();
        var renewedId = (string)(await clientA.GetFromJsonAsync<JsonArray>($"{control}/subscriptions"))!.Single()!["subscriptionId"]!;
        var failedAt = Start.AddMonths(1).AddDays(-1);
        (await clientA.PostAsJsonAsync($"{control}/clock/advance", new { to = failedAt.AddHours(-1) })).EnsureSuccessStatusCode();
        var waiting = MerchantHarness.Body(failedAt);
        waiting["subscriptionExpiryTime"] = failedAt.AddHours(40).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);
        (await new AntomTestClient(clientA).CallAsync(merchant, "create", waiting)).ResultCode.Should().Be("SUCCESS");
        (await clientA.PostAsJsonAsync($"{control}/faults", new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", match = new { phaseNo = 2 } })).EnsureSuccessStatusCode();
        DateTimeOffset? clockThroughB = null;
        receiver.Answer = async n =>
        {
            if (n.IsPayment && (string)n.Json["result"]!["resultStatus"]! == "F" && clockThroughB is null)
            {
                var clock = (await clientB.GetFromJsonAsync<JsonObject>($"{control}/clock"))!;
                clockThroughB = DateTimeOffset.Parse((string)clock["now"]!, System.Globalization.CultureInfo.InvariantCulture);
                (await new AntomTestClient(clientB).CallAsync(merchant, "cancel", Bodies.Cancel(renewedId, "TERMINATE"))).ResultCode.Should().Be("SUCCESS");
                (await clientB.PostAsync($"{control}/subscription-requests/{(string)waiting["subscriptionRequestId"]!}/approve", null)).EnsureSuccessStatusCode();
            }

            return (200, NotificationInbox.Acknowledgement);
        };

        var advanced = await clientA.PostAsJsonAsync($"{control}/clock/advance", new { by = "P2M" });
        var events = (await advanced.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>())!["events"]!.AsArray();
        var waitingId = (string)(await clientB.GetFromJsonAsync<JsonArray>($"{control}/subscriptions?subscriptionRequestId={(string)waiting["subscriptionRequestId"]!}"))!.Single()!["subscriptionId"]!;
        var inquiry = (await new AntomTestClient(clientB).CallAsync(merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = renewedId })).Json["subscription"]!;

        clockThroughB.Should().Be(failedAt, "B reads the time A's run has reached: phase 2's deduction, 24 h before it starts");
        events.Where(e => (string)e!["type"]! == "notificationAttempt" && (string)e["subscriptionId"]! == renewedId && (string)e["kind"]! == "notifyPayment")
            .Select(e => (string)e!["outcome"]!).Should().Equal(["acknowledged"], "the handler's calls to B answered without waiting for A's advance");
        events.Should().ContainSingle(e => (string)e!["type"]! == "stateChanged" && (string)e["subscriptionId"]! == renewedId && (string)e["to"]! == "TERMINATED")
            .Which!["at"]!.GetValue<DateTimeOffset>().Should().Be(failedAt, "the cancel made through B is in A's events, at the failed payment's time");
        events.Should().Contain(e => (string)e!["type"]! == "deduction" && (string)e["subscriptionId"]! == waitingId && (int)e["phaseNo"]! == 1, "the approval through B charged phase 1 during A's advance");
        DateTimeOffset.Parse((string)inquiry["lastUpdateTime"]!, System.Globalization.CultureInfo.InvariantCulture).Should().Be(failedAt, "the termination happened when the handler got the failed payment");
        (await clientA.GetFromJsonAsync<JsonArray>($"{control}/notifications"))!.Should().OnlyContain(n => (string)n!["status"]! == "acknowledged");
    }

    /// <summary>
    /// A run killed while a webhook handler's call through another instance was being told to it leaves nothing behind:
    /// the next run, on the other instance, lists only what happened in it.
    /// </summary>
    [SkippableFact]
    public async Task RunKilledAfterACallWasToldToIt_WhatWasToldDoesNotReachTheNextRun()
    {
        SkipUnlessPostgres();
        await using var shared = await OneMerchant.StartAsync(dataA, dataB, "killed");
        var (clientA, clientB, receiver, merchant, control) = (shared.Two.ClientA, shared.Two.ClientB, shared.Receiver, shared.Merchant, shared.Control);
        var body = MerchantHarness.Body(Start);
        await new AntomTestClient(clientA).CallAsync(merchant, "create", body);
        var subscriptionId = (string)(await (await clientA.PostAsync($"{control}/subscription-requests/{(string)body["subscriptionRequestId"]!}/approve", null)).Content.ReadFromJsonAsync<JsonObject>())!["subscriptionId"]!;
        var told = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Answer = async n =>
        {
            if (n.IsPayment && !told.Task.IsCompleted)
            {
                (await new AntomTestClient(clientB).CallAsync(merchant, "cancel", Bodies.Cancel(subscriptionId))).ResultCode.Should().Be("SUCCESS");
                told.SetResult();
                await release.Task;
            }

            return (200, NotificationInbox.Acknowledgement);
        };

        var killed = clientA.PostAsJsonAsync($"{control}/clock/advance", new { by = "P1M" });
        await told.Task.WaitAsync(TimeSpan.FromSeconds(60));
        shared.Two.A.Kill();
        release.SetResult();
        await killed.ContinueWith(_ => { }, TaskScheduler.Default);
        var next = await clientB.PostAsJsonAsync($"{control}/clock/advance", new { by = "PT1H" });
        var events = (await next.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>())!["events"]!.AsArray();

        events.Should().BeEmpty("nothing fell due in that hour; the cancel was told to the run that was killed");
    }

    /// <summary>
    /// Merchants are isolated from each other on PostgreSQL as on SQLite: while ten merchants' advances wait on a slow
    /// webhook endpoint, another merchant's approve is made and answered.
    /// </summary>
    [SkippableFact]
    public async Task AdvancesOfTenMerchantsWaitingOnTheirEndpoint_DoNotHoldUpAnotherMerchant()
    {
        SkipUnlessPostgres();
        await using var postgres = await PostgresServer.StartAsync();
        // The emulator's default pool (48 connections, 16 of them for merchants' turns): ten merchants hold ten turns.
        var connectionString = new Npgsql.NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync("isolated")) { MaxPoolSize = 48 }.ConnectionString;
        var environment = new Dictionary<string, string> { ["Emulator__PostgresConnectionString"] = connectionString };
        await using var receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey);
        var (emulator, http, _) = await EmulatorProcess.StartAsync(dataA, environment);
        await using (emulator)
        {
            using var client = new HttpClient { BaseAddress = http };
            var slow = new List<TestMerchant>();
            for (var i = 0; i < 10; i++)
            {
                var merchant = await TestMerchant.CreateAsync(client, receiver, Start);
                var body = MerchantHarness.Body(Start);
                await new AntomTestClient(client).CallAsync(merchant, "create", body);
                (await client.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscription-requests/{(string)body["subscriptionRequestId"]!}/approve", null)).EnsureSuccessStatusCode();
                slow.Add(merchant);
            }

            var other = await TestMerchant.CreateAsync(client, receiver, Start);
            var otherBody = MerchantHarness.Body(Start);
            await new AntomTestClient(client).CallAsync(other, "create", otherBody);
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var held = 0;
            var allHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            receiver.Answer = async n =>
            {
                if (n.Headers["client-id"] != other.ClientId)
                {
                    if (Interlocked.Increment(ref held) == slow.Count)
                    {
                        allHeld.SetResult();
                    }

                    await release.Task;
                }

                return (200, NotificationInbox.Acknowledgement);
            };

            var advances = slow.Select(m => client.PostAsJsonAsync($"/_emulator/v1/merchants/{m.ClientId}/clock/advance", new { by = "P1M" })).ToList();
            await allHeld.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var approve = client.PostAsync($"/_emulator/v1/merchants/{other.ClientId}/subscription-requests/{(string)otherBody["subscriptionRequestId"]!}/approve", null);
            HttpResponseMessage? approved = null;
            try
            {
                approved = await approve.WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                // Asserted below, once the held advances are let go.
            }

            release.SetResult();
            await Task.WhenAll(advances);

            approved.Should().NotBeNull("the other merchant's approve does not wait for the ten advances");
            approved!.EnsureSuccessStatusCode();
            advances.Should().OnlyContain(a => a.Result.IsSuccessStatusCode);
        }
    }

    /// <summary>
    /// The API-call journal, which the conformance suite judges an integration by, read through B lists a call A has
    /// just answered.
    /// </summary>
    [SkippableFact]
    public async Task CallAnsweredByA_IsInTheJournalReadThroughB_AtOnce()
    {
        SkipUnlessPostgres();
        await using var postgres = await PostgresServer.StartAsync();
        var environment = new Dictionary<string, string> { ["Emulator__PostgresConnectionString"] = await postgres.CreateDatabaseAsync("journal") };
        await using var two = await TwoInstances.StartAsync(dataA, dataB, environment);
        var (clientA, clientB) = (two.ClientA, two.ClientB);
        var merchant = await TestMerchant.CreateAsync(clientA);

        for (var round = 1; round <= 5; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => new AntomTestClient(clientA).CallAsync(merchant, "create", MerchantHarness.Body(Start))));
            (await clientB.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/api-calls"))!.Should().HaveCount(round * 10);
        }
    }

    private async Task DriveAndCheckAsync(HttpClient clientA, HttpClient clientB, NotificationInbox receiver)
    {
        HttpClient[] instances = [clientA, clientB];
        var merchant = await TestMerchant.CreateAsync(clientA, receiver, Start);

        // Idempotency holds across instances: the same create through B answers A's bytes.
        var twin = MerchantHarness.Body(Start);
        var throughA = await new AntomTestClient(clientA).CallAsync(merchant, "create", twin);
        var throughB = await new AntomTestClient(clientB).CallAsync(merchant, "create", twin);
        throughA.ResultCode.Should().Be("SUCCESS", throughA.ResultMessage);
        throughB.RawBody.Should().Equal(throughA.RawBody, "a repeated request id gets the first answer, whichever instance took it");

        await Task.WhenAll(Enumerable.Range(0, Subscriptions - 1).Select(async i =>
        {
            var body = MerchantHarness.Body(Start);
            var created = await new AntomTestClient(instances[i % 2]).CallAsync(merchant, "create", body);
            created.ResultCode.Should().Be("SUCCESS", created.ResultMessage);
            (await instances[(i + 1) % 2].PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscription-requests/{(string)body["subscriptionRequestId"]!}/approve", null))
                .EnsureSuccessStatusCode();
        }));
        (await clientB.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscription-requests/{(string)twin["subscriptionRequestId"]!}/approve", null)).EnsureSuccessStatusCode();

        for (var month = 1; month <= 12; month++)
        {
            var target = Start.AddMonths(month);
            var advanced = await instances[month % 2].PostAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}/clock/advance", new { to = target });
            advanced.EnsureSuccessStatusCode();
            var seenByOther = (await instances[(month + 1) % 2].GetFromJsonAsync<JsonObject>($"/_emulator/v1/merchants/{merchant.ClientId}/clock"))!;
            DateTimeOffset.Parse((string)seenByOther["now"]!, System.Globalization.CultureInfo.InvariantCulture).Should().Be(target, "the clock is shared");
        }

        var subscriptions = (await clientB.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions"))!;
        var notifications = (await clientA.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/notifications"))!;
        var delivered = receiver.Received;
        output.WriteLine($"{subscriptions.Count} subscriptions, {notifications.Count} notifications, {delivered.Count} deliveries");

        var paymentIds = YearChecks.EveryPhaseOnce(subscriptions, Subscriptions);
        notifications.Where(n => (string)n!["kind"]! == "notifyPayment").Should().HaveCount(Subscriptions * 13);
        notifications.Should().OnlyContain(n => (string)n!["status"]! == "acknowledged");
        delivered.GroupBy(r => r.NotificationId).Should().OnlyContain(g => g.Count() == 1, "every attempt was acknowledged, so nothing was sent twice");
        delivered.Select(r => r.NotificationId).Should().BeEquivalentTo(notifications.Select(n => (string)n!["notificationId"]!));
        delivered.Where(r => r.IsPayment).Select(r => (string)r.Json["paymentId"]!).Should().BeEquivalentTo(paymentIds);
        delivered.Should().OnlyContain(r => r.SignatureValid);

        // A refund of a recent payment sent through both at once (a retry racing its first call behind a load balancer) refunds once, and
        // either instance knows it and what is left.
        var paymentId = (string)delivered.Where(r => r.IsPayment).MaxBy(r => int.Parse((string)r.Json["phaseNo"]!, System.Globalization.CultureInfo.InvariantCulture))!.Json["paymentId"]!;
        var refund = Bodies.Refund(paymentId, "19900");
        var refunds = await Task.WhenAll(instances.Select(instance => new AntomTestClient(instance).CallAsync(merchant, "refund", refund)));
        var more = await new AntomTestClient(clientB).CallAsync(merchant, "refund", Bodies.Refund(paymentId, "1"));
        var inquiry = await new AntomTestClient(clientA).CallAsync(merchant, "inquiryRefund", new JsonObject { ["refundRequestId"] = refund["refundRequestId"]!.DeepClone() });
        refunds[0].ResultCode.Should().Be("SUCCESS", refunds[0].ResultMessage);
        refunds[1].RawBody.Should().Equal(refunds[0].RawBody, "the same refund request gets one answer, whichever instance took it");
        more.ResultCode.Should().Be("REFUND_AMOUNT_EXCEED", "the whole payment was refunded once");
        ((string)inquiry.Json["refundId"]!).Should().Be((string)refunds[0].Json["refundId"]!);
    }

    [SkippableFact]
    public async Task ApprovalRunOnA_HandlerApprovesThroughB_NeitherWaitsForTheOther()
    {
        SkipUnlessPostgres();
        await using var shared = await OneMerchant.StartAsync(dataA, dataB, "handlerapproval", notificationTimeout: TimeSpan.FromSeconds(5));
        var (clientA, clientB, receiver, merchant, control) = (shared.Two.ClientA, shared.Two.ClientB, shared.Receiver, shared.Merchant, shared.Control);
        var first = MerchantHarness.Body(Start);
        var second = MerchantHarness.Body(Start);
        await new AntomTestClient(clientA).CallAsync(merchant, "create", first);
        await new AntomTestClient(clientA).CallAsync(merchant, "create", second);
        var approvedThroughB = false;
        receiver.Answer = async n =>
        {
            if (!n.IsPayment && (string)n.Json["subscriptionRequestId"]! == (string)first["subscriptionRequestId"]! && !approvedThroughB)
            {
                approvedThroughB = true;
                (await clientB.PostAsync($"{control}/subscription-requests/{(string)second["subscriptionRequestId"]!}/approve", null)).EnsureSuccessStatusCode();
            }

            return (200, NotificationInbox.Acknowledgement);
        };

        (await clientA.PostAsync($"{control}/subscription-requests/{(string)first["subscriptionRequestId"]!}/approve", null)).EnsureSuccessStatusCode();
        await receiver.WaitForAsync(n => !n.IsPayment && (string)n.Json["subscriptionRequestId"]! == (string)second["subscriptionRequestId"]!, TimeSpan.FromSeconds(30));
        var ledger = (await clientA.GetFromJsonAsync<JsonArray>($"{control}/notifications?kind=notifySubscription"))!;

        approvedThroughB.Should().BeTrue();
        ledger.Should().HaveCount(2).And.OnlyContain(n => (string)n!["status"]! == "acknowledged",
            "the approval through B did not wait for A's run, which waited for the handler: the first CREATE was acknowledged, not timed out");
        ledger.Select(n => n!["attempts"]!.AsArray().Count).Should().Equal(1, 1);
    }

    /// <summary>
    /// A delete through B while A holds the merchant's lock for a redelivery (which publishes no run) waits for it: the
    /// redelivery's attempt is recorded for a merchant that still exists, and nothing of it outlives the delete.
    /// </summary>
    [SkippableFact]
    public async Task DeleteThroughB_WhileARedeliveryOnAHoldsTheMerchant_WaitsForIt()
    {
        SkipUnlessPostgres();
        await using var shared = await OneMerchant.StartAsync(dataA, dataB, "deleteduringredelivery", notificationTimeout: TimeSpan.FromSeconds(30));
        var (clientA, clientB, receiver, merchant, control) = (shared.Two.ClientA, shared.Two.ClientB, shared.Receiver, shared.Merchant, shared.Control);
        var body = MerchantHarness.Body(Start);
        await new AntomTestClient(clientA).CallAsync(merchant, "create", body);
        (await clientA.PostAsync($"{control}/subscription-requests/{(string)body["subscriptionRequestId"]!}/decline", null)).EnsureSuccessStatusCode();
        var notificationId = (string)(await clientA.GetFromJsonAsync<JsonArray>($"{control}/notifications?kind=notifySubscription"))!.Single()!["notificationId"]!;
        var held = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        receiver.Answer = async _ =>
        {
            held.TrySetResult();
            await release.Task;
            return (200, NotificationInbox.Acknowledgement);
        };

        var redeliver = clientA.PostAsync($"{control}/notifications/{notificationId}/redeliver", null);
        await held.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var delete = clientB.DeleteAsync(control);
        var deletedWhileHeld = await Task.WhenAny(delete, Task.Delay(TimeSpan.FromSeconds(2))) == delete;
        release.TrySetResult();
        var redelivered = await redeliver;
        (await delete).StatusCode.Should().Be(HttpStatusCode.NoContent);

        deletedWhileHeld.Should().BeFalse("a delete waits for the merchant's lock held by another instance");
        redelivered.StatusCode.Should().Be(HttpStatusCode.Accepted, "the notification was still there when its redelivery ended");
    }

    /// <summary>
    /// With the database gone, health says so (a load balancer takes the instance out of rotation; it asks without the
    /// admin token), a control call is a 503 saying what to do, not a bare 500, and an API call is answered as Antom
    /// answers one it could not complete: HTTP 200, signed, status U (its journal line, read from the database after
    /// the answer was made, made it a 503).
    /// </summary>
    [SkippableFact]
    public async Task DatabaseDown_HealthIs503WithoutAToken_AControlCallIsA503SayingToSendItAgain_AndAnApiCallASignedU()
    {
        SkipUnlessPostgres();
        await using var postgres = await PostgresServer.StartAsync();
        var (process, url, _) = await OneInstanceAsync(postgres, "outage", ("Emulator__AdminToken", "s3cret-token"), ("Emulator__SchedulerInterval", "00:00:00.100"));
        await using var emulator = process;
        using var anonymous = new HttpClient { BaseAddress = url };
        using var admin = new HttpClient { BaseAddress = url };
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "s3cret-token");

        var merchant = await TestMerchant.CreateAsync(admin);
        var api = new AntomTestClient(anonymous);
        var before = await api.CallAsync(merchant, "create", MerchantHarness.Body(TimeProvider.System.GetUtcNow().AddDays(1)));

        var healthy = await anonymous.GetAsync("/healthz");
        var merchantsWithoutToken = await anonymous.GetAsync($"/_emulator/v1/merchants/{Fixtures.DefaultClientId}");
        await postgres.StopAsync();
        var down = await anonymous.GetAsync("/healthz");
        var control = await admin.GetAsync($"/_emulator/v1/merchants/{Fixtures.DefaultClientId}");
        var page = await admin.GetAsync($"/_emulator/ui/merchants/{Fixtures.DefaultClientId}");
        var during = await api.CallAsync(merchant, "create", MerchantHarness.Body(TimeProvider.System.GetUtcNow().AddDays(1)));
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // some fifteen ticks of the background loop without a database

        healthy.StatusCode.Should().Be(HttpStatusCode.OK);
        (await healthy.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>().Should().Be("ok");
        merchantsWithoutToken.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "only /healthz is open");
        down.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        var health = (await down.Content.ReadFromJsonAsync<JsonObject>())!;
        ((string)health["status"]!, (string)health["detail"]!).Should().Match<(string Status, string Detail)>(h => h.Status == "unavailable" && h.Detail.StartsWith("the postgres database failed", StringComparison.Ordinal) && !h.Detail.Contains("127.0.0.1", StringComparison.Ordinal));
        control.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, emulator.Output);
        control.Headers.RetryAfter.Should().NotBeNull();
        (await control.Content.ReadAsStringAsync()).Should().Contain("the database did not answer").And.Contain("send the call again");
        page.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        page.Content.Headers.ContentType!.MediaType.Should().Be("text/html", "the dashboard answers a page a browser shows");
        (await page.Content.ReadAsStringAsync()).Should().Contain("<h1>Database unavailable</h1>").And.Contain("The database did not answer");
        before.ResultCode.Should().Be("SUCCESS");
        during.Status.Should().Be(HttpStatusCode.OK, "an API call is answered as Antom answers, signed, even when the database is gone: {0}", emulator.Output);
        during.SignatureValid.Should().BeTrue();
        during.ResultStatus.Should().Be("U", "the client must send it again with the same request id");
        System.Text.RegularExpressions.Regex.Count(emulator.Output, "Scheduler tick could not list merchants").Should().Be(1,
            "the background loop logs an outage once, not a stack trace each tick: {0}", emulator.Output);
    }

    /// <summary>One emulator process on a fresh database <paramref name="name"/> of <paramref name="postgres"/>, with <paramref name="settings"/> besides; and that database's connection string.</summary>
    private async Task<(EmulatorProcess Process, Uri Url, string Database)> OneInstanceAsync(PostgresServer postgres, string name, params (string Name, string Value)[] settings)
    {
        var database = await postgres.CreateDatabaseAsync(name);
        var environment = settings.ToDictionary(s => s.Name, s => s.Value);
        environment["Emulator__PostgresConnectionString"] = database;
        var (process, url, _) = await EmulatorProcess.StartAsync(dataA, environment);
        return (process, url, database);
    }

    /// <summary>
    /// The test kit sends a control call again when the emulator answers it 503 with a Retry-After (nothing committed:
    /// the database restarting), so a test on a shared instance rides out a database restart instead of failing.
    /// </summary>
    [SkippableFact]
    public async Task Kit_ControlCallDuringADatabaseRestart_IsSentAgainOnIts503_AndSucceeds()
    {
        SkipUnlessPostgres();
        await using var postgres = await PostgresServer.StartAsync();
        var (process, url, database) = await OneInstanceAsync(postgres, "kitretry");
        await using var emulator = process;
        await using var kit = Emulator.Testing.AntomEmulator.Connect(url);
        await using var merchant = await kit.CreateMerchantAsync(frozenAt: Start);

        // The throwaway server commits without waiting for its log (synchronous_commit off): written out first, the
        // merchant outlives the immediate stop below.
        await PostgresServer.ScalarAsync(database, "CHECKPOINT");
        await postgres.StopAsync();
        var freezing = merchant.FreezeClockAsync(Start.AddDays(1));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        freezing.IsCompleted.Should().BeFalse("the call is answered 503 while the database is down, and sent again");
        await postgres.StartAgainAsync();
        await freezing.WaitAsync(TimeSpan.FromSeconds(30));

        using var http = new HttpClient { BaseAddress = url };
        var clock = (await http.GetFromJsonAsync<JsonObject>($"/_emulator/v1/merchants/{merchant.ClientId}/clock"))!;
        DateTimeOffset.Parse((string)clock["now"]!, System.Globalization.CultureInfo.InvariantCulture).Should().Be(Start.AddDays(1), "the freeze sent again took effect once the database answered");
        emulator.Output.Should().Contain($"The database failed during POST /_emulator/v1/merchants/{merchant.ClientId}/clock/freeze", "the first sends were refused while the database was down");
    }

    /// <summary>
    /// A database that hangs (its processes frozen: connections neither refused nor answered) makes health answer 503
    /// within its 3 s, as a load balancer needs, and not after the driver's half-minute command timeout (found by a
    /// shared-instance walkthrough: 33 s), and the instance answers again once the database does.
    /// </summary>
    [SkippableFact]
    public async Task DatabaseThatHangs_HealthAnswers503WithinItsLimit_AndOkOnceItAnswersAgain()
    {
        SkipUnlessPostgres();
        await using var postgres = await PostgresServer.StartAsync();
        var (process, url, _) = await OneInstanceAsync(postgres, "hangs");
        await using var emulator = process;
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(12) };
        (await http.GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK);

        HttpResponseMessage hung;
        await postgres.SignalAllAsync("STOP");
        try
        {
            hung = await http.GetAsync("/healthz");
        }
        finally
        {
            await postgres.SignalAllAsync("CONT");
        }

        hung.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, "health does not wait for a database that does not answer");
        ((string)(await hung.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!).Should().Contain("did not answer within 3 s");
        using var patient = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        (await patient.GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK, "the database answers again: {0}", emulator.Output);
    }

    /// <summary>
    /// After the database restarts, an advance takes the merchant's turn through an instance whose pool of merchant
    /// turns kept a connection from before the restart, and an approve answers the decision it committed. Found by a
    /// shared-instance walkthrough: the approve answered 503 "what was not committed is undone: send the call again"
    /// after committing, and sent again it was refused as done (409).
    /// </summary>
    [SkippableFact]
    public async Task AfterADatabaseRestart_AnApproveAnswersTheDecisionItCommitted_NotA503()
    {
        SkipUnlessPostgres();
        await using var postgres = await PostgresServer.StartAsync();
        var (process, url, database) = await OneInstanceAsync(postgres, "restart");
        await using var emulator = process;
        using var http = new HttpClient { BaseAddress = url };
        var merchant = await TestMerchant.CreateAsync(http, frozenAt: Start);
        var api = new AntomTestClient(http);
        var control = $"/_emulator/v1/merchants/{merchant.ClientId}";
        async Task<HttpResponseMessage> CreateAndApproveAsync()
        {
            var body = MerchantHarness.Body(Start);
            (await api.CallAsync(merchant, "create", body)).ResultCode.Should().Be("SUCCESS", emulator.Output);
            return await http.PostAsync($"{control}/subscription-requests/{(string)body["subscriptionRequestId"]!}/approve", null);
        }

        // The first approval takes the merchant's turn, whose connection then waits in the turn pool; calls at once keep
        // several connections in the work pool.
        (await CreateAndApproveAsync()).StatusCode.Should().Be(HttpStatusCode.OK);
        await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => http.GetAsync($"{control}/notifications")));
        ((long)(await PostgresServer.ScalarAsync(database, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"))!)
            .Should().BeGreaterThan(2, "the instance keeps several connections");

        await postgres.RestartAsync();

        // The first call that meets a connection kept from before fails (a 503 that says to send it again), and the
        // driver drops the others kept from before: the next calls find the database.
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            answers.Add((await http.GetAsync("/healthz")).StatusCode);
        }

        answers.Count(a => a != HttpStatusCode.OK).Should().BeLessThanOrEqualTo(1, "after one failure the connections from before are gone: {0}", string.Join(", ", answers));
        // The advance takes the merchant's turn first, on the connection kept from before the restart.
        var advanced = await http.PostAsJsonAsync($"{control}/clock/advance", new { by = "PT1H" });
        var approved = await CreateAndApproveAsync();

        approved.StatusCode.Should().Be(HttpStatusCode.OK, "the approval was committed, and is answered so: {0}", await approved.Content.ReadAsStringAsync());
        ((string)(await approved.Content.ReadFromJsonAsync<JsonObject>())!["status"]!).Should().Be("ACTIVE");
        advanced.StatusCode.Should().Be(HttpStatusCode.OK, await advanced.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// Two instances starting together on one database both find no default merchant: its registration is read and
    /// written in one unit of work, so the first to write inserts it and the other keeps it, CreatedAt included (the
    /// two clocks differ by an hour), instead of each writing its own. The instances are held at the writer's lock
    /// until both wait there, and a trigger counts the writes to <c>merchants</c>.
    /// </summary>
    [SkippableFact]
    public async Task TwoInstancesStartingTogether_RegisterTheDefaultMerchantOnce_TheFirstOnesCreatedAtStays()
    {
        SkipUnlessPostgres();
        var database = await SharedPostgres.CreateDatabaseAsync();
        await using (var schema = new Emulator.Persistence.PostgresDatabase(Microsoft.Extensions.Options.Options.Create(new Emulator.Hosting.EmulatorOptions { PostgresConnectionString = database })))
        {
            await schema.MigrateAsync(CancellationToken.None);
        }

        await using var watcher = new Npgsql.NpgsqlConnection(database);
        await watcher.OpenAsync();
        await ExecuteAsync(watcher, """
            CREATE TABLE merchant_writes (seq SERIAL PRIMARY KEY, op TEXT NOT NULL, doc TEXT NOT NULL);
            CREATE FUNCTION note_merchant_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO merchant_writes (op, doc) VALUES (TG_OP, NEW.doc); RETURN NEW; END $$;
            CREATE TRIGGER note_merchant_write AFTER INSERT OR UPDATE ON merchants FOR EACH ROW EXECUTE FUNCTION note_merchant_write();
            """);
        await ExecuteAsync(watcher, $"SELECT pg_advisory_lock({Emulator.Persistence.PostgresDatabase.WriterKey})");
        await using var a = new EmulatorFactory();
        await using var b = new EmulatorFactory();
        b.Time.Advance(TimeSpan.FromHours(1));
        await using var onA = a.WithWebHostBuilder(w => w.UseSetting("Emulator:PostgresConnectionString", database));
        await using var onB = b.WithWebHostBuilder(w => w.UseSetting("Emulator:PostgresConnectionString", database));
        var starting = new[] { Task.Run(onA.CreateClient), Task.Run(onB.CreateClient) };
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (await CountAsync(watcher, $"""
            SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND classid = {Emulator.Persistence.PostgresDatabase.WriterKey >> 32} AND objid = {Emulator.Persistence.PostgresDatabase.WriterKey & 0xFFFFFFFF}
            """) < 2)
        {
            starting.Should().OnlyContain(s => !s.IsFaulted, "both instances start");
            waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60), "both instances should reach the writer's lock at start");
            await Task.Delay(20);
        }

        await ExecuteAsync(watcher, $"SELECT pg_advisory_unlock({Emulator.Persistence.PostgresDatabase.WriterKey})");
        var clients = await Task.WhenAll(starting);
        var path = $"/_emulator/v1/merchants/{Fixtures.DefaultClientId}";
        var seen = await Task.WhenAll(clients.Select(c => c.GetFromJsonAsync<JsonObject>(path)));
        var writes = new List<(string Op, string Doc)>();
        await using (var read = watcher.CreateCommand())
        {
            read.CommandText = "SELECT op, doc FROM merchant_writes ORDER BY seq";
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                writes.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        writes.Should().ContainSingle("the instance that wrote second found the merchant and kept it").Which.Op.Should().Be("INSERT");
        var inserted = DateTimeOffset.Parse((string)JsonNode.Parse(writes[0].Doc)!["createdAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        inserted.Should().BeOneOf(EmulatorFactory.Start, EmulatorFactory.Start.AddHours(1));
        seen.Select(m => DateTimeOffset.Parse((string)m!["createdAt"]!, System.Globalization.CultureInfo.InvariantCulture)).Should().AllBeEquivalentTo(inserted, "both instances serve the first one's merchant");
    }

    private static async Task ExecuteAsync(Npgsql.NpgsqlConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> CountAsync(Npgsql.NpgsqlConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Two emulator processes on one database, started together, and a client for each.</summary>
    private sealed class TwoInstances(EmulatorProcess a, EmulatorProcess b) : IAsyncDisposable
    {
        public EmulatorProcess A { get; } = a;

        public EmulatorProcess B { get; } = b;

        public required HttpClient ClientA { get; init; }

        public required HttpClient ClientB { get; init; }

        public static async Task<TwoInstances> StartAsync(string dataA, string dataB, IReadOnlyDictionary<string, string> environment)
        {
            var started = await Task.WhenAll(EmulatorProcess.StartAsync(dataA, environment), EmulatorProcess.StartAsync(dataB, environment));
            return new TwoInstances(started[0].Process, started[1].Process)
            {
                ClientA = new HttpClient { BaseAddress = started[0].Http },
                ClientB = new HttpClient { BaseAddress = started[1].Http },
            };
        }

        public async ValueTask DisposeAsync()
        {
            ClientA.Dispose();
            ClientB.Dispose();
            await A.DisposeAsync();
            await B.DisposeAsync();
        }
    }

    /// <summary>
    /// A PostgreSQL server, two instances on one database of it, and a merchant registered through A whose notifications
    /// go to a receiver in the test; disposed in the reverse order.
    /// </summary>
    private sealed class OneMerchant(PostgresServer postgres, NotificationInbox receiver, TwoInstances two, TestMerchant merchant) : IAsyncDisposable
    {
        public TwoInstances Two { get; } = two;

        public NotificationInbox Receiver { get; } = receiver;

        public TestMerchant Merchant { get; } = merchant;

        public string Control => $"/_emulator/v1/merchants/{Merchant.ClientId}";

        public static async Task<OneMerchant> StartAsync(string dataA, string dataB, string database, TimeSpan? notificationTimeout = null)
        {
            var postgres = await PostgresServer.StartAsync();
            NotificationInbox? receiver = null;
            TwoInstances? two = null;
            try
            {
                var environment = new Dictionary<string, string> { ["Emulator__PostgresConnectionString"] = await postgres.CreateDatabaseAsync(database) };
                if (notificationTimeout is { } timeout)
                {
                    environment["Emulator__NotificationTimeout"] = timeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
                }

                receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey);
                two = await TwoInstances.StartAsync(dataA, dataB, environment);
                return new OneMerchant(postgres, receiver, two, await TestMerchant.CreateAsync(two.ClientA, receiver, Start));
            }
            catch
            {
                // What started is stopped, as the tests' own usings did before.
                if (two is not null)
                {
                    await two.DisposeAsync();
                }

                if (receiver is not null)
                {
                    await receiver.DisposeAsync();
                }

                await postgres.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Two.DisposeAsync();
            await Receiver.DisposeAsync();
            await postgres.DisposeAsync();
        }
    }

    /// <summary>CI installs PostgreSQL and sets EMULATOR_REQUIRE_POSTGRES=1, so there a missing server fails the test.</summary>
    public static void SkipUnlessPostgres() =>
        Skip.If(
            PostgresServer.FindBinaries() is null && Environment.GetEnvironmentVariable("EMULATOR_REQUIRE_POSTGRES") != "1",
            "PostgreSQL is not installed here (apt-get install postgresql, as .ci/run does)");
}
