using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Time;

/// <summary>Phases and deductions as the merchant's clock moves (SPEC §4.4, §4.6, §10).</summary>
[Collection(EmulatorCollection.Name)]
public sealed class DeductionTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Jan31 = new(2027, 1, 31, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Advance_ThreeMonths_DeductsEachPhaseAndSendsSignedNotifyPayment()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));

        var events = await m.AdvanceAsync("P3M");
        var payments = m.Payments(subscriptionId);

        events.Where(e => (string)e!["type"]! == "deduction").Select(e => (int)e!["phaseNo"]!).Should().Equal(2, 3, 4);
        payments.Select(p => (string)p.Json["phaseNo"]!).Should().Equal("1", "2", "3", "4");
        payments.Should().OnlyContain(p => p.SignatureValid);
        payments.Select(p => (string)p.Json["paymentId"]!).Should().OnlyHaveUniqueItems().And.AllSatisfy(id => id.Should().MatchRegex("^[0-9]{35}$"));
        payments.Should().OnlyContain(p => (string)p.Json["paymentAmount"]!["value"]! == "19900" && (string)p.Json["result"]!["resultStatus"]! == "S");
        var first = payments[0].Json;
        first.Select(f => f.Key).Should().Equal("result", "paymentId", "paymentAmount", "paymentCreateTime", "paymentTime", "subscriptionRequestId", "subscriptionId", "periodStartTime", "periodEndTime", "phaseNo");
        payments.Select(p => (string)p.Json["periodStartTime"]!).Should().Equal(
            "2027-01-31T10:00:00+00:00", "2027-02-28T10:00:00+00:00", "2027-03-31T10:00:00+00:00", "2027-04-30T10:00:00+00:00");
        payments.Select(p => (string)p.Json["paymentCreateTime"]!).Should().Equal(
            "2027-01-31T10:00:00+00:00", "2027-02-27T10:00:00+00:00", "2027-03-30T10:00:00+00:00", "2027-04-29T10:00:00+00:00");
    }

    [Fact]
    public async Task APeriodEndingPastTheCalendar_InTheMerchantsOffset_IsNotifiedInUtc_NotA500()
    {
        // YEAR×4000 from 2027: phase 2 would end in the year 10027, past the calendar, kept as its last instant, which
        // at +08:00 is already the year 10000.
        var start = new DateTimeOffset(2027, 3, 10, 8, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        var body = MerchantHarness.Body(start);
        body["subscriptionStartTime"] = "2027-03-10T16:00:00+08:00";
        body["periodRule"] = new System.Text.Json.Nodes.JsonObject { ["periodType"] = "YEAR", ["periodCount"] = 4000 };
        var subscriptionId = await m.CreateAndApproveAsync(body);

        await m.AdvanceAsync("P4000Y");
        var payments = m.Payments(subscriptionId);

        payments.Select(p => (string)p.Json["phaseNo"]!).Should().Equal("1", "2");
        ((string)payments[0].Json["periodEndTime"]!).Should().Be("6027-03-10T16:00:00+08:00");
        ((string)payments[1].Json["periodEndTime"]!).Should().Be("9999-12-31T23:59:59+00:00", "the calendar's last instant, in UTC where the merchant's offset would pass it");
    }

    [Fact]
    public async Task Approve_OnAClockBetweenTwoMilliseconds_ChargesPhaseOneAndTheNext()
    {
        // A running clock has ticks: an approval at 10:00:00.1234567 is due at that instant, stored in milliseconds.
        var approvedAt = Jan31.AddTicks(1_234_567);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), approvedAt);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));

        var events = await m.AdvanceAsync("P2M");
        var payments = m.Payments(subscriptionId);

        payments.Select(p => (string)p.Json["phaseNo"]!).Should().Equal("1", "2", "3");
        events.Where(e => (string)e!["type"]! == "deduction").Select(e => (int)e!["phaseNo"]!).Should().Equal([2, 3], "phase 1 is charged at the approval itself");
    }

    [Fact]
    public async Task StartBetweenTwoMilliseconds_IsChargedWhenItComes()
    {
        // Request times may carry up to nine fractional digits; the store keeps milliseconds.
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var body = MerchantHarness.Body(Jan31);
        body["subscriptionStartTime"] = "2027-02-01T10:00:00.1234567+00:00";
        var subscriptionId = await m.CreateAndApproveAsync(body);

        await m.AdvanceAsync("P1MT1H");

        m.Payments(subscriptionId).Select(p => (string)p.Json["phaseNo"]!).Should().Equal("1", "2");
    }

    [Fact]
    public async Task LeapYear_MonthlyFromJan31_EndsFebruaryOnThe29th()
    {
        var start = new DateTimeOffset(2028, 1, 31, 0, 0, 0, TimeSpan.FromHours(8));
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(start));

        await m.AdvanceAsync("P1M");

        m.Payments(subscriptionId).Select(p => (string)p.Json["periodEndTime"]!).Should().Equal("2028-02-29T00:00:00+08:00", "2028-03-31T00:00:00+08:00");
    }

    [Fact]
    public async Task StartInTheFuture_FirstPhaseIsChargedAtTheStart()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31.AddDays(10)));
        var atApproval = m.Payments(subscriptionId).Count;

        var events = await m.AdvanceAsync("P10D");

        atApproval.Should().Be(0);
        events.Should().Contain(e => (string)e!["type"]! == "deduction" && (int)e["phaseNo"]! == 1 && DateTimeOffset.Parse((string)e["at"]!) == Jan31.AddDays(10));
    }

    [Fact]
    public async Task Trials_AreChargedTheirAmount_ZeroIncluded()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var body = MerchantHarness.Body(Jan31);
        body["trials"] = new JsonArray(
            new JsonObject { ["trialStartPeriod"] = 1, ["trialEndPeriod"] = 2, ["trialAmount"] = Bodies.Amount("PHP", "0") },
            new JsonObject { ["trialStartPeriod"] = 3, ["trialAmount"] = Bodies.Amount("PHP", "9900") });
        var subscriptionId = await m.CreateAndApproveAsync(body);

        await m.AdvanceAsync("P3M");

        m.Payments(subscriptionId).Select(p => (string)p.Json["paymentAmount"]!["value"]!).Should().Equal("0", "0", "9900", "19900");
        m.Payments(subscriptionId).Should().OnlyContain(p => (string)p.Json["result"]!["resultStatus"]! == "S");
    }

    [Fact]
    public async Task Change_NewAmountFromTheNextPhase_DifferenceChargedOnceInstead()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));
        var change = Bodies.Change(subscriptionId);
        change["paymentAmountDifference"] = Bodies.Amount("PHP", "5000");

        await m.AdvanceAsync("P10D");
        (await m.Client.CallAsync(m.Merchant, "change", change)).ResultCode.Should().Be("SUCCESS");
        await m.AdvanceAsync("P2M");

        m.Payments(subscriptionId).Select(p => (string)p.Json["paymentAmount"]!["value"]!).Should().Equal("19900", "5000", "29900");
        m.Receiver.Received.Where(r => !r.IsPayment).Select(r => (string)r.Json["subscriptionNotificationType"]!).Should().Equal("CREATE", "CHANGE");
    }

    [Fact]
    public async Task EndTime_NoPhaseStartsAtOrAfterIt_ThenTerminatedWithoutNotification()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var body = MerchantHarness.Body(Jan31);
        body["subscriptionEndTime"] = "2027-04-15T00:00:00+00:00";
        var subscriptionId = await m.CreateAndApproveAsync(body);

        var events = await m.AdvanceAsync("P1Y");
        var subscription = await m.SubscriptionAsync(subscriptionId);

        m.Payments(subscriptionId).Select(p => (string)p.Json["phaseNo"]!).Should().Equal("1", "2", "3");
        ((string)subscription["status"]!).Should().Be("TERMINATED");
        events.Should().Contain(e => (string)e!["type"]! == "stateChanged" && (string)e["to"]! == "TERMINATED" && (string)e["at"]! == "2027-04-15T00:00:00+00:00");
        m.Receiver.Received.Count(r => !r.IsPayment).Should().Be(1, "only CREATE: reaching the end time is not notified");
    }

    [Fact]
    public async Task Cancel_NoFurtherPhases_ServiceUntilThePaidPhaseEnds()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));
        await m.AdvanceAsync("P10D");

        (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId))).ResultCode.Should().Be("SUCCESS");
        var events = await m.AdvanceAsync("P6M");

        m.Payments(subscriptionId).Should().HaveCount(1);
        events.Should().Contain(e => (string)e!["type"]! == "stateChanged" && (string)e["from"]! == "CANCELLED" && (string)e["to"]! == "TERMINATED"
            && DateTimeOffset.Parse((string)e["at"]!) == new DateTimeOffset(2027, 2, 28, 10, 0, 0, TimeSpan.Zero));
        var notice = m.Receiver.Received.Last(r => !r.IsPayment).Json;
        ((string)notice["subscriptionNotificationType"]!).Should().Be("CANCEL");
        ((string)notice["subscriptionStatus"]!).Should().Be("ACTIVE");
    }

    [Fact]
    public async Task Terminate_NotifiesTerminateAndStopsDeductions()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));

        await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId, "TERMINATE"));
        await m.AdvanceAsync("P3M");

        m.Payments(subscriptionId).Should().HaveCount(1);
        var notice = m.Receiver.Received.Last(r => !r.IsPayment).Json;
        ((string)notice["subscriptionNotificationType"]!).Should().Be("TERMINATE");
        ((string)notice["subscriptionStatus"]!).Should().Be("TERMINATED");
    }

    [Fact]
    public async Task Expiry_ByAdvance_EndsTheRequestAndNotifiesCreateTerminated()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var requestId = await m.CreateAsync(MerchantHarness.Body(Jan31));

        var events = await m.AdvanceAsync("PT31M");

        events.Select(e => (string)e!["type"]!).Should().StartWith(["authorizationExpired", "stateChanged", "notificationAttempt"]);
        DateTimeOffset.Parse((string)events[0]!["at"]!).Should().Be(Jan31.AddMinutes(30));
        var notice = m.Receiver.Received.Single().Json;
        ((string)notice["subscriptionNotificationType"]!).Should().Be("CREATE");
        ((string)notice["subscriptionStatus"]!).Should().Be("TERMINATED");
        ((string)notice["subscriptionRequestId"]!).Should().Be(requestId);
    }

    [Fact]
    public async Task Advance_TenYearsOfADailyPlan_DeductsEveryDay()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var body = MerchantHarness.Body(Jan31);
        body["periodRule"] = new JsonObject { ["periodType"] = "DAY", ["periodCount"] = 1 };
        var subscriptionId = await m.CreateAndApproveAsync(body);

        await m.AdvanceAsync("P10Y");
        var subscription = await m.SubscriptionAsync(subscriptionId);

        // Every day that starts up to the new time, plus the next one: it is deducted 24 h before it begins.
        var expected = (int)(Jan31.AddYears(10) - Jan31).TotalDays + 2;
        subscription["phases"]!.AsArray().Should().HaveCount(expected);
        m.Payments(subscriptionId).Should().HaveCount(expected);
        m.Payments(subscriptionId).Select(p => int.Parse((string)p.Json["phaseNo"]!)).Should().BeInAscendingOrder();
    }
}
