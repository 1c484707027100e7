using Emulator.Domain;
using Emulator.Protocol;

namespace Emulator.Api;

/// <summary>refund's answer (SPEC §3.11): the ids, the amount and the time, given when the refund succeeded.</summary>
public sealed record RefundResponse(
    AntomResult Result, string RefundRequestId, string RefundId, string PaymentId, Amount RefundAmount, string RefundTime) : AntomResponse(Result)
{
    /// <summary>The answer of a refund that succeeded.</summary>
    public static RefundResponse Of(Refund refund) => new(
        AntomResult.Success, refund.RefundRequestId, refund.RefundId, refund.PaymentId, refund.Amount, WireTime(refund.CompletedAt!.Value, refund));

    /// <summary>
    /// What a repeated refund request is answered while or after its refund processed: <c>REFUND_IN_PROCESS</c> (U)
    /// while it is, the refund once it succeeded, <c>PROCESS_FAIL</c> (F) once it failed.
    /// </summary>
    public static AntomResponse Repeated(Refund refund) => refund.Status switch
    {
        Refund.Processing => new AntomResponse(new AntomResult("REFUND_IN_PROCESS", "U",
            $"refund {refund.RefundId} of {refund.Amount} is still being processed; ask again with the same refundRequestId, or call inquiryRefund")),
        Refund.Fail => new AntomResponse(new AntomResult("PROCESS_FAIL", "F",
            $"refund {refund.RefundId} of {refund.Amount} failed at {WireTime(refund.SettledAt!.Value, refund)}: nothing was refunded")),
        _ => Of(refund),
    };

    internal static string WireTime(DateTimeOffset at, Refund refund) => Notifications.NotificationBodies.Time(at, refund.RefundTime.Offset);
}

/// <summary>inquiryRefund's answer (SPEC §3.11): the refund's status, and when it succeeded, its time.</summary>
public sealed record InquiryRefundResponse(
    AntomResult Result, string RefundId, string RefundRequestId, Amount RefundAmount, string RefundStatus, string? RefundTime) : AntomResponse(Result)
{
    public static InquiryRefundResponse Of(Refund refund) => new(
        AntomResult.Success, refund.RefundId, refund.RefundRequestId, refund.Amount, refund.Status,
        refund.CompletedAt is { } done ? RefundResponse.WireTime(done, refund) : null);
}
