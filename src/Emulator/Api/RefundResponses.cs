using Emulator.Domain;
using Emulator.Protocol;

namespace Emulator.Api;

/// <summary>refund's answer (SPEC §3.11): the ids, the amount and the time, given when the refund succeeded.</summary>
public sealed record RefundResponse(
    AntomResult Result, string RefundRequestId, string RefundId, string PaymentId, Amount RefundAmount, string RefundTime) : AntomResponse(Result)
{
    public static RefundResponse Of(Refund refund) => new(
        AntomResult.Success, refund.RefundRequestId, refund.RefundId, refund.PaymentId, refund.Amount, Notifications.NotificationBodies.Time(refund.RefundTime, refund.RefundTime.Offset));
}

/// <summary>inquiryRefund's answer (SPEC §3.11): a refund here is done when answered, so its status is SUCCESS.</summary>
public sealed record InquiryRefundResponse(
    AntomResult Result, string RefundId, string RefundRequestId, Amount RefundAmount, string RefundStatus, string RefundTime) : AntomResponse(Result)
{
    public static InquiryRefundResponse Of(Refund refund) => new(
        AntomResult.Success, refund.RefundId, refund.RefundRequestId, refund.Amount, "SUCCESS", Notifications.NotificationBodies.Time(refund.RefundTime, refund.RefundTime.Offset));
}
