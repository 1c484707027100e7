namespace Emulator.Domain;

/// <summary>
/// A refund of (part of) one period's payment (SPEC §3.11). Done when it is answered, as wallets refund, unless a fault
/// left it <see cref="Processing"/> (a <c>REFUND_IN_PROCESS</c> whose effect is <c>processing</c>): then it succeeds by
/// itself at <see cref="SettlesAt"/> on the merchant's clock, or is settled through the control API.
/// </summary>
/// <param name="RefundTime">When Antom took the refund: for one done when answered, also when it was done.</param>
public sealed record Refund(
    string RefundId,
    string RefundRequestId,
    string PaymentId,
    string SubscriptionId,
    int PhaseNo,
    Amount Amount,
    DateTimeOffset RefundTime,
    string? ReferenceRefundId,
    string? RefundReason)
{
    public const string Success = "SUCCESS";
    public const string Processing = "PROCESSING";
    public const string Fail = "FAIL";

    /// <summary><c>SUCCESS</c>, <c>PROCESSING</c> or <c>FAIL</c>, as inquiryRefund's <c>refundStatus</c> says them (as stored: see <see cref="At"/>).</summary>
    public string Status { get; init; } = Success;

    /// <summary>When a <c>PROCESSING</c> refund succeeds by itself (merchant clock); null: only when settled through the control API.</summary>
    public DateTimeOffset? SettlesAt { get; init; }

    /// <summary>When a refund taken as <c>PROCESSING</c> succeeded or failed; null while it is processing, and for one done when answered.</summary>
    public DateTimeOffset? SettledAt { get; init; }

    /// <summary>The refund as it stands at <paramref name="now"/>: a processing refund whose time has come has succeeded then.</summary>
    public Refund At(DateTimeOffset now) =>
        Status == Processing && SettlesAt is { } due && due <= now ? this with { Status = Success, SettledAt = due } : this;

    /// <summary>When the money went back (the wire's <c>refundTime</c>): only for a refund that succeeded.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public DateTimeOffset? CompletedAt => Status == Success ? SettledAt ?? RefundTime : null;

    /// <summary>Whether the refund was taken as processing rather than done when answered (its answer then follows its status).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool TakenAsProcessing => Status != Success || SettledAt is not null;

    /// <summary>Whether its amount is taken from what may still be refunded of the payment: all but a failed refund.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Holds => Status != Fail;
}
