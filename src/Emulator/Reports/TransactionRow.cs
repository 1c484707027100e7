using Emulator.Domain;

namespace Emulator.Reports;

/// <summary>
/// One line of the transaction details report (SPEC §6.4): a period payment (<c>PAYMENT</c>) or a refund of one
/// (<c>REFUND</c>, whose <see cref="OriginalTransactionId"/> is the payment refunded).
/// </summary>
/// <param name="TransactionRequestId">The merchant's key of the transaction: a refund's <c>refundRequestId</c>; for a
/// period payment, which has no request of the merchant's, the subscription's id (SPEC §8.12 leaves it open).</param>
/// <param name="ReferenceTransactionId">What else the merchant knows it by: the subscription's
/// <c>subscriptionRequestId</c>, or a refund's <c>referenceRefundId</c>.</param>
/// <param name="SettlementCurrency">The create's <c>settlementStrategy.settlementCurrency</c>, when it gave one.</param>
/// <param name="OriginalAmount">A refund's: the amount of the payment it refunds.</param>
/// <param name="RefundedBefore">A refund's: what refunds of the same payment that went back before it took back, in
/// minor units (what a refund settles and returns of the fee is its share of the payment: see <see cref="SettledTransaction"/>).</param>
public sealed record TransactionRow(
    string TransactionId,
    string? OriginalTransactionId,
    string TransactionRequestId,
    string? ReferenceTransactionId,
    string PaymentMethodType,
    string TransactionType,
    DateTimeOffset TransactionTime,
    Amount Amount,
    string OrderDescription,
    string? SettlementCurrency = null,
    Amount? OriginalAmount = null,
    long RefundedBefore = 0)
{
    public const string Payment = "PAYMENT";
    public const string Refund = "REFUND";
}
