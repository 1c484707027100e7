using System.Net.Http.Json;
using ContractTests.Hosting;
using Emulator.Testing;

namespace ContractTests.Harness;

/// <summary>The merchant test kit (src/Emulator.Testing) beyond the README's example (<see cref="ReadmeExampleTests"/>).</summary>
public sealed class KitTests
{
    [Fact]
    public async Task CreateMerchant_Refused_ThrowsWithWhatToFix()
    {
        await using var emulator = await AntomEmulator.StartAsync();

        var refused = async () => await emulator.CreateMerchantAsync(clientId: new string('X', 65));

        (await refused.Should().ThrowAsync<InvalidOperationException>()).WithMessage("*answered 400*clientId must be at most 64 characters*");
    }

    /// <summary>
    /// A client id may hold any printable ASCII but space and '/': unescaped in a control path, '#' or '?' cut it short,
    /// so the kit registered (or replaced) another merchant and every call after that missed it.
    /// </summary>
    [Fact]
    public async Task CreateMerchant_ClientIdWithUrlCharacters_IsThatMerchantInEveryCall()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var merchant = await emulator.CreateMerchantAsync(clientId: "SANDBOX_TEAM#1?x=%41", frozenAt: start);
        var body = Support.MerchantHarness.Body(start);

        var created = await merchant.CallAsync("create", body);
        var approved = await merchant.ApproveAsync((string)body["subscriptionRequestId"]!);
        var subscription = await merchant.SubscriptionAsync((string)approved["subscriptionId"]!);
        var scenario = await merchant.ApplyScenarioAsync("flaky-webhook");
        var stray = await emulator.Http.GetAsync("/_emulator/v1/merchants/SANDBOX_TEAM");

