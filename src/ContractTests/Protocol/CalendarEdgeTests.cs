using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Protocol;

/// <summary>
/// Calls whose arithmetic reaches an end of the calendar (the year 1, the year 9999) on a merchant's clock moved there:
/// each gets the answer its rules give, signed, never a <c>UNKNOWN_EXCEPTION</c> from a time that cannot be written.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class CalendarEdgeTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset LastQuarterHour = new(9999, 12, 31, 23, 45, 0, TimeSpan.Zero);

    /// <summary>The default authorization deadline (30 minutes after the request) fell past the year 9999: UNKNOWN_EXCEPTION.</summary>
    [Fact]
    public async Task Create_LessThanHalfAnHourBeforeTheEnd_WithoutExpiryTime_IsParamIllegalNamingTheExpiryTime()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), LastQuarterHour);
        var body = MerchantHarness.Body(new DateTimeOffset(9999, 12, 30, 23, 50, 0, TimeSpan.Zero));
        body["periodRule"] = new JsonObject { ["periodType"] = "DAY", ["periodCount"] = 1 };

        var reply = await m.Client.CallAsync(m.Merchant, "create", body);

        reply.SignatureValid.Should().BeTrue();
        reply.ResultCode.Should().Be("PARAM_ILLEGAL", reply.ResultMessage);
        reply.ResultStatus.Should().Be("F");
        reply.ResultMessage.Should().Contain("subscriptionExpiryTime: is required less than 30 minutes before the end of the calendar (9999-12-31T23:59:59.9999999+00:00)");
        (await m.Http.GetStringAsync($"{m.Control}/subscriptions")).Should().Be("[]", "a refused request changes nothing");
        body["subscriptionExpiryTime"] = "9999-12-31T23:59:00Z";
        (await m.Client.CallAsync(m.Merchant, "create", body)).ResultCode.Should().Be("SUCCESS", "a deadline before the end is the way out the message gives");
    }

    /// <summary>The 12-month refund window of a payment made in the calendar's last year ended past it: UNKNOWN_EXCEPTION.</summary>
    [Fact]
    public async Task Refund_OfAPaymentMadeInTheCalendarsLastYear_IsRefunded()
    {
        var paidAt = new DateTimeOffset(9999, 1, 15, 0, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), paidAt);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(paidAt));
        var paymentId = (string)(await m.SubscriptionAsync(subscriptionId))["phases"]![0]!["paymentId"]!;

        var reply = await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund(paymentId, "5000"));

        reply.SignatureValid.Should().BeTrue();
        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        (await m.SubscriptionAsync(subscriptionId))["refunds"]!.AsArray().Should().ContainSingle("the window is open to the calendar's end");
    }

    /// <summary>The default window (the 7 days up to now) began before the year 1: UNKNOWN_EXCEPTION, bounds given or not.</summary>
    [Theory]
    [InlineData("{}")]
    [InlineData("""{"startTimeTo":"0001-01-05T00:00:00Z"}""")]
    public async Task InquireSubscriptionList_WithoutStartTimeFrom_LessThanSevenDaysIntoTheCalendar_ListsFromItsStart(string body)
    {
        var now = new DateTimeOffset(1, 1, 3, 0, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), now);
        var create = MerchantHarness.Body(now.AddHours(-12));
        create["periodRule"] = new JsonObject { ["periodType"] = "DAY", ["periodCount"] = 1 };
        var subscriptionId = await m.CreateAndApproveAsync(create);

        var reply = await m.Client.CallAsync(m.Merchant, "inquireSubscriptionList", JsonNode.Parse(body)!);

        reply.SignatureValid.Should().BeTrue();
        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        reply.Json["subscriptions"]!.AsArray().Select(s => (string)s!["subscriptionId"]!).Should().Equal(subscriptionId);
    }

    /// <summary>"24 hours after the request", the earliest next date, lay past the year 9999: UNKNOWN_EXCEPTION.</summary>
    [Fact]
    public async Task Update_NextSubscriptionDate_LessThanTheLeadTimeBeforeTheEnd_IsRefusedSayingNoDateIsLateEnough()
    {
        var start = new DateTimeOffset(9999, 11, 15, 0, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(start));
        await m.AdvanceToAsync(new DateTimeOffset(9999, 12, 31, 6, 0, 0, TimeSpan.Zero));
        var update = Bodies.Update(subscriptionId);
        update["nextSubscriptionDate"] = "9999-12-31T23:00:00Z";

        var reply = await m.Client.CallAsync(m.Merchant, "update", update);

        reply.SignatureValid.Should().BeTrue();
        reply.ResultCode.Should().Be("PROCESS_FAIL", reply.ResultMessage);
        reply.ResultStatus.Should().Be("F");
        reply.ResultMessage.Should().Contain("is less than 24 hours after the time of the request")
            .And.Contain("so the earliest is past the end of the calendar (9999-12-31T23:59:59.9999999+00:00)");
        (await m.SubscriptionAsync(subscriptionId))["phases"]!.AsArray().Should().HaveCount(2, "nothing moved");
    }
}
