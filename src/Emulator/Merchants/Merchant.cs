namespace Emulator.Merchants;

/// <summary>
/// A tenant: one client id with its registered public key and Dashboard-default notification URLs.
/// <paramref name="Fixture"/> is what <c>fixtures/default-merchant.json</c> said when the merchant was last loaded from
/// it (null for merchants made through the control API only). <paramref name="Settlement"/> is null for one that kept
/// the defaults (<see cref="SettlementTerms.Default"/>; merchants stored before settlement existed have none).
/// </summary>
public sealed record Merchant(
    string ClientId,
    string KeyVersion,
    string PublicKey,
    string? SubscriptionNotificationUrl,
    string? PaymentNotificationUrl,
    DateTimeOffset CreatedAt,
    MerchantFixture? Fixture = null,
    SettlementTerms? Settlement = null)
{
    /// <summary>The settlement terms in force: the merchant's own, or the defaults.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public SettlementTerms Terms => Settlement ?? SettlementTerms.Default;
}
