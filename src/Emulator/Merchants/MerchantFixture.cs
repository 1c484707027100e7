namespace Emulator.Merchants;

/// <summary>The values of <c>fixtures/default-merchant.json</c> a merchant was loaded from (<see cref="Merchant.Fixture"/>).</summary>
public sealed record MerchantFixture(string KeyVersion, string PublicKey, string? SubscriptionNotificationUrl, string? PaymentNotificationUrl)
{
    /// <summary>
    /// The merchant with this fixture's values, in place of <paramref name="previous"/>'s: a value that differs from
    /// the previous fixture's was set by a PUT, and stays.
    /// </summary>
    /// <remarks>The key and its version go together: a PUT's key never gets the fixture's version, nor the reverse.</remarks>
    public Merchant AppliedTo(Merchant merchant, MerchantFixture previous)
    {
        static T Pick<T>(T stored, T before, T now) => EqualityComparer<T>.Default.Equals(stored, before) ? now : stored;
        var (keyVersion, publicKey) = Pick((merchant.KeyVersion, merchant.PublicKey), (previous.KeyVersion, previous.PublicKey), (KeyVersion, PublicKey));
        return merchant with
        {
            KeyVersion = keyVersion,
            PublicKey = publicKey,
            SubscriptionNotificationUrl = Pick(merchant.SubscriptionNotificationUrl, previous.SubscriptionNotificationUrl, SubscriptionNotificationUrl),
            PaymentNotificationUrl = Pick(merchant.PaymentNotificationUrl, previous.PaymentNotificationUrl, PaymentNotificationUrl),
            Fixture = this,
        };
    }
}
