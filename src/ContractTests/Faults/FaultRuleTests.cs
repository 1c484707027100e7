using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;
using Emulator.Persistence;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ContractTests.Faults;

/// <summary>Fault rules: counting, order, matching, deduction and delivery faults, scenarios (CONTROL-API.md "Faults").</summary>
[Collection(EmulatorCollection.Name)]
public sealed class FaultRuleTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Start = new(2027, 9, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task FailTwiceThenSucceed_AndSucceedTwiceThenFail()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await AddAsync(m, new { target = "create", resultCode = "RISK_REJECT", times = 2 });
        await AddAsync(m, new { target = "create", resultCode = "PROCESS_FAIL", skip = 2, times = 1 });

        var codes = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            codes.Add((await m.Client.CallAsync(m.Merchant, "create", MerchantHarness.Body(Start))).ResultCode);
        }

        codes.Should().Equal("RISK_REJECT", "RISK_REJECT", "SUCCESS", "SUCCESS", "PROCESS_FAIL", "SUCCESS");
    }

    /// <summary>
    /// A request answered before gets its first answer again (SPEC §3.12), so a rule's business F leaves a repeat alone
    /// and waits for a new request; the header on a repeat gets the first answer too. A create answered SUCCESS was
    /// answered RISK_REJECT on its retry while its subscription existed (found by the crash tests).
    /// </summary>
    [Fact]
    public async Task BusinessFault_OnARepeatOfAnAnsweredRequest_TheRepeatGetsItsFirstAnswer_TheRuleWaitsForANewOne()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var first = MerchantHarness.Body(Start);
        (await m.Client.CallAsync(m.Merchant, "create", first)).ResultCode.Should().Be("SUCCESS");
        await AddAsync(m, new { target = "create", resultCode = "RISK_REJECT", times = 1 });

        var repeat = await m.Client.CallAsync(m.Merchant, "create", first);
        var forced = await m.Client.SendAsync(new SignedRequest
        {
            Path = AntomTestClient.PathOf("create"),
            Body = System.Text.Encoding.UTF8.GetBytes(first.ToJsonString()),
            ClientId = m.Merchant.ClientId,
            Key = m.Merchant.PrivateKey,
            ExtraHeaders = new() { ["Emulator-Result-Code"] = "PROCESS_FAIL" },
        });
        var fresh = await m.Client.CallAsync(m.Merchant, "create", MerchantHarness.Body(Start));
        var rules = await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/faults");

        repeat.ResultCode.Should().Be("SUCCESS", "the same request again gets its first answer");
        forced.ResultCode.Should().Be("SUCCESS", "a forced code cannot make a repeat tell another story than its first answer");
        fresh.ResultCode.Should().Be("RISK_REJECT", "the rule was left for a new request");
        ((int)rules![0]!["remaining"]!).Should().Be(0);
    }

    [Fact]
    public async Task SeededChaos_HitsAboutTheShare_AndTheSameCallsForTheSameSeed()
    {
        async Task<List<string>> RunAsync(int seed)
        {
            await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
            await AddAsync(m, new { target = "create", resultCode = "RISK_REJECT", times = 0, probability = 0.3, seed });
            var codes = new List<string>();
            for (var i = 0; i < 60; i++)
            {
                codes.Add((await m.Client.CallAsync(m.Merchant, "create", MerchantHarness.Body(Start))).ResultCode);
            }

            return codes;
        }

        var first = await RunAsync(seed: 42);
        var again = await RunAsync(seed: 42);
        var other = await RunAsync(seed: 7);

        again.Should().Equal(first, "the same seed hits the same calls");
        other.Should().NotEqual(first);
        first.Count(c => c == "RISK_REJECT").Should().BeInRange(8, 30, "about 30 % of 60 calls");
        first.Should().OnlyContain(c => c == "RISK_REJECT" || c == "SUCCESS");
    }

    [Fact]
    public async Task Faults_ListWithRemainingCounts_DeleteOneOrAll()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var first = await AddAsync(m, new { target = "create", resultCode = "RISK_REJECT", times = 3 });
        await AddAsync(m, new { target = "cancel", resultCode = "PROCESS_FAIL", times = 0 });
        await m.Client.CallAsync(m.Merchant, "create", MerchantHarness.Body(Start));

        var listed = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/faults"))!;
        var deleteOne = await m.Http.DeleteAsync($"{m.Control}/faults/{(string)first["faultId"]!}");
        var afterOne = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/faults"))!;
        var deleteAll = await m.Http.DeleteAsync($"{m.Control}/faults");
        var afterAll = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/faults"))!;

        listed.Select(f => (int?)f!["remaining"]).Should().Equal(2, null);
        deleteOne.StatusCode.Should().Be(HttpStatusCode.NoContent);
        afterOne.Should().HaveCount(1);
        deleteAll.StatusCode.Should().Be(HttpStatusCode.NoContent);
        afterAll.Should().BeEmpty();
    }

    [Fact]
    public async Task Match_HitsOnlyTheNamedRequest()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var target = MerchantHarness.Body(Start);
        await AddAsync(m, new { target = "create", resultCode = "RISK_REJECT", times = 0, match = new { subscriptionRequestId = (string)target["subscriptionRequestId"]! } });

        var other = await m.Client.CallAsync(m.Merchant, "create", MerchantHarness.Body(Start));
        var hit = await m.Client.CallAsync(m.Merchant, "create", target);

        other.ResultCode.Should().Be("SUCCESS");
        hit.ResultCode.Should().Be("RISK_REJECT");
    }

    [Fact]
    public async Task Faults_AreScopedToTheirMerchant()
    {
        await using var one = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await using var two = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await AddAsync(one, new { target = "create", resultCode = "RISK_REJECT", times = 0 });

        var onTwo = await two.Client.CallAsync(two.Merchant, "create", MerchantHarness.Body(Start));

        onTwo.ResultCode.Should().Be("SUCCESS");
    }

    [Theory]
    [InlineData("{\"target\":\"notifyRefund\",\"resultCode\":\"RISK_REJECT\"}", "target must be one of")]
    [InlineData("{\"target\":\"refund\",\"resultCode\":\"REFUND_IN_PROCESS\",\"match\":{\"subscriptionId\":\"S1\"}}", "cannot apply to refund, whose request names no subscription")]
    [InlineData("{\"target\":\"create\",\"resultCode\":\"NOPE\"}", "is not a result code of create; allowed:")]
    [InlineData("{\"target\":\"create\",\"resultCode\":\"USER_BALANCE_NOT_ENOUGH\"}", "is not a result code of create")]
    [InlineData("{\"target\":\"create\",\"resultCode\":\"RISK_REJECT\",\"times\":-1}", "times must be 0")]
    [InlineData("{\"target\":\"create\",\"resultCode\":\"RISK_REJECT\",\"skip\":-2}", "skip must be 0")]
    [InlineData("{\"target\":\"create\",\"resultCode\":\"RISK_REJECT\",\"transport\":\"reset\"}", "exactly one of")]
    [InlineData("{\"target\":\"deduction\",\"transport\":\"reset\"}", "transport applies to the APIs (create, change, update, cancel, inquireSubscription")]
    [InlineData("{\"target\":\"create\",\"resultCode\":\"SUCCESS\"}", "resultCode SUCCESS is not a fault")]
    [InlineData("{\"target\":\"create\",\"transport\":\"delay\",\"delay\":\"PT0S\"}", "a transport delay must be longer than zero")]
    [InlineData("{\"target\":\"create\",\"resultCode\":\"RISK_REJECT\",\"match\":{\"requestId\":\"only-this\"}}", "the body's match.requestId is not a field of match, which takes subscriptionId, subscriptionRequestId, phaseNo and fromPhaseNo")]
    [InlineData("{\"target\":\"deduction\",\"resultCode\":\"USER_BALANCE_NOT_ENOUGH\",\"match\":{\"phase\":2}}", "match.phase is not a field of match")]
    [InlineData("{\"target\":\"create\",\"resultCode\":\"RISK_REJECT\",\"mtach\":{\"subscriptionRequestId\":\"only-this\"}}", "the body's mtach is not a field of a fault rule, which takes target, resultCode, transport, delivery, delay, times, skip, match, effect, probability and seed (a field ignored would widen the rule)")]
    [InlineData("{\"target\":\"notifyPayment\",\"delivery\":\"drop\",\"times\":0,\"probabilty\":0.2}", "the body's probabilty is not a field of a fault rule")]
    [InlineData("{\"target\":\"notifyPayment\",\"delivery\":\"drop\",\"tiems\":0}", "the body's tiems is not a field of a fault rule")]
    [InlineData("{\"target\":\"notifyPayment\",\"delivery\":\"explode\"}", "delivery applies to notifySubscription and notifyPayment and must be one of drop, duplicate, delay, reorder")]
    [InlineData("{\"target\":\"notifyPayment\",\"delivery\":\"delay\"}", "needs delay")]
    [InlineData("{\"target\":\"create\",\"transport\":\"delay\",\"delay\":\"5 seconds\"}", "ISO-8601 duration")]
    [InlineData("{\"target\":\"create\",\"resultCode\":\"UNKNOWN_EXCEPTION\",\"effect\":\"maybe\"}", "effect must be applied, notApplied or processing")]
    [InlineData("{\"target\":\"create\",\"resultCode\":\"RISK_REJECT\",\"probability\":1.5}", "probability must be between 0 and 1")]
    [InlineData("{\"target\":\"notifyPayment\",\"delivery\":\"drop\",\"probability\":\"NaN\"}", "probability must be between 0 and 1")]
    [InlineData("{\"target\":\"create\",\"transport\":\"delay\",\"delay\":\"P3M\"}", "at most PT1H")]
    [InlineData("{\"target\":\"create\",\"resultCode\":\"RISK_REJECT\",\"delay\":\"PT5S\"}", "delay applies to a delay fault (transport or delivery delay), and to a refund or a period's payment left processing")]
    [InlineData("{\"target\":\"create\",\"resultCode\":\"RISK_REJECT\",\"effect\":\"applied\"}", "it applies to a U result code or a timeout, reset or http500")]
    [InlineData("{\"target\":\"notifyPayment\",\"delivery\":\"drop\",\"effect\":\"applied\"}", "it applies to a U result code")]
    [InlineData("{\"target\":\"change\",\"resultCode\":\"PROCESS_FAIL\",\"match\":{\"phaseNo\":2}}", "apply to deduction and notifyPayment")]
    [InlineData("{\"target\":\"inquireSubscriptionList\",\"resultCode\":\"UNKNOWN_EXCEPTION\",\"match\":{\"subscriptionId\":\"S1\"}}", "cannot apply to inquireSubscriptionList")]
    [InlineData("{\"target\":\"notifySubscription\",\"delivery\":\"drop\",\"match\":{\"fromPhaseNo\":2}}", "apply to deduction and notifyPayment")]
    [InlineData("{\"target\":\"deduction\",\"resultCode\":\"USER_BALANCE_NOT_ENOUGH\",\"match\":{\"phaseNo\":0}}", "count phases from 1")]
    public async Task BadFault_IsProblem400SayingWhatIsAllowed(string body, string detail)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var response = await m.Http.PostAsync($"{m.Control}/faults", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await response.Content.ReadAsStringAsync()).Should().Contain(detail);
    }

    [Fact]
    public async Task DeductionFault_FailsThatPhase_SubscriptionStaysActive_NextPhaseAttempted()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        await AddAsync(m, new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", match = new { phaseNo = 2 } });

        var events = await m.AdvanceAsync("P2M");
        var payments = m.Payments(subscriptionId);
        var subscription = await m.SubscriptionAsync(subscriptionId);

        payments.Select(p => (string)p.Json["result"]!["resultStatus"]!).Should().Equal("S", "F", "S");
        var failed = payments[1].Json;
        ((string)failed["result"]!["resultCode"]!).Should().Be("USER_BALANCE_NOT_ENOUGH");
        failed.ContainsKey("paymentTime").Should().BeFalse();
        ((string)subscription["status"]!).Should().Be("ACTIVE");
        events.Should().Contain(e => (string)e!["type"]! == "deduction" && (int)e["phaseNo"]! == 2 && (string)e["resultCode"]! == "USER_BALANCE_NOT_ENOUGH" && (string)e["resultStatus"]! == "F");
    }

    [Fact]
    public async Task Drop_CountsAsAnUnacknowledgedAttempt_TheRetryDelivers()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await AddAsync(m, new { target = "notifySubscription", delivery = "drop" });
        var requestId = await m.CreateAsync(MerchantHarness.Body(Start));

        await m.Http.PostAsync($"{m.Control}/subscription-requests/{requestId}/decline", null);
        var afterDecline = m.Receiver.Received.Count;
        await m.AdvanceAsync("PT2M");
        var notification = (await m.NotificationsAsync()).Single()!;

        afterDecline.Should().Be(0);
        m.Receiver.Received.Should().HaveCount(1);
        notification["attempts"]!.AsArray().Select(a => (string)a!["outcome"]!).Should().Equal(["unreachable", "acknowledged"], "CONTROL-API.md's outcomes: a dropped attempt never reached the merchant");
        ((string)notification["attempts"]![0]!["error"]!).Should().StartWith("dropped by a delivery fault");
    }

    [Fact]
    public async Task Duplicate_DeliversTwiceWithTheSameNotificationId()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await AddAsync(m, new { target = "notifyPayment", delivery = "duplicate" });

        await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        var payments = m.Receiver.Received.Where(r => r.IsPayment).ToList();

        payments.Should().HaveCount(2);
        payments[0].NotificationId.Should().Be(payments[1].NotificationId);
        payments[1].RawBody.Should().Equal(payments[0].RawBody);
    }

    [Fact]
    public async Task Delay_DeliversLaterOnTheMerchantsClock()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await AddAsync(m, new { target = "notifyPayment", delivery = "delay", delay = "PT45M" });

        await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        var atApproval = m.Receiver.Received.Count(r => r.IsPayment);
        await m.AdvanceAsync("PT1H");
        var payment = m.Receiver.Received.Single(r => r.IsPayment);

        atApproval.Should().Be(0);
        DateTimeOffset.Parse(payment.Headers["request-time"]).Should().Be(Start.AddMinutes(45));
    }

    [Fact]
    public async Task Reorder_SendsNotifyPaymentBeforeCreate()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await AddAsync(m, new { target = "notifySubscription", delivery = "reorder" });

        await m.CreateAndApproveAsync(MerchantHarness.Body(Start));

        m.Receiver.Received.Select(r => r.IsPayment ? "payment" : (string)r.Json["subscriptionNotificationType"]!).Should().Equal("payment", "CREATE");
    }

    [Fact]
    public async Task Reorder_TheNotificationThatGoesFirst_IsStillDroppedByADropRule_AndTheHeldOneFollowsIt()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await AddAsync(m, new { target = "notifySubscription", delivery = "reorder" });
        await AddAsync(m, new { target = "notifyPayment", delivery = "drop" });

        await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        var afterApproval = m.Receiver.Received.Select(r => r.IsPayment ? "payment" : (string)r.Json["subscriptionNotificationType"]!).ToList();
        var payment = (await m.NotificationsAsync("?kind=notifyPayment")).Single()!;
        var faults = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/faults"))!;
        await m.AdvanceAsync("PT2M");

        afterApproval.Should().Equal(["CREATE"], "phase 1's payment went first and was dropped; the held CREATE went right after it");
        payment["attempts"]!.AsArray().Select(a => (string)a!["outcome"]!).Should().Equal(["unreachable"]);
        ((string)payment["attempts"]![0]!["error"]!).Should().StartWith("dropped by a delivery fault");
        faults.Select(f => (int?)f!["remaining"]).Should().Equal([0, 0], "both rules were used");
        m.Receiver.Received.Select(r => r.IsPayment ? "payment" : (string)r.Json["subscriptionNotificationType"]!).Should().Equal("CREATE", "payment");
    }

    [Fact]
    public async Task Reorder_LastNotification_IsHeldUntilTheNextOne()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        await AddAsync(m, new { target = "notifySubscription", delivery = "reorder" });

        await m.Client.CallAsync(m.Merchant, "change", Bodies.Change(subscriptionId));
        await m.AdvanceAsync("PT1H");
        var heldBack = m.Receiver.Received.Count;
        await m.AdvanceAsync("P1M");

        heldBack.Should().Be(2, "CREATE and phase 1 only: the CHANGE notice waits for the next notification");
        m.Receiver.Received.Skip(2).Select(r => r.IsPayment ? "payment" : (string)r.Json["subscriptionNotificationType"]!).Should().Equal("payment", "CHANGE");
    }

    [Fact]
    public async Task Scenarios_AreListedWithDescriptions_AndAppliedByName()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var scenarios = (await m.Http.GetFromJsonAsync<JsonArray>("/_emulator/v1/scenarios"))!;
        var unknown = await m.Http.PostAsync($"{m.Control}/scenarios/no-such-scenario", null);
        var applied = await m.Http.PostAsync($"{m.Control}/scenarios/renewals-insufficient-balance", null);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        await m.AdvanceAsync("P2M");

        scenarios.Select(s => (string)s!["name"]!).Should().Contain(["renewals-insufficient-balance", "flaky-webhook", "unknown-change", "rate-limited", "wrong-response-signature"]);
        scenarios.Should().OnlyContain(s => ((string)s!["description"]!).Length > 20);
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        applied.StatusCode.Should().Be(HttpStatusCode.OK);
        m.Payments(subscriptionId).Select(p => (string)p.Json["result"]!["resultCode"]!).Should().Equal("SUCCESS", "USER_BALANCE_NOT_ENOUGH", "USER_BALANCE_NOT_ENOUGH");
    }

    [Fact]
    public async Task Scenario_RenewalsInsufficientBalance_PaysEachFirstPeriod_FailsEachRenewal_WhenAppliedLate_Too()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var early = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        (await m.Http.PostAsync($"{m.Control}/scenarios/renewals-insufficient-balance", null)).EnsureSuccessStatusCode();
        var first = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        var second = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));

        await m.AdvanceAsync("P1M");

        foreach (var subscriptionId in new[] { early, first, second })
        {
            m.Payments(subscriptionId).Select(p => (string)p.Json["result"]!["resultCode"]!).Should().Equal(["SUCCESS", "USER_BALANCE_NOT_ENOUGH"], "its description: the first period is paid, every renewal fails");
        }
    }

    [Fact]
    public async Task Scenario_FileThatCannotBeUsed_IsListedWithItsProblem_RefusedWith400_OthersStillWork()
    {
        var fixtures = Directory.CreateTempSubdirectory("fixtures-").FullName;
        foreach (var file in Directory.GetFiles(Fixtures.Directory, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(fixtures, Path.GetRelativePath(Fixtures.Directory, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        File.WriteAllText(Path.Combine(fixtures, "scenarios", "broken.json"), "{ \"faults\": [ ");
        File.WriteAllText(Path.Combine(fixtures, "scenarios", "bad-rule.json"), """{"description":"a rule that is not valid","faults":[{"target":"create","resultCode":"NOPE"}]}""");
        File.WriteAllText(Path.Combine(fixtures, "scenarios", "null-rule.json"), """{"description":"a null rule","faults":[null]}""");
        File.WriteAllText(Path.Combine(fixtures, "scenarios", "misspelt-match.json"), """{"description":"phase instead of phaseNo","faults":[{"target":"deduction","resultCode":"USER_BALANCE_NOT_ENOUGH","times":0,"match":{"phase":2}}]}""");
        File.WriteAllText(Path.Combine(fixtures, "scenarios", "misspelt-rule.json"), """{"description":"probabilty","faults":[{"target":"notifyPayment","delivery":"drop","times":0,"probabilty":0.2}]}""");
        File.WriteAllText(Path.Combine(fixtures, "scenarios", "misspelt-file.json"), """{"description":"fault for faults","fault":[{"target":"create","resultCode":"RISK_REJECT"}]}""");
        File.WriteAllText(Path.Combine(fixtures, "scenarios", "local-time.json"), """{"description":"a time without offset","clock":{"frozenAt":"2027-01-01T00:00:00"},"faults":[]}""");
        File.WriteAllText(Path.Combine(fixtures, "scenarios", "rate-zero.json"), """{"description":"a clock that would not move","clock":{"rate":0},"faults":[]}""");
        File.WriteAllText(Path.Combine(fixtures, "scenarios", "rate-and-freeze.json"), """{"description":"both","clock":{"freeze":true,"rate":60},"faults":[]}""");
        await using var configured = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:FixturesDirectory", fixtures));
        var http = configured.CreateClient();
        var control = $"/_emulator/v1/merchants/{Fixtures.DefaultClientId}";

        var list = await http.GetAsync("/_emulator/v1/scenarios");
        var broken = await http.PostAsync($"{control}/scenarios/broken", null);
        var badRule = await http.PostAsync($"{control}/scenarios/bad-rule", null);
        var good = await http.PostAsync($"{control}/scenarios/flaky-webhook", null);
        await http.DeleteAsync($"{control}/faults");

        list.StatusCode.Should().Be(HttpStatusCode.OK);
        var scenarios = (await list.Content.ReadFromJsonAsync<JsonArray>())!;
        scenarios.Single(s => (string)s!["name"]! == "broken")!["problem"]!.ToString().Should().Contain("cannot be read");
        scenarios.Single(s => (string)s!["name"]! == "flaky-webhook")!["problem"].Should().BeNull();
        scenarios.Single(s => (string)s!["name"]! == "null-rule")!["problem"]!.ToString().Should().Contain("fault 1: null is not a fault rule");
        scenarios.Single(s => (string)s!["name"]! == "local-time")!["problem"]!.ToString().Should().Contain("with an offset");
        scenarios.Single(s => (string)s!["name"]! == "rate-zero")!["problem"]!.ToString().Should().EndWith("cannot be applied: clock.rate must be a whole number from 1 to 1000000 (got 0)");
        scenarios.Single(s => (string)s!["name"]! == "rate-and-freeze")!["problem"]!.ToString().Should().Contain("a rate makes the clock tick");
        scenarios.Single(s => (string)s!["name"]! == "misspelt-match")!["problem"]!.ToString()
            .Should().EndWith("cannot be read: faults[0].match.phase is not a field of match, which takes subscriptionId, subscriptionRequestId, phaseNo and fromPhaseNo (a field ignored would widen the rule)");
        scenarios.Single(s => (string)s!["name"]! == "misspelt-rule")!["problem"]!.ToString()
            .Should().EndWith("cannot be read: faults[0].probabilty is not a field of a fault rule, which takes target, resultCode, transport, delivery, delay, times, skip, match, effect, probability and seed (a field ignored would widen the rule)");
        scenarios.Single(s => (string)s!["name"]! == "misspelt-file")!["problem"]!.ToString()
            .Should().EndWith("cannot be read: fault is not a field of a scenario file, which takes description, clock and faults");
        broken.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        badRule.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badRule.Content.ReadAsStringAsync()).Should().Contain("fault 1: resultCode 'NOPE' is not a result code of create");
        good.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("change")]
    [InlineData("cancel")]
    public async Task ApiFault_MatchingTheSubscriptionsRequestId_HitsACallThatNamesItsSubscriptionId(string api)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var body = MerchantHarness.Body(Start);
        var subscriptionId = await m.CreateAndApproveAsync(body);
        var other = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        await AddAsync(m, new { target = api, resultCode = "PROCESS_FAIL", times = 0, match = new { subscriptionRequestId = (string)body["subscriptionRequestId"]! } });

        var call = api == "change" ? Bodies.Change(subscriptionId) : Bodies.Cancel(subscriptionId);
        var otherCall = api == "change" ? Bodies.Change(other) : Bodies.Cancel(other);
        var hit = await m.Client.CallAsync(m.Merchant, api, call);
        var missed = await m.Client.CallAsync(m.Merchant, api, otherCall);

        hit.ResultCode.Should().Be("PROCESS_FAIL", "the rule names the subscription by the request id that created it");
        missed.ResultCode.Should().Be("SUCCESS");
    }

    /// <summary>
    /// A held notification whose next one is already queued but not due yet (here delayed by an hour) goes out right
    /// after it, at its time: not alone and earlier, and not a month later with the next renewal.
    /// </summary>
    [Fact]
    public async Task Reorder_WhenTheNextNotificationIsDueLater_GoesOutRightAfterIt()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await AddAsync(m, new { target = "notifyPayment", delivery = "delay", delay = "PT1H" });
        var refusedOnce = false;
        m.Receiver.Answer = n => Task.FromResult(!n.IsPayment && !refusedOnce && (refusedOnce = true) ? (500, "{}") : (200, NotificationInbox.Acknowledgement));
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        await AddAsync(m, new { target = "notifySubscription", delivery = "reorder" });
        await m.AdvanceAsync("PT5M");
        var heldAt5Minutes = m.Receiver.Received.Count;

        await m.AdvanceAsync("PT2H");

        heldAt5Minutes.Should().Be(1, "the CREATE's first attempt only: its retry is held behind phase 1's payment, delayed to the hour");
        var after = m.Receiver.Received.Skip(1).ToList();
        after.Select(n => n.Kind).Should().Equal(["notifyPayment", "notifySubscription"], "the held CREATE goes out right after the payment");
        after.Select(n => DateTimeOffset.Parse(n.Headers["request-time"], System.Globalization.CultureInfo.InvariantCulture)).Should().Equal([Start.AddHours(1), Start.AddHours(1)]);
        (await m.NotificationsAsync()).Should().OnlyContain(n => (string)n!["status"]! == "acknowledged");
    }

    /// <summary>A held notification redelivered by hand, without success, still goes out after the next one.</summary>
    [Fact]
    public async Task Reorder_HeldNotificationWhoseRedeliveryFails_StillGoesOutAfterTheNextOne()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        await AddAsync(m, new { target = "notifyPayment", delivery = "reorder" });
        await m.AdvanceAsync("P1M");
        var held = (await m.NotificationsAsync("?kind=notifyPayment")).Single(n => (string)n!["status"]! == "pending")!;
        m.Receiver.Answer = _ => Task.FromResult((500, "{}"));
        (await m.Http.PostAsync($"{m.Control}/notifications/{(string)held["notificationId"]!}/redeliver", null)).EnsureSuccessStatusCode();
        m.Receiver.Answer = null;

        await m.AdvanceAsync("P1M");

        m.Payments(subscriptionId).Select(p => (string)p.Json["phaseNo"]!).Should().EndWith(["3", "2"], "phase 2, held, goes out right after phase 3");
        (await m.NotificationsAsync("?kind=notifyPayment")).Should().HaveCount(3).And.OnlyContain(n => (string)n!["status"]! == "acknowledged");
    }

    /// <summary>
    /// A held notification says so in the ledger: pending without a next attempt looked stuck to a merchant's test
    /// waiting for it (found by a Python merchant's walkthrough).
    /// </summary>
    [Fact]
    public async Task Reorder_HeldNotification_IsHeldBackInTheLedger_UntilItGoesOut()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await AddAsync(m, new { target = "notifyPayment", delivery = "reorder" });
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));

        var whileHeld = await m.NotificationsAsync($"?subscriptionId={subscriptionId}");
        await m.AdvanceAsync("P1M");
        var afterwards = await m.NotificationsAsync($"?subscriptionId={subscriptionId}&kind=notifyPayment");

        var held = whileHeld.Single(n => (string)n!["kind"]! == "notifyPayment")!;
        ((string)held["status"]!).Should().Be("pending");
        held["nextAttemptAt"].Should().BeNull();
        ((bool)held["heldBack"]!).Should().BeTrue("phase 1's notifyPayment waits for phase 2's");
        ((bool)whileHeld.Single(n => (string)n!["kind"]! == "notifySubscription")!["heldBack"]!).Should().BeFalse();
        afterwards.Should().HaveCount(2).And.OnlyContain(n => !(bool)n!["heldBack"]! && (string)n["status"]! == "acknowledged");
    }

    [Fact]
    public async Task Reorder_ThatRepeats_SwapsPairs()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await AddAsync(m, new { target = "notifyPayment", delivery = "reorder", times = 0 });
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));

        await m.AdvanceAsync("P3M");

        m.Payments(subscriptionId).Select(p => (string)p.Json["phaseNo"]!).Should().Equal(["2", "1", "4", "3"], "each held notification goes out after the next one, which is not held itself");
    }

    [Theory]
    [InlineData("decline")]
    [InlineData("TERMINATE")]
    [InlineData("CANCEL")]
    public async Task Reorder_OfASubscriptionsLastNotification_GoesOutWhenTheSubscriptionEnds(string how)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var body = MerchantHarness.Body(Start);
        string subscriptionId;
        if (how == "decline")
        {
            await AddAsync(m, new { target = "notifySubscription", delivery = "reorder" });
            var requestId = await m.CreateAsync(body);
            await m.Http.PostAsync($"{m.Control}/subscription-requests/{requestId}/decline", null);
            subscriptionId = (string)(await m.NotificationsAsync("?kind=notifySubscription")).Single()!["subscriptionId"]!;
        }
        else
        {
            subscriptionId = await m.CreateAndApproveAsync(body);
            await AddAsync(m, new { target = "notifySubscription", delivery = "reorder" });
            (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId, how))).ResultCode.Should().Be("SUCCESS");
        }

        await m.AdvanceAsync("P2M");
        var last = (await m.NotificationsAsync($"?kind=notifySubscription&subscriptionId={subscriptionId}")).Last()!;

        ((string)last["status"]!).Should().Be("acknowledged", "nothing can come after a subscription's end, so what it held goes out then");
        if (how == "CANCEL")
        {
            DateTimeOffset.Parse((string)last["attempts"]![0]!["at"]!, System.Globalization.CultureInfo.InvariantCulture).Should().Be(Start.AddMonths(1), "held until the paid phase ends and the subscription with it");
        }
    }

    /// <summary>
    /// A rule is used up in the transaction that stores the call's outcome: when that write fails (here a trigger
    /// refuses the merchant's idempotency rows, as a database gone away would), the call is answered
    /// <c>UNKNOWN_EXCEPTION</c>, the rule keeps its use, and the merchant's retry with the same request id is faulted.
    /// A kept business F and a U that takes effect both store the request id's answer.
    /// </summary>
    [Theory]
    [InlineData("RISK_REJECT", null)]
    [InlineData("REQUEST_TRAFFIC_EXCEED_LIMIT", "applied")]
    public async Task ApiFault_WhenTheCallsWriteFails_IsNotUsedUp_TheRetryIsFaulted(string code, string? effect)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await AddAsync(m, new { target = "create", resultCode = code, effect, times = 1 });
        var body = MerchantHarness.Body(Start);

        AntomReply failed;
        await using (await RefusedWrites.OfAsync(factory.Services.GetRequiredService<Database>(), m.Merchant.ClientId))
        {
            failed = await m.Client.CallAsync(m.Merchant, "create", body);
        }

        var afterFailure = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/faults"))!;
        var retry = await m.Client.CallAsync(m.Merchant, "create", body);
        var afterRetry = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/faults"))!;
        var subscriptions = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions"))!;

        failed.ResultCode.Should().Be("UNKNOWN_EXCEPTION", "the call's write failed: {0}", failed.ResultMessage);
        ((int)afterFailure.Single()!["remaining"]!).Should().Be(1, "the call whose outcome was not stored did not use the rule");
        retry.ResultCode.Should().Be(code, "the retry meets the rule the failed call left");
        ((int)afterRetry.Single()!["remaining"]!).Should().Be(0);
        subscriptions.Should().HaveCount(effect == "applied" ? 1 : 0);
    }

    [Fact]
    public async Task RuleWithThreeUses_ManyConcurrentCalls_ExactlyThreeAreHit()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await AddAsync(m, new { target = "create", resultCode = "RISK_REJECT", times = 3 });

        var replies = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => m.Client.CallAsync(m.Merchant, "create", MerchantHarness.Body(Start))));
        var rules = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/faults"))!;

        replies.Count(r => r.ResultCode == "RISK_REJECT").Should().Be(3);
        replies.Count(r => r.ResultCode == "SUCCESS").Should().Be(21);
        ((int)rules.Single()!["remaining"]!).Should().Be(0);
    }

    [Fact]
    public async Task Scenario_UnknownChange_RetryWithTheSameIdSucceeds()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        await m.Http.PostAsync($"{m.Control}/scenarios/unknown-change", null);
        var change = Bodies.Change(subscriptionId);

        var first = await m.Client.CallAsync(m.Merchant, "change", change);
        var retry = await m.Client.CallAsync(m.Merchant, "change", change);

        first.ResultCode.Should().Be("UNKNOWN_EXCEPTION");
        retry.ResultCode.Should().Be("SUCCESS");
    }

    [Fact]
    public async Task Scenario_SandboxPace_RunsTheClock14400TimesAsFastAsTheWall()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var applied = await m.Http.PostAsync($"{m.Control}/scenarios/sandbox-pace", null);
        factory.Time.Advance(TimeSpan.FromSeconds(1));
        var clock = await m.Http.GetFromJsonAsync<JsonObject>($"{m.Control}/clock");
        await m.Http.PostAsync($"{m.Control}/clock/freeze", null); // not left running in the shared host

        applied.StatusCode.Should().Be(HttpStatusCode.OK);
        ((bool)clock!["frozen"]!).Should().BeFalse();
        ((long)clock["rate"]!).Should().Be(14400);
        DateTimeOffset.Parse((string)clock["now"]!).Should().Be(Start.AddHours(4), "it ticks on from where it stood, a wall second being 4 hours");
    }

    [Fact]
    public async Task StartupScenarios_AreAppliedAtStart()
    {
        await using var configured = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:StartupScenarios:0", $"{Fixtures.DefaultClientId}:rate-limited"));
        var http = configured.CreateClient();

        var faults = (await http.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{Fixtures.DefaultClientId}/faults"))!;
        await http.DeleteAsync($"/_emulator/v1/merchants/{Fixtures.DefaultClientId}/faults");

        faults.Should().Contain(f => (string)f!["resultCode"]! == "REQUEST_TRAFFIC_EXCEED_LIMIT" && (string)f["target"]! == "create");
    }

    private static async Task<JsonObject> AddAsync(MerchantHarness m, object fault)
    {
        var response = await m.Http.PostAsJsonAsync($"{m.Control}/faults", fault);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, text);
        return JsonNode.Parse(text)!.AsObject();
    }
}
