using Emulator.Testing;

// The README's example, compiled and run as it is written there (keep the two identical).
namespace ContractTests.Harness;

public sealed class ReadmeExampleTests
{
    [Fact]
    public async Task MonthlyPlan_ChargesEachMonth_ThenCancels()
    {
        await using var emulator = await AntomEmulator.StartOrConnectAsync();
        await using var merchant = await emulator.CreateMerchantAsync(frozenAt: new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
        // Point your Antom client at emulator.BaseUrl with merchant.ClientId and merchant.PrivateKeyPkcs8Base64;
        // here the kit signs the call itself.
        var create = await merchant.CallAsync("create", new
        {
            subscriptionRequestId = "order-42",
            subscriptionDescription = "Premium, monthly",
            subscriptionRedirectUrl = "https://merchant.example/done",
            subscriptionStartTime = "2027-01-01T00:00:00+00:00",
            periodRule = new { periodType = "MONTH", periodCount = 1 },
            paymentMethod = new { paymentMethodType = "GCASH" },
            paymentAmount = new { currency = "PHP", value = "19900" },
            orderInfo = new { orderAmount = new { currency = "PHP", value = "19900" } },
            env = new { terminalType = "WEB" },
        });
        var subscriptionId = (await merchant.ApproveAsync("order-42")).AsSubscription().SubscriptionId;

        var events = await merchant.AdvanceAsync("P3M");
        var cancel = await merchant.CallAsync("cancel", new { subscriptionId, cancellationType = "CANCEL" });
        var cancelled = await merchant.WaitForSubscriptionNotificationAsync("CANCEL", subscriptionId);

        Assert.Equal("SUCCESS", create.ResultCode);
        Assert.Equal(["19900", "19900", "19900"], events.Deductions().Select(d => d.AmountValue));
        Assert.All(merchant.Inbox!.Received, n => Assert.True(n.SignatureValid));
        Assert.Equal("SUCCESS", cancel.ResultCode);
        Assert.Equal("ACTIVE", cancelled.SubscriptionStatus);
    }
}
