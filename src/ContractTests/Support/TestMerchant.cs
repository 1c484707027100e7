using System.Net.Http.Json;
using System.Security.Cryptography;

namespace ContractTests.Support;

/// <summary>A fresh merchant (own client id) registered through the control API, with a key pair the tests hold.</summary>
public sealed record TestMerchant(string ClientId, RSA PrivateKey)
{
    // One RSA key pair for every test merchant: generating 2048-bit keys per test costs time and proves nothing more.
    public static RSA SharedKey { get; } = RSA.Create(2048);

    private static int counter;

    public static Task<TestMerchant> CreateAsync(HttpClient http, NotificationInbox receiver, object? clock = null) =>
        CreateAsync(http, "SANDBOX_T", true, receiver.SubscriptionUrl, receiver.PaymentUrl, clock);

    public static async Task<TestMerchant> CreateAsync(
        HttpClient http, string prefix = "SANDBOX_T", bool withDefaultUrls = true, string? subscriptionUrl = null, string? paymentUrl = null, object? clock = null)
    {
        var clientId = $"{prefix}{Interlocked.Increment(ref counter):D4}{Guid.NewGuid():N}"[..24];
        var response = await http.PutAsJsonAsync($"/_emulator/v1/merchants/{clientId}", new
        {
            publicKey = Convert.ToBase64String(SharedKey.ExportSubjectPublicKeyInfo()),
            subscriptionNotificationUrl = withDefaultUrls ? subscriptionUrl ?? "http://127.0.0.1:9/notify-subscription" : null,
            paymentNotificationUrl = withDefaultUrls ? paymentUrl ?? "http://127.0.0.1:9/notify-payment" : null,
            clock,
        });
        response.EnsureSuccessStatusCode();
        return new TestMerchant(clientId, SharedKey);
    }
}
