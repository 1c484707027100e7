namespace Emulator.Domain;

/// <summary>A refund of (part of) one period's payment (SPEC §3.11): done when it is answered, as wallets refund.</summary>
public sealed record Refund(
    string RefundId,
    string RefundRequestId,
    string PaymentId,
    string SubscriptionId,
    int PhaseNo,
    Amount Amount,
    DateTimeOffset RefundTime,
    string? ReferenceRefundId,
    string? RefundReason);
