using Emulator.Merchants;

namespace Emulator.Control;

/// <param name="LastUsedAt">
/// On the wall's clock, when the merchant was last used before this call (an API call, or a control call or dashboard
/// page naming it; this call is a use too, shown by the next): what <c>Emulator:MerchantRetention</c> counts from. Null
/// when no use was recorded yet, and always when <c>Emulator:MerchantRetention</c> is not set (uses are not tracked).
/// </param>
public sealed record MerchantView(
    string ClientId,
    string KeyVersion,
    string PublicKey,
    string? SubscriptionNotificationUrl,
    string? PaymentNotificationUrl,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt,
    MerchantSettlementBody Settlement)
{
    public static MerchantView From(Merchant m, DateTimeOffset? lastUsedAt) =>
        new(m.ClientId, m.KeyVersion, m.PublicKey, m.SubscriptionNotificationUrl, m.PaymentNotificationUrl, m.CreatedAt, lastUsedAt, MerchantSettlementBody.From(m.Terms));
}
