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
public sealed record TransactionRow(
    string TransactionId,
    string? OriginalTransactionId,
    string TransactionRequestId,
    string? ReferenceTransactionId,
    string PaymentMethodType,
    string TransactionType,
    DateTimeOffset TransactionTime,
    Amount Amount,
    string OrderDescription)
{
    public const string Payment = "PAYMENT";
    public const string Refund = "REFUND";
}
