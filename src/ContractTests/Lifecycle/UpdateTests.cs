using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Lifecycle;

/// <summary>
/// <c>subscriptions/update</c> (SPEC §3.4, §4.7; docs/emulation.md "update"), signed on the wire: in force at once for what is not
/// charged yet, notifySubscription <c>UPDATE</c>, a movable next phase, idempotent by its request id.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class UpdateTests(EmulatorFactory factory)
{
    // Monthly from Jan 31: phase 2 runs [Feb 28, Mar 31) and is charged 24 h before it starts.
    private static readonly DateTimeOffset Jan31 = new(2027, 1, 31, 10, 0, 0, TimeSpan.Zero);

    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>A monthly subscription approved on Jan 31 (phase 1 paid, phase 2 due Feb 28), ten days on.</summary>
    private async Task<(MerchantHarness Harness, string SubscriptionId)> TenDaysInAsync()
    {
        var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));
        await m.AdvanceAsync("P10D");
        return (m, subscriptionId);
    }

    private static async Task<JsonNode> InquireAsync(MerchantHarness m, string subscriptionId) =>
        (await m.Client.CallAsync(m.Merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = subscriptionId })).Json["subscription"]!;

    private static List<string> Kinds(MerchantHarness m, string subscriptionId) =>
        [.. m.Receiver.Received.Where(r => r.SubscriptionId == subscriptionId)
            .Select(r => r.IsPayment ? "payment " + (string)r.Json["phaseNo"]! : $"{(string)r.Json["subscriptionNotificationType"]!} {(string)r.Json["subscriptionStatus"]!}")];

    [Fact]
    public async Task Update_Description_TakesEffectNow_AndIsNotifiedAsUpdate()
    {
        var (m, subscriptionId) = await TenDaysInAsync();
        await using var harness = m;
        var update = Bodies.Update(subscriptionId);
        update["subscriptionDescription"] = "Emulator Premium, family plan";

        var reply = await m.Client.CallAsync(m.Merchant, "update", update);
        var info = await InquireAsync(m, subscriptionId);
        await m.AdvanceAsync("P1M");

        reply.SignatureValid.Should().BeTrue();
        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        ((string)info["subscriptionDescription"]!).Should().Be("Emulator Premium, family plan");
        ((string)info["lastUpdateTime"]!).Should().Be(Iso(Jan31.AddDays(10)));
        m.Receiver.Received.Where(r => r.SubscriptionId == subscriptionId).Should().OnlyContain(r => r.SignatureValid);
        Kinds(m, subscriptionId).Should().Equal("CREATE ACTIVE", "payment 1", "UPDATE ACTIVE", "payment 2");
        m.Payments(subscriptionId).Select(p => (string)p.Json["paymentAmount"]!["value"]!).Should().Equal("19900", "19900");
    }

    [Fact]
    public async Task Update_Upgrade_ChargesTheNewAmountFromTheNextPhase_AndRecordsTheProrationWithoutAPayment()
    {
        var (m, subscriptionId) = await TenDaysInAsync();
        await using var harness = m;
        var update = Bodies.Update(subscriptionId, amount: "29900");
        update["orderInfo"] = new JsonObject { ["orderAmount"] = Bodies.Amount("PHP", "29900") };
        update["prorationSettings"] = new JsonObject { ["prorationMode"] = "IMMEDIATE_PAY_CUSTOM_AMOUNT", ["customAmount"] = Bodies.Amount("PHP", "6400") };

        var reply = await m.Client.CallAsync(m.Merchant, "update", update);
        await m.AdvanceAsync("P2M");
        var subscription = await m.SubscriptionAsync(subscriptionId);

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        m.Payments(subscriptionId).Select(p => $"{(string)p.Json["phaseNo"]!} {(string)p.Json["paymentAmount"]!["value"]!}")
            .Should().Equal(["1 19900", "2 29900", "3 29900"], "phase 1 was charged before the update; no payment is made up for the proration");
        ((JsonArray)subscription["timeline"]!).Select(e => (string)e!["detail"]!)
            .Should().Contain(d => d.StartsWith("IMMEDIATE_PAY_CUSTOM_AMOUNT 6400 PHP", StringComparison.Ordinal))
            .And.Contain("from phase 2, starting 2027-02-28T10:00:00.0000000+00:00: 29900 PHP every month", "the timeline says which phase the new amount starts from");
    }

    [Fact]
    public async Task Update_NextSubscriptionDate_MovesTheNextPhaseAndTheOnesAfterIt()
    {
        var (m, subscriptionId) = await TenDaysInAsync();
        await using var harness = m;
        var update = Bodies.Update(subscriptionId);
        update["nextSubscriptionDate"] = "2027-02-20T10:00:00+00:00";

        var reply = await m.Client.CallAsync(m.Merchant, "update", update);
        await m.AdvanceToAsync(new DateTimeOffset(2027, 2, 15, 0, 0, 0, TimeSpan.Zero));
        var beforeTheMove = await InquireAsync(m, subscriptionId);
        var toFeb21 = await m.AdvanceToAsync(new DateTimeOffset(2027, 2, 21, 0, 0, 0, TimeSpan.Zero));
        var afterTheMove = await InquireAsync(m, subscriptionId);
        var events = await m.AdvanceToAsync(new DateTimeOffset(2027, 3, 25, 0, 0, 0, TimeSpan.Zero));

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        ((int)beforeTheMove["currentPhaseNo"]!).Should().Be(1);
        ((string)beforeTheMove["currentPeriodEnd"]!).Should().Be("2027-02-20T10:00:00+00:00", "phase 1 ends where the moved phase 2 starts");
        ((int)afterTheMove["currentPhaseNo"]!).Should().Be(2);
        ((string)afterTheMove["currentPeriodStart"]!).Should().Be("2027-02-20T10:00:00+00:00");
        ((string)afterTheMove["currentPeriodEnd"]!).Should().Be("2027-03-20T10:00:00+00:00");
        m.Payments(subscriptionId).Select(p => (string)p.Json["periodStartTime"]!)
            .Should().Equal("2027-01-31T10:00:00+00:00", "2027-02-20T10:00:00+00:00", "2027-03-20T10:00:00+00:00");
        toFeb21.Concat(events).Where(e => (string)e!["type"]! == "deduction").Select(e => (string)e!["at"]!)
            .Should().Equal(["2027-02-19T10:00:00+00:00", "2027-03-19T10:00:00+00:00"], "each moved phase is charged 24 h before its new start");
    }

    [Fact]
    public async Task Update_NextSubscriptionDate_EndsThePaidPhaseEarly_SoACancelServesUntilTheNewDate()
    {
        var (m, subscriptionId) = await TenDaysInAsync();
        await using var harness = m;
        var update = Bodies.Update(subscriptionId);
        update["nextSubscriptionDate"] = "2027-02-20T10:00:00+00:00";

        (await m.Client.CallAsync(m.Merchant, "update", update)).ResultCode.Should().Be("SUCCESS");
        (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId))).ResultCode.Should().Be("SUCCESS");
        DateTimeOffset.Parse((string)(await m.SubscriptionAsync(subscriptionId))["paidUntil"]!, CultureInfo.InvariantCulture)
            .Should().Be(new DateTimeOffset(2027, 2, 20, 10, 0, 0, TimeSpan.Zero), "the control API shows where the paid service now ends");
        (await m.Http.GetStringAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}/subscriptions/{subscriptionId}"))
            .Should().Contain("<span id=\"paid-until\">paid until 2027-02-20 10:00:00 +00:00</span>", "the dashboard shows it too");
        await m.AdvanceToAsync(new DateTimeOffset(2027, 2, 20, 9, 0, 0, TimeSpan.Zero));
        var beforeTheNewDate = (string)(await m.SubscriptionAsync(subscriptionId))["status"]!;
        await m.AdvanceAsync("PT1H");
        var atTheNewDate = (string)(await m.SubscriptionAsync(subscriptionId))["status"]!;

        beforeTheNewDate.Should().Be("CANCELLED");
        atTheNewDate.Should().Be("TERMINATED", "phase 1 now ends on Feb 20, where phase 2 was moved to start");
        m.Payments(subscriptionId).Should().ContainSingle();
    }

    [Theory]
    [InlineData("2027-02-11T09:59:59+00:00", "is less than 24 hours after the time of the request (2027-02-10T10:00:00.0000000+00:00)")]
    [InlineData("2027-03-31T10:00:01+00:00", "moves phase 2 by more than one period (every month) from 2027-02-28T10:00:00.0000000+00:00, the date it has; the allowed range is 2027-01-31T10:00:00.0000000+00:00 to 2027-03-31T10:00:00.0000000+00:00")]
    public async Task Update_NextSubscriptionDate_TooSoonOrMoreThanAPeriodAway_IsProcessFail_AndChangesNothing(string next, string reason)
    {
        var (m, subscriptionId) = await TenDaysInAsync();
        await using var harness = m;
        var update = Bodies.Update(subscriptionId, amount: "29900");
        update["nextSubscriptionDate"] = next;

        var reply = await m.Client.CallAsync(m.Merchant, "update", update);
        await m.AdvanceAsync("P1M");

        reply.ResultCode.Should().Be("PROCESS_FAIL");
        reply.ResultMessage.Should().Contain(reason);
        m.Payments(subscriptionId).Select(p => $"{(string)p.Json["periodStartTime"]!} {(string)p.Json["paymentAmount"]!["value"]!}")
            .Should().Equal("2027-01-31T10:00:00+00:00 19900", "2027-02-28T10:00:00+00:00 19900");
        Kinds(m, subscriptionId).Should().NotContain(k => k.StartsWith("UPDATE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Update_NextSubscriptionDate_AtOrAfterTheSubscriptionsEnd_IsProcessFail()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var body = MerchantHarness.Body(Jan31);
        body["subscriptionEndTime"] = "2027-03-15T10:00:00+00:00";
        var subscriptionId = await m.CreateAndApproveAsync(body);
        await m.AdvanceAsync("P10D");
        var update = Bodies.Update(subscriptionId);
        update["nextSubscriptionDate"] = "2027-03-20T10:00:00+00:00";

        var reply = await m.Client.CallAsync(m.Merchant, "update", update);
        await m.AdvanceAsync("P1M");

        reply.ResultCode.Should().Be("PROCESS_FAIL");
        reply.ResultMessage.Should().Contain("is at or after the subscription's end (2027-03-15T10:00:00.0000000+00:00)");
        m.Payments(subscriptionId).Select(p => (string)p.Json["periodStartTime"]!).Should().Equal("2027-01-31T10:00:00+00:00", "2027-02-28T10:00:00+00:00");
    }

    [Fact]
    public async Task Update_NextSubscriptionDate_InsideAPhaseAlreadyChargedButNotStarted_IsProcessFail()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));
        await m.AdvanceToAsync(new DateTimeOffset(2027, 2, 27, 12, 0, 0, TimeSpan.Zero));
        var update = Bodies.Update(subscriptionId);
        update["nextSubscriptionDate"] = "2027-03-01T10:00:00+00:00";

        var reply = await m.Client.CallAsync(m.Merchant, "update", update);
        await m.AdvanceAsync("P2D");

        reply.ResultCode.Should().Be("PROCESS_FAIL");
        reply.ResultMessage.Should().Be(
            "phase 2, which starts at 2027-02-28T10:00:00.0000000+00:00, is already charged; nextSubscriptionDate may not cut it short: the earliest is its end, 2027-03-31T10:00:00.0000000+00:00");
        m.Payments(subscriptionId).Select(p => (string)p.Json["phaseNo"]!).Should().Equal(["1", "2"], "no second charge within a day");
    }

    [Fact]
    public async Task Update_NextSubscriptionDate_TheDateItAlreadyHas_KeepsMonthEndBillingDates()
    {
        var (m, subscriptionId) = await TenDaysInAsync();
        await using var harness = m;
        var update = Bodies.Update(subscriptionId);
        update["nextSubscriptionDate"] = "2027-02-28T10:00:00+00:00";

        (await m.Client.CallAsync(m.Merchant, "update", update)).ResultCode.Should().Be("SUCCESS");
        await m.AdvanceAsync("P3M");

        m.Payments(subscriptionId).Select(p => (string)p.Json["periodStartTime"]!).Should().Equal(
            "2027-01-31T10:00:00+00:00", "2027-02-28T10:00:00+00:00", "2027-03-31T10:00:00+00:00", "2027-04-30T10:00:00+00:00");
    }

    [Fact]
    public async Task Update_NextSubscriptionDate_Later_ToTheNextMonthEnd_ExtendsTheCurrentPeriodThere()
    {
        var (m, subscriptionId) = await TenDaysInAsync();
        await using var harness = m;
        var update = Bodies.Update(subscriptionId);
        update["nextSubscriptionDate"] = "2027-03-31T10:00:00+00:00";

        var reply = await m.Client.CallAsync(m.Merchant, "update", update);
        await m.AdvanceToAsync(new DateTimeOffset(2027, 3, 10, 0, 0, 0, TimeSpan.Zero));
        var inMarch = await InquireAsync(m, subscriptionId);
        await m.AdvanceToAsync(new DateTimeOffset(2027, 4, 1, 0, 0, 0, TimeSpan.Zero));

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        ((int)inMarch["currentPhaseNo"]!).Should().Be(1);
        ((string)inMarch["currentPeriodEnd"]!).Should().Be("2027-03-31T10:00:00+00:00", "phase 1 now serves until the moved phase 2, not the Feb 28 its notifyPayment gave");
        m.Payments(subscriptionId).Select(p => (string)p.Json["periodStartTime"]!).Should().Equal("2027-01-31T10:00:00+00:00", "2027-03-31T10:00:00+00:00");
    }

    [Fact]
    public async Task Update_PeriodRuleThenNextDate_InsideAPhaseAlreadyCharged_IsStillRefused()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));
        await m.AdvanceToAsync(new DateTimeOffset(2027, 2, 27, 12, 0, 0, TimeSpan.Zero));
        var yearly = Bodies.Update(subscriptionId);
        yearly["periodRule"] = new JsonObject { ["periodType"] = "YEAR", ["periodCount"] = 1 };
        var sooner = Bodies.Update(subscriptionId);
        sooner["nextSubscriptionDate"] = "2027-03-01T10:00:00+00:00";

        (await m.Client.CallAsync(m.Merchant, "update", yearly)).ResultCode.Should().Be("SUCCESS");
        var reply = await m.Client.CallAsync(m.Merchant, "update", sooner);
        await m.AdvanceAsync("P3D");

        reply.ResultCode.Should().Be("PROCESS_FAIL", "phase 2 (charged Feb 27, starting Feb 28) may not be cut short, whatever rule the phases after it follow");
        reply.ResultMessage.Should().Contain("phase 2, which starts at 2027-02-28T10:00:00.0000000+00:00, is already charged");
        m.Payments(subscriptionId).Select(p => (string)p.Json["phaseNo"]!).Should().Equal(["1", "2"], "no second charge within days");
    }

    [Fact]
    public async Task Update_NextSubscriptionDate_IsBoundedByThePeriodBeingServed_NotTheNewRule()
    {
        var (m, subscriptionId) = await TenDaysInAsync();
        await using var harness = m;
        var update = Bodies.Update(subscriptionId);
        update["periodRule"] = new JsonObject { ["periodType"] = "YEAR", ["periodCount"] = 1 };
        update["nextSubscriptionDate"] = "2028-01-28T10:00:00+00:00";

        var reply = await m.Client.CallAsync(m.Merchant, "update", update);

        reply.ResultCode.Should().Be("PROCESS_FAIL");
        reply.ResultMessage.Should().Contain("by more than one period (every month)");
    }

    [Fact]
    public async Task Update_PeriodRule_AppliesFromTheNextPhaseNotCharged()
    {
        var (m, subscriptionId) = await TenDaysInAsync();
        await using var harness = m;
        var update = Bodies.Update(subscriptionId);
        update["periodRule"] = new JsonObject { ["periodType"] = "WEEK", ["periodCount"] = 1 };

        var reply = await m.Client.CallAsync(m.Merchant, "update", update);
        await m.AdvanceToAsync(new DateTimeOffset(2027, 3, 14, 0, 0, 0, TimeSpan.Zero));

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        m.Payments(subscriptionId).Select(p => (string)p.Json["periodStartTime"]!)
            .Should().Equal("2027-01-31T10:00:00+00:00", "2027-02-28T10:00:00+00:00", "2027-03-07T10:00:00+00:00", "2027-03-14T10:00:00+00:00");
    }

    /// <summary>
    /// A change's <c>paymentAmountDifference</c> is the top-up for the plan that change brought, charged for the next
    /// phase not charged. An update that names a new amount, or another period rule, for that phase replaces that plan:
    /// the phase is charged the update's plan. One that changes neither (a description, an end time, the rule in force
    /// sent again) leaves the difference in force. Found by a review: the difference won over the update's amount.
    /// </summary>
    [Theory]
    [InlineData("paymentAmount", "2 39900", "39900 PHP every month")]
    [InlineData("periodRule", "2 29900", "29900 PHP every 2 months")]
    [InlineData("samePeriodRule", "2 5000", null)]
    [InlineData("subscriptionDescription", "2 5000", null)]
    [InlineData("subscriptionEndTime", "2 5000", null)]
    public async Task Update_AfterAChangeWithADifference_ANewAmountOrRuleReplacesIt_OtherUpdatesLeaveIt(string field, string phase2, string? plan)
    {
        var (m, subscriptionId) = await TenDaysInAsync();
        await using var harness = m;
        var change = Bodies.Change(subscriptionId);
        change["paymentAmountDifference"] = Bodies.Amount("PHP", "5000");
        (await m.Client.CallAsync(m.Merchant, "change", change)).ResultCode.Should().Be("SUCCESS");
        var update = Bodies.Update(subscriptionId);
        switch (field)
        {
            case "paymentAmount":
                update["paymentAmount"] = Bodies.Amount("PHP", "39900");
                break;
            case "periodRule":
                update["periodRule"] = new JsonObject { ["periodType"] = "MONTH", ["periodCount"] = 2 };
                break;
            case "samePeriodRule":
                update["periodRule"] = new JsonObject { ["periodType"] = "MONTH", ["periodCount"] = 1 };
                break;
            case "subscriptionDescription":
                update["subscriptionDescription"] = "Emulator Premium, upgraded";
                break;
            default:
                update["subscriptionEndTime"] = "2028-01-31T10:00:00+00:00";
                break;
        }

        var reply = await m.Client.CallAsync(m.Merchant, "update", update);
        await m.AdvanceToAsync(new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var timeline = ((JsonArray)(await m.SubscriptionAsync(subscriptionId))["timeline"]!).Select(e => (string)e!["detail"]!).ToList();

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        m.Payments(subscriptionId).Select(p => $"{(string)p.Json["phaseNo"]!} {(string)p.Json["paymentAmount"]!["value"]!}")
            .Should().Equal(["1 19900", phase2], plan is null ? "the change's difference is still the top-up for phase 2" : "the update's plan replaced the change's, difference and all");
        if (plan is not null)
        {
            timeline.Should().Contain($"from phase 2, starting 2027-02-28T10:00:00.0000000+00:00: {plan} (the change's paymentAmountDifference 5000 PHP no longer applies)",
                "the timeline says the difference was dropped");
        }
    }

    [Fact]
    public async Task Update_SameRequestIdAgain_ReplaysTheAnswer_AnotherBodyIsRepeatReqInconsistent()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));
        var update = Bodies.Update(subscriptionId, amount: "29900");
        var other = Bodies.Update(subscriptionId, (string)update["subscriptionUpdateRequestId"]!, amount: "39900");

        var first = await m.Client.CallAsync(m.Merchant, "update", update);
        var again = await m.Client.CallAsync(m.Merchant, "update", update);
        var inconsistent = await m.Client.CallAsync(m.Merchant, "update", other);
        await m.AdvanceAsync("P1M");

        first.ResultCode.Should().Be("SUCCESS");
        again.Text.Should().Be(first.Text);
        inconsistent.ResultCode.Should().Be("REPEAT_REQ_INCONSISTENT");
        Kinds(m, subscriptionId).Count(k => k == "UPDATE ACTIVE").Should().Be(1);
        m.Payments(subscriptionId).Select(p => (string)p.Json["paymentAmount"]!["value"]!).Should().Equal("19900", "29900");
    }

    [Fact]
    public async Task Update_OfACancelledOrUnknownSubscription_OrInAnotherCurrency_IsRefused()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var cancelled = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));
        var active = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));
        (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(cancelled))).ResultCode.Should().Be("SUCCESS");
        var usd = Bodies.Update(active);
        usd["paymentAmount"] = Bodies.Amount("USD", "999");
        var usdProration = Bodies.Update(active);
        usdProration["prorationSettings"] = new JsonObject { ["prorationMode"] = "IMMEDIATE_REFUND_CUSTOM_AMOUNT", ["customAmount"] = Bodies.Amount("USD", "100") };

        var ofCancelled = await m.Client.CallAsync(m.Merchant, "update", Bodies.Update(cancelled, amount: "29900"));
        var ofUnknown = await m.Client.CallAsync(m.Merchant, "update", Bodies.Update("20270131000000000000000000000000009", amount: "29900"));
        var inUsd = await m.Client.CallAsync(m.Merchant, "update", usd);
        var prorationInUsd = await m.Client.CallAsync(m.Merchant, "update", usdProration);

        ofCancelled.ResultCode.Should().Be("PROCESS_FAIL");
        ofCancelled.ResultMessage.Should().Be("cannot update a subscription that is CANCELLED");
        ofUnknown.ResultCode.Should().Be("SUBSCRIPTION_NOT_EXIST");
        inUsd.ResultCode.Should().Be("PARAM_ILLEGAL");
        inUsd.ResultMessage.Should().StartWith("paymentAmount.currency: must stay PHP");
        prorationInUsd.ResultCode.Should().Be("PARAM_ILLEGAL");
        prorationInUsd.ResultMessage.Should().Be("prorationSettings.customAmount.currency: must be PHP, the subscription's currency (got USD)");
        Kinds(m, active).Should().NotContain(k => k.StartsWith("UPDATE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Update_ForbiddenDuringPayment_CanBeForced_AndChangesNothing()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));
        var added = await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "update", resultCode = "UPDATE_FORBIDDEN_DURING_PAYMENT", times = 1 });
        var update = Bodies.Update(subscriptionId, amount: "29900");

        var forbidden = await m.Client.CallAsync(m.Merchant, "update", update);
        var amountAfterTheForbidden = (string)(await m.SubscriptionAsync(subscriptionId))["paymentAmount"]!["value"]!;
        var sameId = await m.Client.CallAsync(m.Merchant, "update", update);
        var retried = await m.Client.CallAsync(m.Merchant, "update", Bodies.Update(subscriptionId, amount: "29900"));

        added.IsSuccessStatusCode.Should().BeTrue(await added.Content.ReadAsStringAsync());
        forbidden.ResultCode.Should().Be("UPDATE_FORBIDDEN_DURING_PAYMENT");
        forbidden.ResultStatus.Should().Be("F");
        amountAfterTheForbidden.Should().Be("19900", "the forbidden update changed nothing");
        sameId.ResultCode.Should().Be("UPDATE_FORBIDDEN_DURING_PAYMENT", "an F is final for its request id, injected or not");
        retried.ResultCode.Should().Be("SUCCESS", "the advice is to call again later with a new request id, and the rule was for one call");
        var subscription = await m.SubscriptionAsync(subscriptionId);
        ((JsonArray)subscription["timeline"]!).Select(e => (string)e!["detail"]!)
            .Should().Contain(d => d.Contains("UPDATE_FORBIDDEN_DURING_PAYMENT by a fault", StringComparison.Ordinal));
    }
}
