using System.Net;
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
}
