using ContractTests.Generated;
using ContractTests.Support;

namespace ContractTests.Harness;

/// <summary>The control API through the client NSwag generates from the committed document.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class ControlClientTests(EmulatorFactory factory)
{
    [Fact]
    public async Task TypedClient_DrivesAMerchantThroughAMonth()
    {
        var http = factory.CreateClient();
        var control = new EmulatorControlClient(http);
        await using var receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey);
        var clientId = "SANDBOX_TYPED_" + Guid.NewGuid().ToString("N")[..8];
        var start = new DateTimeOffset(2028, 5, 1, 0, 0, 0, TimeSpan.Zero);

        await control.PutMerchantAsync(clientId, new MerchantBody
        {
            PublicKey = Convert.ToBase64String(TestMerchant.SharedKey.ExportSubjectPublicKeyInfo()),
            SubscriptionNotificationUrl = receiver.SubscriptionUrl,
            PaymentNotificationUrl = receiver.PaymentUrl,
            Clock = new MerchantClockBody { FrozenAt = start },
        });
        var body = MerchantHarness.Body(start);
        await new AntomTestClient(http).CallAsync(new TestMerchant(clientId, TestMerchant.SharedKey), "create", body);
        var approved = await control.ApproveSubscriptionRequestAsync(clientId, (string)body["subscriptionRequestId"]!);
        var fault = await control.AddFaultAsync(clientId, new FaultBody { Target = "deduction", ResultCode = "RISK_REJECT" });
        var advanced = await control.AdvanceClockAsync(clientId, new AdvanceBody { By = "P1M" });
        var notifications = await control.ListNotificationsAsync(clientId, "notifyPayment", null, null);
        var clock = await control.GetClockAsync(clientId);

        approved.Status.Should().Be("ACTIVE");
        fault.FaultId.Should().StartWith("flt_");
        advanced.Events.Should().Contain(e => e.Type == "deduction" && e.ResultCode == "RISK_REJECT");
        notifications.Should().HaveCount(2).And.OnlyContain(n => n.Status == "acknowledged");
        clock.Now.Should().Be(start.AddMonths(1));
        clock.Frozen.Should().BeTrue();
    }
}