        created.ResultCode.Should().Be("SUCCESS", "the merchant the kit registered is the one whose id it signs with");
        ((string)subscription["status"]!).Should().Be("ACTIVE");
        scenario.Should().NotBeEmpty();
        stray.StatusCode.Should().Be(System.Net.HttpStatusCode.NotFound, "no merchant named by the id cut short at '#' was made");
    }

    /// <summary>
    /// A test notification from the kit reaches the merchant's inbox signed as a real one, and the kit returns what the
    /// emulator sent and how the endpoint answered; a request the emulator refuses throws with what to fix.
    /// </summary>
    [Fact]
    public async Task Kit_SendTestNotification_ReachesTheInboxSigned_AndTellsWhatWasSent()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        await using var merchant = await emulator.CreateMerchantAsync(frozenAt: new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));

        var sent = await merchant.SendTestNotificationAsync(new { kind = "notifyPayment", resultCode = "USER_BALANCE_NOT_ENOUGH" });
        var received = await merchant.WaitForNotificationAsync(n => n.IsPayment, TimeSpan.FromSeconds(10));
        var refused = async () => await merchant.SendTestNotificationAsync(new { kind = "notifyRefund" });

        ((string)sent["outcome"]!).Should().Be("acknowledged");
        received.SignatureValid.Should().BeTrue();
        received.ResultCode.Should().Be("USER_BALANCE_NOT_ENOUGH");
        ((string)sent["body"]!).Should().Be(System.Text.Encoding.UTF8.GetString(received.RawBody));
        ((string)sent["signedContent"]!).Should().StartWith($"POST {received.Path}\n{merchant.ClientId}.");
        (await merchant.NotificationLedgerAsync()).Should().BeEmpty("a test notification is not in the ledger");
        (await refused.Should().ThrowAsync<InvalidOperationException>()).WithMessage("*answered 400*kind must be notifySubscription or notifyPayment*");
    }

    /// <summary>
    /// The kit reference's rule that "fails a renewal" (docs/test-kit.md), added where a test arranges it, before the
    /// buyer approves: without a <c>match</c> it failed the first period's payment instead, and the renewal went through.
    /// </summary>
    [Fact]
    public async Task Kit_TransactionDetails_IsTheDaysReportOnTheMerchantsClock()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var merchant = await emulator.CreateMerchantAsync(frozenAt: start);
        var subscriptionId = await merchant.SubscribeAsync(Support.MerchantHarness.Body(start));

        var today = await merchant.TransactionDetailsAsync();
        var tomorrow = await merchant.TransactionDetailsAsync(new DateOnly(2027, 1, 2));

        today.Split('\n').Should().HaveCount(4, "a header, the first period's payment, <END>, and the empty string after the last line break")
            .And.Subject.ElementAt(1).Should().Contain(subscriptionId).And.Contain(",PAYMENT,2027-01-01T00:00:00+00:00,199.00,PHP,");
        tomorrow.Should().StartWith("customerId,PSP,transactionId,").And.EndWith("orderDescription\n<END>\n");
    }

    [Fact]
    public async Task Kit_SettlementReports_AreTheBatchThatSettlesTheNextDay()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var merchant = await emulator.CreateMerchantAsync(frozenAt: start);
        var subscriptionId = await merchant.SubscribeAsync(Support.MerchantHarness.Body(start));

        var details = await merchant.SettlementDetailsAsync(new DateOnly(2027, 1, 2));
        var summary = await merchant.SettlementSummaryAsync(new DateOnly(2027, 1, 2), "PHP");
        var today = await merchant.SettlementSummaryAsync();

        var lines = details.Split('\n');
        lines.Should().HaveCount(4, "a header, the first period's payment, <END>, and the empty string after the last line break");
        lines[1].Should().MatchRegex("^20270102[0-9]{11},").And.Contain(subscriptionId)
            .And.Contain(",PAYMENT,2027-01-01T00:00:00+00:00,2027-01-02T00:00:00+00:00,199.00,PHP,199.00,PHP,,,0.00,PHP,", "settled the next day, without a fee by default");
        summary.Split('\n')[1].Should().Be($"{lines[1][..19]},{merchant.ClientId},GCASH,TOTAL,2027-01-02T00:00:00+00:00,1,199.00,PHP,0.00,PHP,{string.Join(",", Enumerable.Repeat("0.00,PHP", 8))}");
        today.Should().StartWith("settlementBatchId,customerId,PSP,summaryType,").And.EndWith("acquirerMarkupCurrency\n<END>\n", "nothing settles on the day of the first payment");
    }

    [Fact]
    public async Task Kit_ReferencesRenewalFault_AddedBeforeApproval_FailsTheFirstRenewal()
    {
        var reference = File.ReadAllText(Path.Combine(Path.GetDirectoryName(Support.Fixtures.Directory)!, "docs", "test-kit.md"));
        var shown = System.Text.RegularExpressions.Regex.Match(reference, @"`merchant\.AddFaultAsync\((new \{ target = ""deduction"".*?\})\)` fails a\s+renewal").Groups[1].Value;
        await using var emulator = await AntomEmulator.StartAsync();
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var merchant = await emulator.CreateMerchantAsync(frozenAt: start);
        var body = Support.MerchantHarness.Body(start);
        await merchant.AddFaultAsync(new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", match = new { fromPhaseNo = 2 } });
        (await merchant.CallAsync("create", body)).ResultCode.Should().Be("SUCCESS");
        var subscriptionId = (string)(await merchant.ApproveAsync((string)body["subscriptionRequestId"]!))["subscriptionId"]!;

        await merchant.AdvanceAsync("P1M");
        var phases = (await merchant.SubscriptionAsync(subscriptionId))["phases"]!.AsArray();

        shown.Should().Be("""new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", match = new { fromPhaseNo = 2 } }""", "the kit reference shows the rule this test adds");
        phases.Select(p => $"{p!["phaseNo"]} {p["resultCode"]}").Should().Equal("1 SUCCESS", "2 USER_BALANCE_NOT_ENOUGH");
    }

    [Fact]
    public async Task Kit_RunsTheMerchantsHandler_AndForcesResultCodes()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        await using var merchant = await emulator.CreateMerchantAsync(frozenAt: new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var handled = new List<string>();
        merchant.Inbox!.Handler = n =>
        {
            handled.Add(n.Kind);
            return Task.CompletedTask;
        };
        var body = new
        {
            subscriptionRequestId = "shop/order%2F43",
            subscriptionDescription = "Basic",
            subscriptionRedirectUrl = "https://merchant.example/done",
            subscriptionStartTime = "2027-01-01T00:00:00+00:00",
            periodRule = new { periodType = "WEEK", periodCount = 1 },
            paymentMethod = new { paymentMethodType = "TNG" },
            paymentAmount = new { currency = "MYR", value = "990" },
            orderInfo = new { orderAmount = new { currency = "MYR", value = "990" } },
            env = new { terminalType = "APP", osType = "ANDROID" },
        };

        var rejected = await merchant.CallAsync("create", body with { subscriptionRequestId = "shop/order%2F42" }, forceResultCode: "RISK_REJECT");
        var rejectedAgain = await merchant.CallAsync("create", body with { subscriptionRequestId = "shop/order%2F42" });
        var created = await merchant.CallAsync("create", body);
        await merchant.ApproveAsync("shop/order%2F43");

        rejected.ResultCode.Should().Be("RISK_REJECT");
        rejectedAgain.ResultCode.Should().Be("RISK_REJECT", "an F is final for its request id, injected or not: a new purchase needs a new id");
        rejectedAgain.SignatureValid.Should().BeTrue();
        created.Json.ContainsKey("schemeUrl").Should().BeTrue();
        handled.Should().Equal("notifySubscription", "notifyPayment");
    }

    [Fact]
    public async Task Kit_DrivesTheClockFaultsLedgerAndJournal_AndARefusalSaysWhy()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        await using var merchant = await emulator.CreateMerchantAsync();
        var at = new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.Zero);

        var frozen = await merchant.FreezeClockAsync(at);
        var faults = await merchant.ApplyScenarioAsync("rate-limited");
        var refused = await merchant.CallAsync("create", new { subscriptionRequestId = "kit-1" });
        await merchant.DeleteFaultsAsync();
        var calls = await merchant.ApiCallsAsync();
        var resumed = await merchant.ResumeClockAsync();
        var faster = await merchant.ResumeClockAsync(14400);
        var unknown = () => merchant.ApplyScenarioAsync("no-such-scenario");

        DateTimeOffset.Parse((string)frozen["now"]!).Should().Be(at);
        faults.Should().HaveCount(1);
        refused.ResultCode.Should().Be("REQUEST_TRAFFIC_EXCEED_LIMIT");
        calls.Select(c => (string)c!["resultCode"]!).Should().Equal("REQUEST_TRAFFIC_EXCEED_LIMIT");
        ((bool)resumed["frozen"]!).Should().BeFalse();
        ((long)resumed["rate"]!).Should().Be(1);
        ((long)faster["rate"]!).Should().Be(14400);
        (await unknown.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("404").And.Contain("no-such-scenario");
    }

    /// <summary>A merchant's test of its refund polling: a refund left processing, then failed when the test says so.</summary>
    [Fact]
    public async Task Kit_LeavesARefundProcessing_AndSettlesIt()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var merchant = await emulator.CreateMerchantAsync(frozenAt: start);
        var create = Support.Bodies.Create(start);
        (await merchant.CallAsync("create", create)).ResultCode.Should().Be("SUCCESS");
        var subscription = await merchant.ApproveAsync((string)create["subscriptionRequestId"]!);
        var paymentId = (string)(await merchant.SubscriptionAsync((string)subscription["subscriptionId"]!))["phases"]![0]!["paymentId"]!;
        await merchant.AddFaultAsync(new { target = "refund", resultCode = "REFUND_IN_PROCESS", effect = "processing" });
        var refund = Support.Bodies.Refund(paymentId, "100");

        var taken = await merchant.CallAsync("refund", refund);
        var pending = await merchant.CallAsync("inquiryRefund", new { refundRequestId = (string)refund["refundRequestId"]! });
        var settled = await merchant.SettleRefundAsync((string)pending.Json["refundId"]!, "FAIL");
        var failed = await merchant.CallAsync("inquiryRefund", new { refundRequestId = (string)refund["refundRequestId"]! });

        taken.ResultCode.Should().Be("REFUND_IN_PROCESS");
        ((string)pending.Json["refundStatus"]!).Should().Be("PROCESSING");
        ((string)settled["status"]!).Should().Be("FAIL");
        ((string)failed.Json["refundStatus"]!).Should().Be("FAIL");
    }

    /// <summary>A merchant's test of an update during a renewal: the payment under way, then settled by the test.</summary>
    [Fact]
    public async Task Kit_LeavesARenewalUnderWay_AndSettlesIt()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var merchant = await emulator.CreateMerchantAsync(frozenAt: start);
        var create = Support.MerchantHarness.Body(start);
        (await merchant.CallAsync("create", create)).ResultCode.Should().Be("SUCCESS");
        var subscriptionId = (string)(await merchant.ApproveAsync((string)create["subscriptionRequestId"]!))["subscriptionId"]!;
        await merchant.AddFaultAsync(new { target = "deduction", resultCode = "PAYMENT_IN_PROCESS", effect = "processing", match = new { phaseNo = 2 } });

        var events = await merchant.AdvanceAsync("P1M");
        var paymentId = (string)events.Single(e => (string)e!["type"]! == "paymentProcessing")!["paymentId"]!;
        var update = await merchant.CallAsync("update", new { subscriptionUpdateRequestId = "kit-upd-1", subscriptionId, subscriptionDescription = "Gold" });
        var settled = await merchant.SettlePaymentAsync(paymentId, "SUCCESS");
        var notified = await merchant.WaitForNotificationAsync(n => n.IsPayment && (string)n.Json["phaseNo"]! == "2");

        update.ResultCode.Should().Be("UPDATE_FORBIDDEN_DURING_PAYMENT");
        ((string)settled["resultCode"]!).Should().Be("SUCCESS");
        ((string)notified.Json["paymentId"]!).Should().Be(paymentId);
    }

    /// <summary>The typed views: an advance's deductions, a notification's fields, and the waits for one by its type or period.</summary>
    [Fact]
    public async Task Kit_TypedViews_ReadTheAdvanceAndTheNotifications()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var merchant = await emulator.CreateMerchantAsync(frozenAt: start);
        await merchant.AddFaultAsync(new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", match = new { phaseNo = 3 } });
        var subscriptionId = await merchant.SubscribeAsync(Support.MerchantHarness.Body(start, value: "29900"));

        var events = await merchant.AdvanceAsync("P2M");
        var created = await merchant.WaitForSubscriptionNotificationAsync("CREATE", subscriptionId);
        var third = await merchant.WaitForPaymentAsync(3, subscriptionId);

        events.Deductions().Select(d => (d.PhaseNo, d.AmountValue, d.Currency, d.ResultCode, d.ResultStatus)).Should().Equal(
            (2, "29900", "PHP", "SUCCESS", "S"), (3, "29900", "PHP", "USER_BALANCE_NOT_ENOUGH", "F"));
        events.Deductions().Should().OnlyContain(d => d.SubscriptionId == subscriptionId && d.At > start && d.PaymentId != null);
        events.NotificationAttempts().Should().HaveCount(2).And.OnlyContain(a => a.Kind == "notifyPayment" && a.Outcome == "acknowledged" && a.HttpStatus == 200 && a.Attempt == 1);
        events.StateChanges().Should().BeEmpty();
        (created.SubscriptionStatus, created.PhaseNo, created.PaymentId).Should().Be(("ACTIVE", null, null));
        (third.PhaseNo, third.ResultCode, third.AmountValue, third.PaymentId, third.SubscriptionNotificationType).Should().Be(
            (3, "USER_BALANCE_NOT_ENOUGH", "29900", events.Deductions()[1].PaymentId, null));
    }

    /// <summary>
    /// The typed views of the control API's answers: a subscription's phases (paid, failed) and refunds, and the ledger's
    /// notifications with every attempt and the answer it got.
    /// </summary>
    [Fact]
    public async Task Kit_TypedViews_ReadTheSubscriptionAndTheLedger()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var merchant = await emulator.CreateMerchantAsync(frozenAt: start);
        await merchant.AddFaultAsync(new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", match = new { phaseNo = 2 } });
        var subscriptionId = await merchant.SubscribeAsync(Support.MerchantHarness.Body(start, value: "29900"));
        var answers = 0;
        merchant.Inbox!.Answer = n => Task.FromResult(n.IsPayment && n.PhaseNo == 2 && ++answers == 1 ? (503, "busy") : (200, """{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}"""));

        await merchant.AdvanceAsync("P1M");
        var paid = (await merchant.SubscriptionAsync(subscriptionId)).AsSubscription().Phase(1)!;
        (await merchant.CallAsync("refund", Support.Bodies.Refund(paid.PaymentId, "1000"))).ResultCode.Should().Be("SUCCESS");
        var subscription = (await merchant.SubscriptionAsync(subscriptionId)).AsSubscription();
        var ledger = (await merchant.NotificationLedgerAsync()).AsNotifications();

        (subscription.SubscriptionId, subscription.Status, subscription.PeriodType, subscription.PeriodCount, subscription.AmountValue, subscription.Currency, subscription.StartTime)
            .Should().Be((subscriptionId, "ACTIVE", "MONTH", 1, "29900", "PHP", start));
        subscription.Phases.Select(p => (p.PhaseNo, p.AmountValue, p.ResultStatus, p.ResultCode, p.Succeeded, p.PaymentTime.HasValue)).Should().Equal(
            (1, "29900", "S", "SUCCESS", true, true), (2, "29900", "F", "USER_BALANCE_NOT_ENOUGH", false, false));
        subscription.Phase(2)!.PeriodStartTime.Should().Be(start.AddMonths(1));
        subscription.Phase(3).Should().BeNull();
        subscription.PaidUntil.Should().Be(start.AddMonths(1));
        subscription.Refunds.Should().ContainSingle().Which.Should().Match<EmulatedRefund>(r => r.PaymentId == paid.PaymentId && r.PhaseNo == 1 && r.AmountValue == "1000" && r.Status == "SUCCESS" && r.RefundId.Length > 0);
        ledger.Select(n => (n.Kind, n.SubscriptionNotificationType, n.PhaseNo, n.ResultCode, n.Status)).Should().Equal(
            ("notifySubscription", "CREATE", null, null, "acknowledged"),
            ("notifyPayment", null, 1, "SUCCESS", "acknowledged"),
            ("notifyPayment", null, 2, "USER_BALANCE_NOT_ENOUGH", "acknowledged"));
        ledger[2].Attempts.Select(a => (a.Attempt, a.Outcome, a.HttpStatus, a.ResponseBody)).Should().Equal((1, "rejected", 503, "busy"), (2, "acknowledged", 200, """{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}"""));
        ledger[2].Attempts[1].At.Should().Be(ledger[2].Attempts[0].At.AddMinutes(2), "Antom's schedule retries 2 minutes after the first failed attempt");
        ledger.Should().OnlyContain(n => n.SubscriptionId == subscriptionId && n.NextAttemptAt == null && n.Url.StartsWith("http"));
    }

    /// <summary>A notification a reorder fault holds reads as held back in the typed ledger, not as stuck.</summary>
    [Fact]
    public async Task Kit_TypedLedger_SaysWhichNotificationAReorderFaultHoldsBack()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var merchant = await emulator.CreateMerchantAsync(frozenAt: start);
        await merchant.AddFaultAsync(new { target = "notifyPayment", delivery = "reorder" });
        await merchant.SubscribeAsync(Support.MerchantHarness.Body(start));

        var ledger = (await merchant.NotificationLedgerAsync()).AsNotifications();

        ledger.Select(n => (n.Kind, n.Status, n.HeldBack)).Should().Equal(("notifySubscription", "acknowledged", false), ("notifyPayment", "pending", true));
    }

    /// <summary>
    /// One emulator for the test process: the same one to every caller, still answering after a caller disposed of it,
    /// and the merchants a test made up on it deleted when the test disposes of them (it outlives them all).
    /// </summary>
    [Fact]
    public async Task Kit_SharedEmulator_IsOneForTheProcess_OutlivesItsUsers_AndDeletesTheMerchantsTheyMadeUp()
    {
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var first = await AntomEmulator.SharedAsync();
        string clientId;
        string subscriptionId;
        await using (first)
        {
            await using var merchant = await first.CreateMerchantAsync(frozenAt: start);
            clientId = merchant.ClientId;
            subscriptionId = await merchant.SubscribeAsync(Support.MerchantHarness.Body(start));
            (await merchant.WaitForPaymentAsync(1, subscriptionId)).SignatureValid.Should().BeTrue();
        }

        var both = await Task.WhenAll(AntomEmulator.SharedAsync(), AntomEmulator.SharedAsync());
        await using var second = both[0];
        var health = await second.Http.GetAsync("/_emulator/v1/health");
        var deleted = await second.Http.GetAsync($"/_emulator/v1/merchants/{clientId}");

        both.Should().AllSatisfy(e => e.Should().BeSameAs(first));
        health.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, "disposing of the shared emulator does not stop it");
        deleted.StatusCode.Should().Be(System.Net.HttpStatusCode.NotFound, "the merchant the test made up is deleted with it");
    }

    [Fact]
    public async Task Kit_SubscribeAsync_CreateRefused_ThrowsWithTheResult()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var merchant = await emulator.CreateMerchantAsync(frozenAt: start);
        var body = Support.MerchantHarness.Body(start);
        body.Remove("periodRule");

        var subscribe = async () => await merchant.SubscribeAsync(body);

        (await subscribe.Should().ThrowAsync<InvalidOperationException>()).WithMessage($"create {body["subscriptionRequestId"]} was answered PARAM_ILLEGAL (F): *periodRule*");
    }

    [Fact]
    public async Task Kit_CallWithoutAnAntomAnswer_SaysWhy_InsteadOfThrowing()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        await using var merchant = await emulator.CreateMerchantAsync(frozenAt: new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await merchant.AddFaultAsync(new { target = "inquireSubscriptionList", transport = "timeout" });
        await merchant.AddFaultAsync(new { target = "inquireSubscriptionList", transport = "reset" });
        await merchant.AddFaultAsync(new { target = "inquireSubscriptionList", transport = "http500" });

        var timedOut = await merchant.CallAsync("inquireSubscriptionList", new { }, timeout: TimeSpan.FromMilliseconds(300));
        var reset = await merchant.CallAsync("inquireSubscriptionList", new { });
        var serverError = await merchant.CallAsync("inquireSubscriptionList", new { });
        var answered = await merchant.CallAsync("inquireSubscriptionList", new { });

        timedOut.NoAnswer.Should().Be("no answer within 0.3 s");
        reset.NoAnswer.Should().StartWith("the connection failed: ");
        serverError.NoAnswer.Should().StartWith("HTTP 500 with a body that is not Antom's result envelope (Internal Server Error");
        serverError.Invoking(r => r.ResultCode).Should().Throw<InvalidOperationException>().WithMessage("the call got no Antom answer: HTTP 500*");
        answered.NoAnswer.Should().BeNull();
        answered.ResultCode.Should().Be("SUCCESS");
    }

    [Fact]
    public async Task Kit_HandlerThatThrows_IsAnsweredWith500_AndAWaitThatTimesOutSaysSo()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        await using var merchant = await emulator.CreateMerchantAsync(frozenAt: new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
        merchant.Inbox!.Handler = n => n.IsPayment ? throw new InvalidOperationException("no such order") : Task.CompletedTask;
        var body = new
        {
            subscriptionRequestId = "kit-throws",
            subscriptionDescription = "Basic",
            subscriptionRedirectUrl = "https://merchant.example/done",
            subscriptionStartTime = "2027-01-01T00:00:00+00:00",
            periodRule = new { periodType = "MONTH", periodCount = 1 },
            paymentMethod = new { paymentMethodType = "GCASH" },
            paymentAmount = new { currency = "PHP", value = "19900" },
            orderInfo = new { orderAmount = new { currency = "PHP", value = "19900" } },
            env = new { terminalType = "WEB" },
        };
        (await merchant.CallAsync("create", body)).ResultCode.Should().Be("SUCCESS");
        await merchant.ApproveAsync("kit-throws");

        var wait = () => merchant.WaitForNotificationAsync(n => n.IsPayment, TimeSpan.FromMilliseconds(300));
        var ledger = await merchant.NotificationLedgerAsync();

        // The clock is frozen: the retry never comes, and the wait says why the payment did not count.
        (await wait.Should().ThrowAsync<TimeoutException>())
            .WithMessage("*notifyPayment phase 1 SUCCESS (the Handler threw InvalidOperationException: no such order; answered HTTP 500, so the emulator retries it)*")
            .WithInnerException<InvalidOperationException>().WithMessage("no such order");
        merchant.Inbox.Received.Single(n => n.IsPayment).HandlerError!.Message.Should().Be("no such order");
        ledger.Single(n => (string)n!["kind"]! == "notifyPayment")!["attempts"]![0]!["httpStatus"]!.GetValue<int>().Should().Be(500);
    }

    [Fact]
    public async Task Kit_WaitThatTimesOut_SaysWhatDidArrive()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        await using var merchant = await emulator.CreateMerchantAsync();

        var wait = () => merchant.WaitForNotificationAsync(n => n.Path.Contains("refund", StringComparison.Ordinal), TimeSpan.FromMilliseconds(300));

        (await wait.Should().ThrowAsync<TimeoutException>()).Which.Message.Should().Contain("the inbox received 0: none");
    }

    /// <summary>
    /// A wait for a CANCEL that never came listed what did come by path only ("/antom/notify/subscription,
    /// /antom/notify/payment"): the test could not see that a CREATE and phase 1 came instead.
    /// </summary>
    [Fact]
    public async Task Kit_WaitThatTimesOut_NamesWhatArrivedByTypeAndPhase()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var merchant = await emulator.CreateMerchantAsync(frozenAt: start);
        var body = Support.MerchantHarness.Body(start);
        (await merchant.CallAsync("create", body)).ResultCode.Should().Be("SUCCESS");
        await merchant.ApproveAsync((string)body["subscriptionRequestId"]!);

        var wait = () => merchant.WaitForNotificationAsync(n => (string?)n.Json["subscriptionNotificationType"] == "CANCEL", TimeSpan.FromMilliseconds(300));

        (await wait.Should().ThrowAsync<TimeoutException>()).Which.Message.Should()
            .EndWith("the inbox received 2: notifySubscription CREATE/ACTIVE, notifyPayment phase 1 SUCCESS");
    }

    /// <summary>A query on the base URL (a tenant, a token) is kept on both URLs: it was appended to the path, which lost its folder.</summary>
    [Theory]
    [InlineData("http://127.0.0.1:9/antom", "")]
    [InlineData("http://127.0.0.1:9/antom/", "")]
    [InlineData("http://127.0.0.1:9/antom?tenant=acme&token=a%2Fb", "?tenant=acme&token=a%2Fb")]
    [InlineData("http://127.0.0.1:9/antom/?tenant=acme", "?tenant=acme")]
    public async Task Kit_NotificationBaseUrl_WithOrWithoutTheFinalSlash_KeepsItsLastSegment_AndItsQuery(string baseUrl, string query)
    {
        await using var emulator = await AntomEmulator.StartAsync();
        await using var merchant = await emulator.CreateMerchantAsync(notificationBaseUrl: new Uri(baseUrl));

        var registered = await emulator.Http.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>($"/_emulator/v1/merchants/{merchant.ClientId}");

        ((string)registered!["subscriptionNotificationUrl"]!).Should().Be("http://127.0.0.1:9/antom/notify/subscription" + query);
        ((string)registered["paymentNotificationUrl"]!).Should().Be("http://127.0.0.1:9/antom/notify/payment" + query);
    }

    [Fact]
    public async Task Kit_ConnectsToARunningEmulator()
    {
        var data = Directory.CreateTempSubdirectory("emulator-kit-").FullName;
        var (process, baseUri, _) = await EmulatorProcess.StartAsync(data);
        try
        {
            await using var emulator = AntomEmulator.Connect(baseUri);
            string clientId;
            await using (var merchant = await emulator.CreateMerchantAsync(frozenAt: new DateTimeOffset(2027, 6, 1, 0, 0, 0, TimeSpan.Zero)))
            {
                clientId = merchant.ClientId;
                var body = Support.MerchantHarness.Body(new DateTimeOffset(2027, 6, 1, 0, 0, 0, TimeSpan.Zero));

                (await merchant.CallAsync("create", body)).ResultCode.Should().Be("SUCCESS");
                await merchant.DeclineAsync((string)body["subscriptionRequestId"]!);
                var notice = await merchant.WaitForNotificationAsync(n => n.Kind == "notifySubscription");

                ((string)notice.Json["subscriptionStatus"]!).Should().Be("TERMINATED");
            }

            await using (await emulator.CreateMerchantAsync(clientId: "SANDBOX_KEPTBYTHETEST"))
            {
            }

            (await emulator.Http.GetAsync($"/_emulator/v1/merchants/{clientId}")).StatusCode.Should().Be(System.Net.HttpStatusCode.NotFound,
                "a merchant whose id the kit made up is deleted with it, so runs do not pile merchants up on a running emulator");
            (await emulator.Http.GetAsync("/_emulator/v1/merchants/SANDBOX_KEPTBYTHETEST")).StatusCode.Should().Be(System.Net.HttpStatusCode.OK,
                "one the test named is kept");

            var outlived = await emulator.CreateMerchantAsync();
            await emulator.DisposeAsync();
            var disposeAfterItsEmulator = async () => await outlived.DisposeAsync();
            await disposeAfterItsEmulator.Should().NotThrowAsync("a test's usings may dispose of the emulator first");
        }
        finally
        {
            await process.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }
}
