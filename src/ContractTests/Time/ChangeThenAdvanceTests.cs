using System.Globalization;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Time;

/// <summary>A change made mid-cycle, then time moving on (SPEC §3.2, §10 "change", "Later phases", "Reaching subscriptionEndTime").</summary>
[Collection(EmulatorCollection.Name)]
public sealed class ChangeThenAdvanceTests(EmulatorFactory factory)
{
    // Phase 2 runs [Feb 28, Mar 31) and is charged 24 h before it starts, on Feb 27 10:00.
    private static readonly DateTimeOffset Jan31 = new(2027, 1, 31, 10, 0, 0, TimeSpan.Zero);

    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Change_StartingNow_ChargesNothingBeforeTheChange_AndNotifiesTheChangeFirst()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));
        await m.AdvanceAsync("P10D");
        var changedAt = Jan31.AddDays(10);
        var change = Bodies.Change(subscriptionId);
        change["subscriptionStartTime"] = Iso(changedAt);

        var reply = await m.Client.CallAsync(m.Merchant, "change", change);
        var events = await m.AdvanceAsync("PT1H");

        reply.ResultCode.Should().Be("SUCCESS");
        var phase2 = m.Payments(subscriptionId).Single(p => (string)p.Json["phaseNo"]! == "2").Json;
        DateTimeOffset.Parse((string)phase2["paymentCreateTime"]!, CultureInfo.InvariantCulture).Should().Be(changedAt, "the phase the change starts is charged when the change is made, not a lead time before it");
        ((string)phase2["periodStartTime"]!).Should().Be(Iso(changedAt));
        events.Where(e => (string)e!["type"]! == "deduction").Should().ContainSingle()
            .Which!["at"]!.GetValue<string>().Should().Be(Iso(changedAt), "an advance runs nothing in the clock's past");
        var kinds = m.Receiver.Received.Where(r => r.SubscriptionId == subscriptionId)
            .Select(r => r.IsPayment ? "payment " + (string)r.Json["phaseNo"]! : (string)r.Json["subscriptionNotificationType"]!).ToList();
        kinds.Should().Equal("CREATE", "payment 1", "CHANGE", "payment 2");
    }

    [Fact]
    public async Task Change_WithTheSamePeriodRuleAgain_KeepsMonthEndBillingDates()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));
        await m.AdvanceAsync("P10D");
        var change = Bodies.Change(subscriptionId);
        change["periodRule"] = new JsonObject { ["periodType"] = "MONTH", ["periodCount"] = 1 };

        var reply = await m.Client.CallAsync(m.Merchant, "change", change);
        await m.AdvanceAsync("P3M");

        reply.ResultCode.Should().Be("SUCCESS");
        m.Payments(subscriptionId).Select(p => (string)p.Json["periodStartTime"]!).Should().Equal(
            "2027-01-31T10:00:00+00:00", "2027-02-28T10:00:00+00:00", "2027-03-31T10:00:00+00:00", "2027-04-30T10:00:00+00:00");
    }

    [Fact]
    public async Task Change_EndingAtAPhaseAlreadyPaid_AfterAChangeMovedTheNextPhaseAway_IsRefused()
    {
        // Phase 2 [Feb 28, Mar 31) is paid on Feb 27; a change then starts the next phase on Apr 5 (after the paid one).
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));
        await m.AdvanceToAsync(new DateTimeOffset(2027, 2, 27, 12, 0, 0, TimeSpan.Zero));
        var moved = Bodies.Change(subscriptionId);
        moved["subscriptionStartTime"] = Iso(new DateTimeOffset(2027, 4, 5, 10, 0, 0, TimeSpan.Zero));
        var movedReply = await m.Client.CallAsync(m.Merchant, "change", moved);
        var ending = Bodies.Change(subscriptionId);
        ending["subscriptionEndTime"] = Iso(new DateTimeOffset(2027, 2, 28, 10, 0, 0, TimeSpan.Zero));

        var reply = await m.Client.CallAsync(m.Merchant, "change", ending);

        movedReply.ResultCode.Should().Be("SUCCESS", movedReply.ResultMessage);
        m.Payments(subscriptionId).Select(p => (string)p.Json["result"]!["resultStatus"]!).Should().Equal("S", "S");
        reply.ResultCode.Should().Be("PROCESS_FAIL", "docs/emulation.md: an end time at or before the start of a phase already paid is refused, whatever the next phase's start became");
        reply.ResultMessage.Should().Contain("phase 2");
        ((string)(await m.SubscriptionAsync(subscriptionId))["status"]!).Should().Be("ACTIVE");
    }

    [Fact]
    public async Task Change_EndingAtOrBeforeAPhaseAlreadyCharged_IsRefused_AnEndAfterItsStartIsNot()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));
        await m.AdvanceToAsync(new DateTimeOffset(2027, 2, 27, 18, 0, 0, TimeSpan.Zero));
        var atStart = Bodies.Change(subscriptionId);
        atStart["subscriptionEndTime"] = "2027-02-28T10:00:00+00:00";
        var midPhase = Bodies.Change(subscriptionId);
        midPhase["subscriptionEndTime"] = "2027-03-15T10:00:00+00:00";

        var refused = await m.Client.CallAsync(m.Merchant, "change", atStart);
        var accepted = await m.Client.CallAsync(m.Merchant, "change", midPhase);
        await m.AdvanceAsync("P2M");
        var subscription = await m.SubscriptionAsync(subscriptionId);

        refused.ResultCode.Should().Be("PROCESS_FAIL");
        refused.ResultMessage.Should().Contain("phase 2, which starts at 2027-02-28T10:00:00.0000000+00:00, is already charged").And.Contain("cancel with CANCEL");
        accepted.ResultCode.Should().Be("SUCCESS");
        m.Payments(subscriptionId).Select(p => (string)p.Json["phaseNo"]!).Should().Equal("1", "2");
        ((string)subscription["status"]!).Should().Be("TERMINATED");
    }

    [Fact]
    public async Task Change_StartingBeforeTheEndOfAPhaseAlreadyCharged_IsRefused_AStartAtItsEndIsNot()
    {
        // Found by the random walk (seeds 280 and 307): phase 2 was charged on Feb 27 for [Feb 28, Mar 31); a change
        // starting on Mar 10 put phase 3 before phase 2 ended and charged it at once, twice within a day for one month.
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));
        await m.AdvanceToAsync(new DateTimeOffset(2027, 2, 27, 18, 0, 0, TimeSpan.Zero));
        var inside = Bodies.Change(subscriptionId);
        inside["subscriptionStartTime"] = "2027-03-10T10:00:00+00:00";
        var atItsEnd = Bodies.Change(subscriptionId);
        atItsEnd["subscriptionStartTime"] = "2027-03-31T10:00:00+00:00";

        var refused = await m.Client.CallAsync(m.Merchant, "change", inside);
        var accepted = await m.Client.CallAsync(m.Merchant, "change", atItsEnd);
        await m.AdvanceToAsync(new DateTimeOffset(2027, 4, 1, 0, 0, 0, TimeSpan.Zero));

        refused.ResultCode.Should().Be("PROCESS_FAIL");
        refused.ResultMessage.Should().Contain("phase 2, which starts at 2027-02-28T10:00:00.0000000+00:00, is already charged")
            .And.Contain("the earliest is its end, 2027-03-31T10:00:00.0000000+00:00");
        accepted.ResultCode.Should().Be("SUCCESS");
        m.Payments(subscriptionId).Select(p => $"{p.Json["phaseNo"]} {p.Json["periodStartTime"]} {p.Json["paymentCreateTime"]}").Should().Equal(
            "1 2027-01-31T10:00:00+00:00 2027-01-31T10:00:00+00:00",
            "2 2027-02-28T10:00:00+00:00 2027-02-27T10:00:00+00:00",
            "3 2027-03-31T10:00:00+00:00 2027-03-30T10:00:00+00:00");
    }

    [Fact]
    public async Task Change_StartingBeforeThePhaseRunning_IsRefused_AStartAtItsStartIsNot()
    {
        // Found by the random walk: phase 2 [Feb 28, Mar 31) paid and running on Mar 5; a change starting on Feb 20
        // (less than a period in the past, so allowed as a start) made phase 3 [Feb 20, Mar 20), before phase 2, and
        // charged it at once for days phase 2 had paid.
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));
        await m.AdvanceToAsync(new DateTimeOffset(2027, 3, 5, 10, 0, 0, TimeSpan.Zero));
        var before = Bodies.Change(subscriptionId);
        before["subscriptionStartTime"] = "2027-02-20T10:00:00+00:00";
        var atItsStart = Bodies.Change(subscriptionId);
        atItsStart["subscriptionStartTime"] = "2027-02-28T10:00:00+00:00";

        var refused = await m.Client.CallAsync(m.Merchant, "change", before);
        var accepted = await m.Client.CallAsync(m.Merchant, "change", atItsStart);
        await m.AdvanceAsync("PT1H");

        refused.ResultCode.Should().Be("PROCESS_FAIL");
        refused.ResultMessage.Should().Contain("phase 2, which starts at 2027-02-28T10:00:00.0000000+00:00, is already charged")
            .And.Contain("the earliest is 2027-02-28T10:00:00.0000000+00:00");
        accepted.ResultCode.Should().Be("SUCCESS", "the same period again (an upgrade billed from the start of the period running) keeps the phases in order");
        m.Payments(subscriptionId).Select(p => $"{p.Json["phaseNo"]} {p.Json["periodStartTime"]}").Should().Equal(
            "1 2027-01-31T10:00:00+00:00",
            "2 2027-02-28T10:00:00+00:00",
            "3 2027-02-28T10:00:00+00:00");
    }

    [Fact]
    public async Task Change_ToAnotherCurrency_IsRefused()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var body = MerchantHarness.Body(Jan31);
        body["trials"] = new JsonArray(new JsonObject { ["trialStartPeriod"] = 1, ["trialEndPeriod"] = 3, ["trialAmount"] = Bodies.Amount("PHP", "0") });
        var subscriptionId = await m.CreateAndApproveAsync(body);
        var change = Bodies.Change(subscriptionId);
        change["paymentAmount"] = Bodies.Amount("USD", "999");

        var reply = await m.Client.CallAsync(m.Merchant, "change", change);
        var subscription = await m.SubscriptionAsync(subscriptionId);

        reply.ResultCode.Should().Be("PARAM_ILLEGAL");
        reply.ResultMessage.Should().Be("paymentAmount.currency: must stay PHP, the currency the subscription was created with (got USD)");
        ((string)subscription["paymentAmount"]!["currency"]!).Should().Be("PHP");
    }
}
