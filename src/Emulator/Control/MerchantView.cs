using Emulator.Merchants;

namespace Emulator.Control;

public sealed record MerchantView(string ClientId, string KeyVersion, string PublicKey, string? SubscriptionNotificationUrl, string? PaymentNotificationUrl, DateTimeOffset CreatedAt, MerchantSettlementBody Settlement)
{
    public static MerchantView From(Merchant m) => new(m.ClientId, m.KeyVersion, m.PublicKey, m.SubscriptionNotificationUrl, m.PaymentNotificationUrl, m.CreatedAt, MerchantSettlementBody.From(m.Terms));
}
