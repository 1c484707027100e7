namespace Emulator.Merchants;

/// <summary>
/// A tenant: one client id with its registered public key and Dashboard-default notification URLs.
/// <paramref name="Fixture"/> is what <c>fixtures/default-merchant.json</c> said when the merchant was last loaded from
/// it (null for merchants made through the control API only).
/// </summary>
public sealed record Merchant(
    string ClientId,
    string KeyVersion,
    string PublicKey,
    string? SubscriptionNotificationUrl,
    string? PaymentNotificationUrl,
    DateTimeOffset CreatedAt,
    MerchantFixture? Fixture = null);
