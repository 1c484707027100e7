using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Time;

/// <summary>
/// What falls due after the calendar's last millisecond never does (found by a search for inputs that break the
/// emulator): it was stored as that millisecond, the clock reads no later, and the background loop found it not due and
/// logged an error at every tick, forever.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class CalendarEndTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Dec29 = new(9999, 12, 29, 10, 0, 0, TimeSpan.Zero);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Lets the background loop tick a few times (its timer runs on the test's clock), then reads its errors.</summary>
    private async Task<IReadOnlyList<string>> ErrorsAfterTicksAsync(string clientId)
    {
        for (var tick = 0; tick < 3; tick++)
        {
            factory.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(300);
        }

        return [.. factory.Errors.GetSnapshot().Where(e => e.Message.Contains(clientId, StringComparison.Ordinal)).Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception}")];
    }

    [Fact]
    public async Task Cancel_OfADailySubscriptionServedToTheEndOfTheCalendar_LeavesTheLoopQuiet()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Dec29);
        var body = MerchantHarness.Body(Dec29);
        body["periodRule"] = new JsonObject { ["periodType"] = "DAY", ["periodCount"] = 1 };
        var subscriptionId = await m.CreateAndApproveAsync(body);
        (await m.Http.PostAsync($"{m.Control}/clock/advance", Json("""{"to":"9999-12-31T23:59:59.9999999Z"}"""))).StatusCode.Should().Be(HttpStatusCode.OK);

        var cancel = await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId, "CANCEL"));
        var errors = await ErrorsAfterTicksAsync(m.Merchant.ClientId);

        cancel.ResultCode.Should().Be("SUCCESS");
        errors.Should().BeEmpty("its service ends after the calendar's last millisecond: nothing is due");
        ((string)(await m.SubscriptionAsync(subscriptionId))["status"]!).Should().Be("CANCELLED");
    }

    [Fact]
    public async Task PaymentUnderWay_SettlingAfterTheCalendarsLastMillisecond_StaysUnderWay_AndTheLoopQuiet()
    {
        // Phase 3 (30 Dec) is left under way until settled; phase 4 (31 Dec), held meanwhile, is taken when phase 3
        // settles, at 23:59:59.999, and would settle 0.5 ms later, past the calendar.
        var start = new DateTimeOffset(9999, 12, 28, 10, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        var body = MerchantHarness.Body(start);
        body["periodRule"] = new JsonObject { ["periodType"] = "DAY", ["periodCount"] = 1 };
        var subscriptionId = await m.CreateAndApproveAsync(body);
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "deduction", resultCode = "PAYMENT_IN_PROCESS", effect = "processing", match = new { phaseNo = 3 } })).StatusCode.Should().Be(HttpStatusCode.Created);
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "deduction", resultCode = "PAYMENT_IN_PROCESS", effect = "processing", delay = "PT0.0005S", match = new { phaseNo = 4 } })).StatusCode.Should().Be(HttpStatusCode.Created);
        (await m.Http.PostAsync($"{m.Control}/clock/advance", Json("""{"to":"9999-12-31T23:59:59.9999999Z"}"""))).StatusCode.Should().Be(HttpStatusCode.OK);
        var phase3 = (string)((JsonArray)(await m.SubscriptionAsync(subscriptionId))["phases"]!)[2]!["paymentId"]!;

        (await m.Http.PostAsJsonAsync($"{m.Control}/payments/{phase3}/settle", new { status = "SUCCESS" })).StatusCode.Should().Be(HttpStatusCode.OK);
        var errors = await ErrorsAfterTicksAsync(m.Merchant.ClientId);
        var phases = (JsonArray)(await m.SubscriptionAsync(subscriptionId))["phases"]!;

        phases.Select(p => $"{p!["phaseNo"]} {p["resultStatus"]}").Should().Equal(["1 S", "2 S", "3 S", "4 U"], "phase 4 never settles by itself: its time is past the calendar");
        errors.Should().BeEmpty("the loop must not fail again and again on a payment it cannot settle");
    }
}
