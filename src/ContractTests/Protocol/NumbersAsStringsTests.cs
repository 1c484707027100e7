using System.Text.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Protocol;

/// <summary>
/// The <c>Emulator:NumbersAsStrings</c> setting (SPEC §10): for clients written from Antom's documents, where every
/// field is a string, the numbers the SDK models need go out as strings in answers and notifications, still signed.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class NumbersAsStringsTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Start = new(2027, 5, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task NumbersAsStrings_WritesEveryNumberAsAString_InAnswersAndNotifications()
    {
        await using var configured = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:NumbersAsStrings", "true"));
        await using var m = await MerchantHarness.StartAsync(configured.CreateClient(), Start);
        var body = MerchantHarness.Body(Start);
        body["trials"] = new JsonArray(new JsonObject { ["trialStartPeriod"] = 1, ["trialEndPeriod"] = 1, ["trialAmount"] = Bodies.Amount("PHP", "0") });
        var subscriptionId = await m.CreateAndApproveAsync(body);

        var inquiry = await m.Client.CallAsync(m.Merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = subscriptionId });
        var payments = await m.Client.CallAsync(m.Merchant, "inquireSubscriptionPayment", new JsonObject { ["subscriptionId"] = subscriptionId });
        var created = await m.Receiver.WaitForAsync(n => n.Kind == "notifySubscription", TimeSpan.FromSeconds(10));

        inquiry.SignatureValid.Should().BeTrue();
        var info = inquiry.Json["subscription"]!;
        info["periodRule"]!["periodCount"]!.GetValueKind().Should().Be(JsonValueKind.String);
        ((string)info["periodRule"]!["periodCount"]!).Should().Be("1");
        ((string)info["currentPhaseNo"]!).Should().Be("1");
        ((string)info["trials"]![0]!["trialStartPeriod"]!).Should().Be("1");
        payments.SignatureValid.Should().BeTrue();
        payments.Json["paginator"]!.ToJsonString().Should().Be("""{"currentPage":"1","pageSize":"10","totalPage":"1","totalCount":"1"}""");
        ((string)payments.Json["payments"]![0]!["phaseNo"]!).Should().Be("1");
        created.SignatureValid.Should().BeTrue();
        created.Json["periodRule"]!.ToJsonString().Should().Be("""{"periodType":"MONTH","periodCount":"1"}""");
        var stored = (await m.NotificationsAsync("?kind=notifySubscription")).Single()!;
        ((string)stored["body"]!).Should().Contain("\"periodCount\":\"1\"", "the control API shows the body as it was sent");
    }

    [Fact]
    public async Task ByDefault_TheNumbersTheSdkModelsReadAsNumbers_AreNumbers()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));

        var inquiry = await m.Client.CallAsync(m.Merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = subscriptionId });
        var created = await m.Receiver.WaitForAsync(n => n.Kind == "notifySubscription", TimeSpan.FromSeconds(10));

        inquiry.Json["subscription"]!["periodRule"]!["periodCount"]!.GetValueKind().Should().Be(JsonValueKind.Number);
        created.Json["periodRule"]!["periodCount"]!.GetValueKind().Should().Be(JsonValueKind.Number);
    }
}
