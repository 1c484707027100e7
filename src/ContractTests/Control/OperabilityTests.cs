using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Control;

/// <summary>Metrics in Prometheus format and the dashboard's pages over plain HTTP.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class OperabilityTests(EmulatorFactory factory)
{
    [Fact]
    public async Task Metrics_CountApiCallsDeductionsAttemptsAndOutboxDepth()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await m.CreateAndApproveAsync(MerchantHarness.Body(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel("20270101190000000000000000000000009"));

        var response = await m.Http.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        text.Should().MatchRegex("emulator_api_calls_total\\{api=\"create\",result_code=\"SUCCESS\"\\} [1-9]")
            .And.MatchRegex("emulator_api_calls_total\\{api=\"cancel\",result_code=\"SUBSCRIPTION_NOT_EXIST\"\\} [1-9]")
            .And.MatchRegex("emulator_deductions_total\\{result_status=\"S\",result_code=\"SUCCESS\"\\} [1-9]")
            .And.MatchRegex("emulator_notification_attempts_total\\{kind=\"notifyPayment\",outcome=\"acknowledged\"\\} [1-9]")
            .And.MatchRegex("emulator_outbox_depth [0-9]");
    }

    [Fact]
    public async Task Metrics_OutboxDepth_IsTheNumberOfNotificationsStillToBeAcknowledged()
    {
        // An emulator of its own: the depth counts every merchant's notifications.
        await using var isolated = new EmulatorFactory();
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(isolated.CreateClient(), start);
        var unreachable = MerchantHarness.Body(start);
        unreachable["subscriptionNotificationUrl"] = "http://127.0.0.1:9/nobody-listens";
        await m.Http.PostAsync($"{m.Control}/subscription-requests/{await m.CreateAsync(unreachable)}/decline", null);
        await m.Http.PostAsync($"{m.Control}/subscription-requests/{await m.CreateAsync(MerchantHarness.Body(start))}/decline", null);

        var text = await m.Http.GetStringAsync("/metrics");

        text.Should().MatchRegex("(?m)^emulator_outbox_depth 1$", "one notice waits for its retry; the other was acknowledged");
    }

    [Fact]
    public async Task Dashboard_ListsMerchants_AndShowsAMerchantsSubscriptions()
    {
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(start));

        var merchants = await m.Http.GetStringAsync("/_emulator/ui");
        var merchant = await m.Http.GetStringAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}?status=ACTIVE");
        var cancelledOnly = await m.Http.GetStringAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}?status=CANCELLED");
        var unknown = await m.Http.GetAsync("/_emulator/ui/merchants/SANDBOX_NOBODY");

        merchants.Should().Contain(m.Merchant.ClientId);
        merchant.Should().Contain(subscriptionId).And.Contain("2027-01-01 00:00:00 +00:00 (frozen)");
        cancelledOnly.Should().NotContain(subscriptionId);
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    /// <summary>A newcomer opening the dashboard learns where to point an integration; a scenario is a click away.</summary>
    [Fact]
    public async Task Dashboard_IndexSaysHowToConnect_AndTheMerchantPageAppliesAScenario()
    {
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        var self = $"/_emulator/ui/merchants/{m.Merchant.ClientId}";

        var index = await m.Http.GetStringAsync("/_emulator/ui");
        var page = await m.Http.GetStringAsync(self);
        var applied = await m.Http.PostAsync($"{self}/scenarios", new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = "rate-limited" }));
        var create = await m.Client.CallAsync(m.Merchant, "create", MerchantHarness.Body(start));
        var unknown = await m.Http.PostAsync($"{self}/scenarios", new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = "no-such-scenario" }));

        index.Should().Contain("Gateway URL of your Antom client: <code>http://localhost</code>")
            .And.Contain("href=\"/_emulator/v1/keys\"").And.Contain("href=\"/_emulator/api-reference\"").And.Contain(">Scenarios</a>");
        page.Should().Contain("<option value=\"rate-limited\"");
        applied.StatusCode.Should().Be(HttpStatusCode.OK);
        (await applied.Content.ReadAsStringAsync()).Should().Contain("REQUEST_TRAFFIC_EXCEED_LIMIT", "the form's redirect shows the rules the scenario added");
        create.ResultCode.Should().Be("REQUEST_TRAFFIC_EXCEED_LIMIT");
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await unknown.Content.ReadAsStringAsync()).Should().Contain("No scenario 'no-such-scenario'");
    }

    [Fact]
    public async Task Dashboard_FaultRules_SayWhichAreUsedUp_AndShowAmountsInMajorUnits()
    {
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "create", resultCode = "RISK_REJECT" })).EnsureSuccessStatusCode();
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", times = 2 })).EnsureSuccessStatusCode();
        (await m.Client.CallAsync(m.Merchant, "create", MerchantHarness.Body(start))).ResultCode.Should().Be("RISK_REJECT");
        await m.CreateAndApproveAsync(MerchantHarness.Body(start));

        var page = await m.Http.GetStringAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}");

        page.Should().Contain("<h2>Fault rules</h2>").And.NotContain("in force");
        page.Should().Contain("<td>0 (used up)</td>", "the RISK_REJECT rule hit its one create").And.Contain("<td>1</td>", "one deduction fault of two is left");
        page.Should().Contain("199.00 PHP").And.NotContain("19900 PHP");
    }

    [Fact]
    public async Task Dashboard_AddFaultForm_TakesASkipAndAnAppliedEffect()
    {
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        var self = $"/_emulator/ui/merchants/{m.Merchant.ClientId}";
        var form = await m.Http.GetStringAsync(self);

        var added = await m.Http.PostAsync($"{self}/faults", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["target"] = "create", ["kind"] = "resultCode", ["value"] = "UNKNOWN_EXCEPTION", ["times"] = "1", ["skip"] = "1", ["effect"] = "applied",
        }));
        var badSkip = await m.Http.PostAsync($"{self}/faults", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["target"] = "create", ["kind"] = "resultCode", ["value"] = "RISK_REJECT", ["skip"] = "-1",
        }));
        var processing = await m.Http.PostAsync($"{self}/faults", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["target"] = "refund", ["kind"] = "resultCode", ["value"] = "REFUND_IN_PROCESS", ["times"] = "1", ["delay"] = "PT1H", ["effect"] = "processing",
        }));
        var passed = await m.Client.CallAsync(m.Merchant, "create", MerchantHarness.Body(start));
        var body = MerchantHarness.Body(start);
        var unknown = await m.Client.CallAsync(m.Merchant, "create", body);
        var retried = await m.Client.CallAsync(m.Merchant, "create", body);

        form.Should().Contain("name=\"skip\"").And.Contain("name=\"effect\" value=\"applied\"");
        added.StatusCode.Should().Be(HttpStatusCode.OK);
        (await added.Content.ReadAsStringAsync()).Should().Contain("UNKNOWN_EXCEPTION (applied)", "the form's redirect shows the merchant's rules");
        (await badSkip.Content.ReadAsStringAsync()).Should().Contain("skip must be a whole number");
        form.Should().Contain("name=\"effect\" value=\"processing\"");
        (await processing.Content.ReadAsStringAsync()).Should().Contain("REFUND_IN_PROCESS PT1H (processing)", "a refund left processing for an hour");
        passed.ResultCode.Should().Be("SUCCESS", "skip 1 lets the first create through");
        unknown.ResultStatus.Should().Be("U");
        retried.ResultCode.Should().Be("SUCCESS", "the effect was applied: the create took place, and its retry gets the first answer");
    }

    [Fact]
    public async Task Dashboard_AddFaultForm_NarrowsARuleToOneSubscriptionsPhase_WithAProbability()
    {
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        var self = $"/_emulator/ui/merchants/{m.Merchant.ClientId}";
        var target = await m.CreateAndApproveAsync(MerchantHarness.Body(start));
        var other = await m.CreateAndApproveAsync(MerchantHarness.Body(start));
        HttpContent Form(string phaseNo, string probability) => new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["target"] = "deduction", ["kind"] = "resultCode", ["value"] = "USER_BALANCE_NOT_ENOUGH", ["times"] = "0",
            ["subscriptionId"] = target, ["phaseNo"] = phaseNo, ["probability"] = probability,
        });

        var added = await m.Http.PostAsync($"{self}/faults", Form("2", "1"));
        var badProbability = await m.Http.PostAsync($"{self}/faults", Form("2", "half"));
        var outOfRange = await m.Http.PostAsync($"{self}/faults", Form("2", "1.5"));
        var phaseZero = await m.Http.PostAsync($"{self}/faults", Form("0", "1"));
        await m.AdvanceAsync("P2M");
        var phases = (await m.SubscriptionAsync(target))["phases"]!.AsArray();
        var otherPhases = (await m.SubscriptionAsync(other))["phases"]!.AsArray();

        (await added.Content.ReadAsStringAsync()).Should().Contain($"subscription {target}, phase 2, probability 1");
        (await badProbability.Content.ReadAsStringAsync()).Should().Contain("probability must be a number between 0 and 1");
        (await outOfRange.Content.ReadAsStringAsync()).Should().Contain("probability must be between 0 and 1");
        (await phaseZero.Content.ReadAsStringAsync()).Should().Contain("count phases from 1");
        (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/faults"))!.Should().HaveCount(1, "only the good form added a rule");
        phases.Select(p => (string?)p!["resultCode"]).Should().Equal("SUCCESS", "USER_BALANCE_NOT_ENOUGH", "SUCCESS");
        otherPhases.Select(p => (string?)p!["resultCode"]).Should().OnlyContain(code => code == "SUCCESS", "the rule names another subscription");
    }

    /// <summary>What the dashboard's forms and filters get wrong is a 400 or 404 page, never a 500 or a silent default.</summary>
    [Fact]
    public async Task Dashboard_BadInput_IsAPageSayingWhat()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var self = $"/_emulator/ui/merchants/{m.Merchant.ClientId}";
        static HttpContent Raw(string form) => new StringContent(form, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");

        var nul = await m.Http.PostAsync($"{self}/clock/advance", Raw("by=P1Y%00"));
        var crowded = await m.Http.PostAsync($"{self}/faults", Raw(string.Join("&", Enumerable.Range(0, 1100).Select(i => $"f{i}=1"))));
        var times = await m.Http.PostAsync($"{self}/faults", Raw("target=create&kind=resultCode&value=RISK_REJECT&times=abc"));
        var redeliver = await m.Http.PostAsync($"{self}/notifications/ntf_nope/redeliver", Raw("back=x"));
        var status = await m.Http.GetAsync($"{self}?status=active");
        var faults = await m.Http.GetStringAsync($"{m.Control}/faults");

        nul.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        crowded.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        times.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await times.Content.ReadAsStringAsync()).Should().Contain("times must be a whole number");
        faults.Should().Be("[]", "no fault was added with a times it could not read");
        redeliver.StatusCode.Should().Be(HttpStatusCode.NotFound);
        status.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await status.Content.ReadAsStringAsync()).Should().Contain("ACTIVE, CANCELLED");
    }

    /// <summary>A notification retried through Antom's schedule shows its latest attempt; the earlier ones are folded.</summary>
    [Fact]
    public async Task Dashboard_SubscriptionPage_ShowsTheLatestAttempt_FoldsTheEarlierOnes()
    {
        var start = new DateTimeOffset(2027, 1, 1, 8, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "notifySubscription", delivery = "drop", times = 2 })).EnsureSuccessStatusCode();
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(start));
        await m.AdvanceAsync("PT1H");

        var page = await m.Http.GetStringAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}/subscriptions/{subscriptionId}");

        var create = page[page.IndexOf("<td>notifySubscription</td>", StringComparison.Ordinal)..];
        create = create[..create.IndexOf("</tr>", StringComparison.Ordinal)];
        create.Should().MatchRegex("<details><summary>2 earlier attempts</summary><div class=\"unreachable\">#1 [^<]*dropped by a delivery fault.*#2 .*</details><div class=\"acknowledged\">#3 ");
    }

    /// <summary>The subscription page tells a delivery fault from a real failure: the attempt's error, and a held-back notification.</summary>
    [Fact]
    public async Task Dashboard_SubscriptionPage_ShowsWhyAnAttemptFailed_WhatIsHeldBack_InItsOwnOffset()
    {
        var start = new DateTimeOffset(2027, 1, 1, 8, 0, 0, TimeSpan.FromHours(8));
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "notifySubscription", delivery = "drop" })).EnsureSuccessStatusCode();
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "notifyPayment", delivery = "reorder" })).EnsureSuccessStatusCode();
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(start));

        var page = await m.Http.GetStringAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}/subscriptions/{subscriptionId}");

        page.Should().Contain("dropped by a delivery fault", "the dropped CREATE's attempt says why it failed");
        page.Should().Contain("held back by a reorder fault", "phase 1's notifyPayment waits for phase 2's");
        page.Should().Contain("times in the offset of its start time (+08:00)").And.Contain("2027-01-01 08:00:00 +08:00")
            .And.NotContain("+00:00", "phases, attempts and the timeline all show the subscription's own offset");
    }
}
