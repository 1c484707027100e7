using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ContractTests.Notifications;

/// <summary>Signed delivery, acknowledgement rules and Antom's retry schedule (SPEC §1.5, §4.3, §10).</summary>
[Collection(EmulatorCollection.Name)]
public sealed class DeliveryTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Start = new(2027, 5, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Minutes after the first attempt at which Antom tries again: +2, +10, +10, +60, +120, +360, +900.</summary>
    private static readonly int[] AttemptMinutes = [0, 2, 12, 22, 82, 202, 562, 1462];

    /// <summary>
    /// An acknowledged notification is in the ledger once its subscription's chain is back, not once every chain sent
    /// with it is: a process killed while one receiver holds an answer then re-sends only what was still out.
    /// </summary>
    [Fact]
    public async Task AnAcknowledgedNotification_IsRecorded_WhileAnotherSubscriptionsAnswerIsStillOut()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var slow = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        var fast = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        var release = new TaskCompletionSource();
        m.Receiver.Answer = async r =>
        {
            if (r.IsPayment && r.SubscriptionId == slow && (string)r.Json["phaseNo"]! == "2")
            {
                await release.Task;
            }

            return (200, Emulator.Testing.NotificationInbox.Acknowledgement);
        };

        var advance = m.AdvanceAsync("P1M");
        string? status = null;
        try
        {
            // Both phase-2 payments are deducted at the same instant and sent together; the slow one's answer is held
            // well within the notification timeout (15 s).
            for (var wait = 0; wait < 100 && status != "acknowledged"; wait++)
            {
                await Task.Delay(50);
                status = (await m.NotificationsAsync($"?subscriptionId={fast}&kind=notifyPayment"))
                    .Where(n => ((string)n!["body"]!).Contains("\"phaseNo\":\"2\"", StringComparison.Ordinal)).Select(n => (string?)n!["status"]).SingleOrDefault();
            }
        }
        finally
        {
            release.TrySetResult();
            await advance;
        }

        status.Should().Be("acknowledged", "the fast subscription's phase 2 was acknowledged while the slow one's answer was held");
    }

    [Fact]
    public async Task Approve_DeliversCreateThenPhaseOne_SignedWithTheAntomKey()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        var received = m.Receiver.Received;

        received.Select(r => r.Path).Should().Equal("/antom/notify/subscription", "/antom/notify/payment");
        received.Should().OnlyContain(r => r.SignatureValid && r.Headers["client-id"] == m.Merchant.ClientId && r.NotificationId.StartsWith("ntf_"));
        received.Should().OnlyContain(r => r.Headers["content-type"] == "application/json; charset=UTF-8");
        received.Should().OnlyContain(r => !r.Headers.ContainsKey("traceparent"), "Antom's headers only, not .NET's trace context");
        var create = received[0].Json;
        create.Select(f => f.Key).Should().Equal("subscriptionRequestId", "subscriptionId", "subscriptionStatus", "subscriptionNotificationType", "subscriptionStartTime", "subscriptionEndTime", "periodRule");
        ((string)create["subscriptionId"]!).Should().Be(subscriptionId);
        ((string)create["subscriptionEndTime"]!).Should().Be("2099-12-31T23:59:59+08:00");
        create["periodRule"]!["periodCount"]!.GetValueKind().Should().Be(System.Text.Json.JsonValueKind.Number, "the SDK models parse periodCount as a number (SPEC §9)");
        DateTimeOffset.Parse(received[0].Headers["request-time"]).Should().Be(Start);
    }

    [Fact]
    public async Task Redeliver_WhileARunDeliversTheSameNotification_GoesOutAfterIt_SoItsAcknowledgementStands()
    {
        // The run's attempt is held by the receiver and then refused; a redelivery asked for meanwhile must not go out
        // beside it, or the run's refusal, recorded last, would turn the acknowledged notification back to pending. The
        // redeliver answers at once (it may come from a webhook handler that the run waits for); its attempt follows.
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var requestId = await m.CreateAsync(MerchantHarness.Body(Start));
        var arrivals = 0;
        var runAttemptArrived = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var redelivered = new TaskCompletionSource<bool>();
        m.Receiver.Answer = async _ =>
        {
            if (Interlocked.Increment(ref arrivals) > 1)
            {
                redelivered.TrySetResult(release.Task.IsCompleted);
                return (200, Emulator.Testing.NotificationInbox.Acknowledgement);
            }

            runAttemptArrived.TrySetResult();
            await release.Task;
            return (500, "{}");
        };
        var decline = m.Http.PostAsync($"{m.Control}/subscription-requests/{requestId}/decline", null);
        await runAttemptArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var notificationId = (string)(await m.NotificationsAsync("?kind=notifySubscription")).Single()!["notificationId"]!;

        var redeliver = await m.Http.PostAsync($"{m.Control}/notifications/{notificationId}/redeliver", null);
        release.TrySetResult();
        (await decline).EnsureSuccessStatusCode();
        var afterTheRun = await redelivered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await m.AdvanceAsync("PT1S"); // takes the merchant's turn after the redelivery, which holds it until its attempt is recorded
        var notice = (await m.NotificationsAsync("?kind=notifySubscription")).Single()!;

        redeliver.StatusCode.Should().Be(HttpStatusCode.Accepted, "answered while the run's attempt was still out");
        afterTheRun.Should().BeTrue("the redelivery went out only once the run delivering the same notification was done");
        ((string)notice["status"]!).Should().Be("acknowledged");
        notice["nextAttemptAt"].Should().BeNull("an acknowledged notification is not retried");
        notice["attempts"]!.AsArray().Select(a => (string)a!["outcome"]!).Should().Equal("rejected", "acknowledged");
    }

    /// <summary>
    /// An endpoint on HTTPS with a self-signed certificate is unreachable, as for Antom, whose sender trusts only
    /// certificates it can verify; the ledger says why and which setting lets a test environment deliver to it anyway.
    /// </summary>
    [Fact]
    public async Task SelfSignedHttpsEndpoint_IsUnreachable_SayingWhichSettingAcceptsIt()
    {
        await using var receiver = await HttpsReceiver.StartAsync();
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var body = MerchantHarness.Body(Start);
        body["subscriptionNotificationUrl"] = receiver.Url + "/antom/subscription";
        body["paymentNotificationUrl"] = receiver.Url + "/antom/payment";
        await m.CreateAndApproveAsync(body);

        var attempts = (await m.NotificationsAsync()).SelectMany(n => n!["attempts"]!.AsArray()).ToList();

        receiver.Url.Should().StartWith("https://127.0.0.1:");
        attempts.Should().HaveCount(2, "CREATE and phase 1, each tried once so far");
        attempts.Should().OnlyContain(a => (string)a!["outcome"]! == "unreachable");
        ((string)attempts[0]!["error"]!).Should().Contain("certificate").And.EndWith(
            "(Antom delivers only to an endpoint whose certificate it trusts; for a self-signed certificate in testing, start the emulator with Emulator:AcceptAnyNotificationCertificate=true)");
        receiver.Requests.Should().Be(0);
    }

    [Fact]
    public async Task SelfSignedHttpsEndpoint_WithAcceptAnyNotificationCertificate_IsAcknowledged()
    {
        await using var receiver = await HttpsReceiver.StartAsync();
        await using var trusting = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:AcceptAnyNotificationCertificate", "true"));
        await using var m = await MerchantHarness.StartAsync(trusting.CreateClient(), Start);
        var body = MerchantHarness.Body(Start);
        body["subscriptionNotificationUrl"] = receiver.Url + "/antom/subscription";
        body["paymentNotificationUrl"] = receiver.Url + "/antom/payment";
        await m.CreateAndApproveAsync(body);

        await m.AdvanceAsync("P1M");
        var ledger = await m.NotificationsAsync();

        ledger.Should().HaveCount(3, "CREATE, phase 1 and phase 2");
        ledger.Should().OnlyContain(n => (string)n!["status"]! == "acknowledged", string.Join("; ", ledger.SelectMany(n => n!["attempts"]!.AsArray()).Select(a => (string?)a!["error"])));
        receiver.Requests.Should().Be(3);
    }

    [Fact]
    public async Task ReceiverThatClosesAfterEachAnswer_Http10_IsAcknowledgedAtEveryFirstAttempt()
    {
        // Python's http.server answers HTTP/1.0 and closes: a connection kept for the next notification would be dead.
        await using var receiver = Http10Receiver.Start();
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        foreach (var _ in Enumerable.Range(0, 40))
        {
            var body = MerchantHarness.Body(Start);
            body["subscriptionNotificationUrl"] = receiver.Url + "/antom/subscription";
            body["paymentNotificationUrl"] = receiver.Url + "/antom/payment";
            await m.CreateAndApproveAsync(body);
        }

        await m.AdvanceAsync("P3M");
        var attempts = (await m.NotificationsAsync()).SelectMany(n => n!["attempts"]!.AsArray()).ToList();

        attempts.Should().HaveCount(40 * 5, "each subscription's CREATE and four phases, each acknowledged at its first attempt");
        attempts.Select(a => (string)a!["outcome"]!).Should().AllBe("acknowledged", string.Join("; ", attempts.Select(a => (string?)a!["error"]).OfType<string>().Distinct()));
        receiver.Requests.Should().Be(40 * 5);
    }

    [Fact]
    public async Task IdsAndTokens_RiseInTheOrderTheyAreMade_SoTheirIndexesGrowAtOneEnd()
    {
        // Not a rule of Antom's: the emulator's own storage locality (a random key dirties a random index page per row).
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var tokens = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var reply = await m.Client.CallAsync(m.Merchant, "create", MerchantHarness.Body(Start));
            reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
            tokens.Add(new Uri((string)reply.Json["normalUrl"]!).Segments[^1]);
        }

        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        await m.AdvanceAsync("P3M");

        tokens.Should().OnlyContain(t => t.Length == 32 && t.All(Uri.IsHexDigit)).And.BeInAscendingOrder(StringComparer.Ordinal);
        var ids = m.Receiver.Received.Where(r => r.SubscriptionId == subscriptionId).Select(r => r.NotificationId).ToList();
        ids.Should().HaveCount(5, "the create notice and phases 1 to 4").And.BeInAscendingOrder(StringComparer.Ordinal).And.OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task ReceiverDownFor20Hours_IsDeliveredOnTheRetryAfterItComesBack()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var up = Start.AddHours(20);
        m.Receiver.Answer = r => Task.FromResult(DateTimeOffset.Parse(r.Headers["request-time"]) < up ? (503, "down") : (200, NotificationInbox.Acknowledgement));
        var requestId = await m.CreateAsync(MerchantHarness.Body(Start));
        await m.Http.PostAsync($"{m.Control}/subscription-requests/{requestId}/decline", null);

        await m.AdvanceAsync("PT30H");
        var notification = (await m.NotificationsAsync()).Single()!;

        var times = m.Receiver.Received.Select(r => DateTimeOffset.Parse(r.Headers["request-time"])).ToList();
        times.Should().Equal(AttemptMinutes.Select(min => Start.AddMinutes(min)));
        ((string)notification["status"]!).Should().Be("acknowledged");
        notification["attempts"]!.AsArray().Select(a => (string)a!["outcome"]!).Should().Equal([.. Enumerable.Repeat("rejected", 7), "acknowledged"]);
        ((int)notification["attempts"]![0]!["httpStatus"]!).Should().Be(503);
        ((string)notification["attempts"]![0]!["responseBody"]!).Should().Be("down");
        m.Receiver.Received.Select(r => r.NotificationId).Distinct().Should().HaveCount(1, "a retry carries the same notification id");
    }

    [Fact]
    public async Task ReceiverDownFor25Hours_IsExhaustedAfterTheEighthAttempt()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        m.Receiver.Answer = _ => Task.FromResult((500, "{}"));
        var requestId = await m.CreateAsync(MerchantHarness.Body(Start));
        await m.Http.PostAsync($"{m.Control}/subscription-requests/{requestId}/decline", null);

        var events = await m.AdvanceAsync("PT25H");
        var notification = (await m.NotificationsAsync()).Single()!;

        m.Receiver.Received.Should().HaveCount(8);
        events.Where(e => (string)e!["type"]! == "notificationAttempt").Select(e => (int)e!["attempt"]!).Should().Equal([2, 3, 4, 5, 6, 7, 8], "the first attempt came with the decline itself");
        ((string)notification["status"]!).Should().Be("exhausted");
        notification["nextAttemptAt"].Should().BeNull();
        notification["attempts"]!.AsArray().Should().HaveCount(8);
    }

    [Theory]
    [InlineData(200, "{\"result\":{\"resultStatus\":\"F\"}}", "rejected")]
    [InlineData(200, "OK", "rejected")]
    [InlineData(201, NotificationInbox.Acknowledgement, "rejected")]
    [InlineData(200, "{\"result\":{\"resultCode\":\"SUCCESS\",\"resultStatus\":\"S\",\"resultMessage\":\"success\"}}", "acknowledged")]
    public async Task Acknowledgement_IsOnlyHttp200WithResultStatusS(int status, string body, string outcome)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        m.Receiver.Answer = _ => Task.FromResult((status, body));
        var requestId = await m.CreateAsync(MerchantHarness.Body(Start));

        await m.Http.PostAsync($"{m.Control}/subscription-requests/{requestId}/decline", null);
        var attempt = (await m.NotificationsAsync()).Single()!["attempts"]![0]!;

        ((string)attempt["outcome"]!).Should().Be(outcome);
        ((int)attempt["httpStatus"]!).Should().Be(status);
    }

    [Fact]
    public async Task UnreachableUrl_CountsAsAFailedAttempt()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var body = MerchantHarness.Body(Start);
        body["subscriptionNotificationUrl"] = "http://127.0.0.1:9/nobody-listens";
        var requestId = await m.CreateAsync(body);

        await m.Http.PostAsync($"{m.Control}/subscription-requests/{requestId}/decline", null);
        var notification = (await m.NotificationsAsync()).Single()!;

        ((string)notification["attempts"]![0]!["outcome"]!).Should().Be("unreachable");
        ((string)notification["status"]!).Should().Be("pending");
        DateTimeOffset.Parse((string)notification["nextAttemptAt"]!).Should().Be(Start.AddMinutes(2));
    }

    [Fact]
    public async Task Redeliver_SendsTheSameBodyAgainWithAFreshSignature()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        await m.AdvanceAsync("PT1H");
        var payment = (await m.NotificationsAsync("?kind=notifyPayment")).Single()!;

        var response = await m.Http.PostAsync($"{m.Control}/notifications/{(string)payment["notificationId"]!}/redeliver", null);
        var copies = m.Receiver.Received.Where(r => r.NotificationId == (string)payment["notificationId"]!).ToList();

        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        copies.Should().HaveCount(2);
        copies[1].RawBody.Should().Equal(copies[0].RawBody);
        copies[1].SignatureValid.Should().BeTrue();
        copies[1].Headers["request-time"].Should().NotBe(copies[0].Headers["request-time"]);
        ((string)payment["subscriptionId"]!).Should().Be(subscriptionId);
        var after = (await m.NotificationsAsync("?kind=notifyPayment")).Single()!;
        after["attempts"]!.AsArray().Select(a => (bool)a!["redelivery"]!).Should().Equal(false, true);
    }

    [Fact]
    public async Task Redeliver_UnknownNotification_Is404()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var response = await m.Http.PostAsync($"{m.Control}/notifications/ntf_nope/redeliver", null);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task SandboxRetries_MakeOneAttemptOnly()
    {
        await using var sandbox = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:NotificationRetries", "sandbox"));
        await using var m = await MerchantHarness.StartAsync(sandbox.CreateClient(), Start);
        m.Receiver.Answer = _ => Task.FromResult((500, "{}"));
        var requestId = await m.CreateAsync(MerchantHarness.Body(Start));

        await m.Http.PostAsync($"{m.Control}/subscription-requests/{requestId}/decline", null);
        await m.AdvanceAsync("P2D");
        var notification = (await m.NotificationsAsync()).Single()!;

        m.Receiver.Received.Should().HaveCount(1);
        ((string)notification["status"]!).Should().Be("exhausted");
    }

    [Fact]
    public async Task Notifications_FilterByKindSubscriptionAndStatus()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var one = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        await m.CreateAndApproveAsync(MerchantHarness.Body(Start));

        var payments = await m.NotificationsAsync("?kind=notifyPayment");
        var ofOne = await m.NotificationsAsync($"?subscriptionId={one}");
        var pending = await m.NotificationsAsync("?status=pending");

        payments.Should().HaveCount(2);
        ofOne.Select(n => (string)n!["kind"]!).Should().Equal("notifySubscription", "notifyPayment");
        pending.Should().BeEmpty();
        ((string)ofOne[0]!["body"]!).Should().Contain(one);
    }

    [Fact]
    public async Task NoAnswerWithinTheTimeout_IsATimeoutAttempt()
    {
        await using var impatient = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:NotificationTimeout", "00:00:00.300"));
        await using var m = await MerchantHarness.StartAsync(impatient.CreateClient(), Start);
        var release = new TaskCompletionSource();
        m.Receiver.Answer = async _ =>
        {
            await release.Task;
            return (200, NotificationInbox.Acknowledgement);
        };
        var requestId = await m.CreateAsync(MerchantHarness.Body(Start));

        await m.Http.PostAsync($"{m.Control}/subscription-requests/{requestId}/decline", null);
        release.SetResult();
        var attempt = (await m.NotificationsAsync()).Single()!["attempts"]![0]!;

        ((string)attempt["outcome"]!).Should().Be("timeout");
        ((string)attempt["error"]!).Should().Contain("no answer within 0.3 s");
    }

    [Fact]
    public async Task BackgroundLoop_RunsDueWorkOnTheWallClock()
    {
        var http = factory.CreateClient();
        await using var receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey);
        var merchant = await TestMerchant.CreateAsync(http, receiver);
        var body = MerchantHarness.Body(factory.Time.GetUtcNow());
        body["subscriptionExpiryTime"] = factory.Time.GetUtcNow().AddMinutes(1).ToString("yyyy-MM-dd'T'HH:mm:sszzz");
        await new AntomTestClient(http).CallAsync(merchant, "create", body);

        factory.Time.Advance(TimeSpan.FromMinutes(2));
        var notice = await receiver.WaitForAsync(r => !r.IsPayment, TimeSpan.FromSeconds(30));

        ((string)notice.Json["subscriptionNotificationType"]!).Should().Be("CREATE");
        ((string)notice.Json["subscriptionStatus"]!).Should().Be("TERMINATED");
    }

    [Fact]
    public async Task BackgroundLoop_TickDuringARunOfTheSameMerchant_IsNotLost()
    {
        // The test's clock moves only when the test moves it: a tick skipped because the merchant's run was still out
        // would leave the second request's expiry undone for good, since no other tick comes.
        var http = factory.CreateClient();
        await using var receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey);
        var firstArrived = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        receiver.Answer = async _ =>
        {
            if (firstArrived.TrySetResult())
            {
                await release.Task;
            }

            return (200, NotificationInbox.Acknowledgement);
        };
        var merchant = await TestMerchant.CreateAsync(http, receiver);
        var antom = new AntomTestClient(http);
        await antom.CallAsync(merchant, "create", ExpiringInAMinute());
        factory.Time.Advance(TimeSpan.FromMinutes(2));
        await firstArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var second = ExpiringInAMinute();
        (await antom.CallAsync(merchant, "create", second)).ResultCode.Should().Be("SUCCESS");
        factory.Time.Advance(TimeSpan.FromMinutes(2));
        var loop = factory.Services.GetServices<IHostedService>().OfType<Emulator.Scheduling.SchedulerLoop>().Single();
        for (var polls = 0; !loop.WillRunAgain(merchant.ClientId); polls++)
        {
            polls.Should().BeLessThan(1500, "a tick should find the first run still out within 30 s");
            await Task.Delay(20);
        }

        release.SetResult();

        var notice = await receiver.WaitForAsync(
            r => !r.IsPayment && (string?)r.Json["subscriptionRequestId"] == (string?)second["subscriptionRequestId"], TimeSpan.FromSeconds(30));
        ((string)notice.Json["subscriptionStatus"]!).Should().Be("TERMINATED");

        JsonObject ExpiringInAMinute()
        {
            var body = MerchantHarness.Body(factory.Time.GetUtcNow());
            body["subscriptionExpiryTime"] = factory.Time.GetUtcNow().AddMinutes(1).ToString("yyyy-MM-dd'T'HH:mm:sszzz");
            return body;
        }
    }

    [Fact]
    public async Task SlowMerchantEndpoint_DoesNotHoldBackAnotherMerchant()
    {
        await using var slow = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await using var fast = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var release = new TaskCompletionSource();
        var slowRequestId = await slow.CreateAsync(MerchantHarness.Body(Start));
        var fastRequestId = await fast.CreateAsync(MerchantHarness.Body(Start));
        slow.Receiver.Answer = async _ =>
        {
            await release.Task;
            return (200, NotificationInbox.Acknowledgement);
        };

        var slowDecision = slow.Http.PostAsync($"{slow.Control}/subscription-requests/{slowRequestId}/decline", null);
        var fastDecision = await fast.Http.PostAsync($"{fast.Control}/subscription-requests/{fastRequestId}/decline", null);
        var fastDelivered = fast.Receiver.Received.Count;
        var slowStillWaiting = !slowDecision.IsCompleted;
        release.SetResult();
        await slowDecision;

        fastDecision.StatusCode.Should().Be(HttpStatusCode.OK);
        fastDelivered.Should().Be(1);
        slowStillWaiting.Should().BeTrue();
    }

    /// <summary>
    /// A receiver that acknowledges with a charset .NET does not know: reading its answer threw out of the whole run, so
    /// the approval answered HTTP 500 after it was saved, no attempt of the batch was recorded, and the background
    /// loop sent the same notifications again every second.
    /// </summary>
    [Fact]
    public async Task AcknowledgementWithAnUnknownCharset_IsReadAsUtf8_AndTheRunGoesOn()
    {
        await using var receiver = Http10Receiver.Start("application/json; charset=bogus");
        var http = factory.CreateClient();
        var merchant = await TestMerchant.CreateAsync(http, "SANDBOX_T", true, receiver.Url, receiver.Url, Start);
        var body = MerchantHarness.Body(Start);
        (await new AntomTestClient(http).CallAsync(merchant, "create", body)).ResultCode.Should().Be("SUCCESS");

        var approve = await http.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscription-requests/{(string)body["subscriptionRequestId"]!}/approve", null);
        var advance = await http.PostAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}/clock/advance", new { by = "P1M" });
        var ledger = (await http.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/notifications"))!;

        approve.StatusCode.Should().Be(HttpStatusCode.OK);
        advance.StatusCode.Should().Be(HttpStatusCode.OK);
        ledger.Should().HaveCount(3, "CREATE, phase 1 and phase 2");
        ledger.Should().OnlyContain(n => (string)n!["status"]! == "acknowledged", "the answer is JSON: read as UTF-8, it is the acknowledgement");
    }

    /// <summary>
    /// A notification refused in the last minute of the year 9999 has no retry left in the calendar: working out its
    /// retry overflowed, the attempt was never recorded, and the run failed again every second.
    /// </summary>
    [Fact]
    public async Task NotificationRefusedAtTheEndOfTheCalendar_IsExhausted_NotRetriedForever()
    {
        var start = new DateTimeOffset(9999, 12, 30, 0, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        var body = MerchantHarness.Body(start);
        body["periodRule"] = new JsonObject { ["periodType"] = "DAY", ["periodCount"] = 1 };
        var subscriptionId = await m.CreateAndApproveAsync(body);
        await m.AdvanceToAsync(new DateTimeOffset(9999, 12, 31, 23, 59, 0, TimeSpan.Zero));
        m.Receiver.Answer = _ => Task.FromResult((500, "down"));

        var cancel = await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId, "TERMINATE"));
        var advance = await m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", new { by = "PT30S" });
        var notice = (await m.NotificationsAsync($"?subscriptionId={subscriptionId}&kind=notifySubscription")).Last()!;

        cancel.ResultCode.Should().Be("SUCCESS");
        advance.StatusCode.Should().Be(HttpStatusCode.OK, await advance.Content.ReadAsStringAsync());
        ((string)notice["status"]!).Should().Be("exhausted", "no retry fits in the calendar");
        notice["attempts"]!.AsArray().Should().ContainSingle();
    }

    /// <summary>
    /// An answer holding a NUL character: PostgreSQL could not store the attempt, so the approval answered HTTP 500
    /// after it was saved, and the background loop sent the notifications again every second.
    /// </summary>
    [Fact]
    public async Task AnswerWithANulCharacter_IsRecordedWithoutIt()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        m.Receiver.Answer = _ => Task.FromResult((200, NotificationInbox.Acknowledgement + "\u0000"));

        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        var ledger = await m.NotificationsAsync($"?subscriptionId={subscriptionId}");

        ledger.Should().HaveCount(2);
        ledger.Should().OnlyContain(n => ((string)n!["attempts"]![0]!["responseBody"]!).EndsWith("}\uFFFD", StringComparison.Ordinal));
    }

    /// <summary>
    /// A receiver that answers 200 with a body that never ends: the whole answer was read, however large (hundreds of
    /// megabytes in memory), and here until the notification timeout. Now a bounded start of it is read, and the attempt
    /// is rejected at once.
    /// </summary>
    [Fact]
    public async Task AnswerThatNeverEnds_IsReadOnlyInPart_AndRejectedAtOnce()
    {
        await using var receiver = Http10Receiver.Start(endless: true);
        var http = factory.CreateClient();
        var merchant = await TestMerchant.CreateAsync(http, "SANDBOX_T", true, receiver.Url, receiver.Url, Start);
        var body = MerchantHarness.Body(Start);
        (await new AntomTestClient(http).CallAsync(merchant, "create", body)).ResultCode.Should().Be("SUCCESS");

        var approve = await http.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscription-requests/{(string)body["subscriptionRequestId"]!}/approve", null);
        var ledger = (await http.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/notifications"))!;

        approve.StatusCode.Should().Be(HttpStatusCode.OK);
        var attempts = ledger.SelectMany(n => n!["attempts"]!.AsArray()).ToList();
        attempts.Should().HaveCount(2).And.OnlyContain(a => (string)a!["outcome"]! == "rejected" && (int)a["httpStatus"]! == 200, "the answer is not an acknowledgement, and was not waited for to its end");
    }
}
