namespace Emulator.Domain;

/// <summary>The buyer's payment method (SPEC §2.5).</summary>
public sealed record PaymentMethod(string PaymentMethodType, string? PaymentMethodId, string? CustomerId)
{
    /// <summary>The wallets of SPEC §10 plus <c>CARD</c>.</summary>
    public static IReadOnlyList<string> Types { get; } =
    [
        "BKASH", "ALIPAY_CN", "ALIPAY_HK", "DANA", "PAYPAY", "BOOST", "TNG", "GRABPAY_MY", "EASYPAISA", "GCASH", "MAYA",
        "GRABPAY_PH", "GRABPAY_SG", "KAKAOPAY", "NAVERPAY", "RABBIT_LINE_PAY", "TRUEMONEY", "ZALOPAY", "CARD",
    ];
}
