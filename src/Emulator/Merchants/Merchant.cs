namespace Emulator.Merchants;

/// <summary>A tenant: one client id with its registered public key and Dashboard-default notification URLs.</summary>
public sealed record Merchant(
    string ClientId,
    string KeyVersion,
    string PublicKey,
    string? SubscriptionNotificationUrl,
    string? PaymentNotificationUrl,
    DateTimeOffset CreatedAt);
