namespace Emulator.Merchants;

/// <summary>The values of <c>fixtures/default-merchant.json</c> a merchant was loaded from (<see cref="Merchant.Fixture"/>).</summary>
public sealed record MerchantFixture(string KeyVersion, string PublicKey, string? SubscriptionNotificationUrl, string? PaymentNotificationUrl)
{
    /// <summary>
    /// The merchant with this fixture's values, in place of <paramref name="previous"/>'s: a value that differs from
    /// the previous fixture's was set by a PUT, and stays.
    /// </summary>
    public Merchant AppliedTo(Merchant merchant, MerchantFixture previous)
    {
        static T Pick<T>(T stored, T before, T now) => EqualityComparer<T>.Default.Equals(stored, before) ? now : stored;
        return merchant with
        {
            KeyVersion = Pick(merchant.KeyVersion, previous.KeyVersion, KeyVersion),
            PublicKey = Pick(merchant.PublicKey, previous.PublicKey, PublicKey),
            SubscriptionNotificationUrl = Pick(merchant.SubscriptionNotificationUrl, previous.SubscriptionNotificationUrl, SubscriptionNotificationUrl),
            PaymentNotificationUrl = Pick(merchant.PaymentNotificationUrl, previous.PaymentNotificationUrl, PaymentNotificationUrl),
            Fixture = this,
        };
    }
}
