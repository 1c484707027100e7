using System.Net.Http.Json;
using System.Security.Cryptography;

namespace ContractTests.Support;

/// <summary>A fresh merchant (own client id) registered through the control API, with a key pair the tests hold.</summary>
public sealed record TestMerchant(string ClientId, RSA PrivateKey)
{
    // One RSA key pair for every test merchant: generating 2048-bit keys per test costs time and proves nothing more.
    public static RSA SharedKey { get; } = RSA.Create(2048);

    private static int counter;

    public static Task<TestMerchant> CreateAsync(HttpClient http, NotificationInbox receiver, DateTimeOffset? frozenAt = null) =>
        CreateAsync(http, "SANDBOX_T", true, receiver.SubscriptionUrl, receiver.PaymentUrl, frozenAt);

    /// <summary>Registers the merchant through the typed control client generated from docs/openapi.json.</summary>
    public static async Task<TestMerchant> CreateAsync(
        HttpClient http, string prefix = "SANDBOX_T", bool withDefaultUrls = true, string? subscriptionUrl = null, string? paymentUrl = null, DateTimeOffset? frozenAt = null)
    {
        var clientId = $"{prefix}{Interlocked.Increment(ref counter):D4}{Guid.NewGuid():N}"[..24];
        await new Generated.EmulatorControlClient(http).PutMerchantAsync(clientId, new Generated.MerchantBody
        {
            PublicKey = Convert.ToBase64String(SharedKey.ExportSubjectPublicKeyInfo()),
            SubscriptionNotificationUrl = withDefaultUrls ? subscriptionUrl ?? "http://127.0.0.1:9/notify-subscription" : null,
            PaymentNotificationUrl = withDefaultUrls ? paymentUrl ?? "http://127.0.0.1:9/notify-payment" : null,
            Clock = frozenAt is null ? null : new Generated.MerchantClockBody { FrozenAt = frozenAt },
        });
        return new TestMerchant(clientId, SharedKey);
    }
}
