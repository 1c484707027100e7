using Emulator.Domain;
using Emulator.Protocol;

namespace Emulator.Api;

/// <summary>A validated <c>payments/refund</c> request (SPEC §3.11) for a period payment.</summary>
public sealed record RefundRequest(string RefundRequestId, string PaymentId, Amount RefundAmount, string? ReferenceRefundId, string? RefundReason)
{
    public static RefundRequest? Parse(JsonFields body)
    {
        var requestId = body.Text("refundRequestId", 64, required: true);
        var paymentId = body.Text("paymentId", 64, required: true);
        var amount = body.Amount("refundAmount", required: true);
        var reference = body.Text("referenceRefundId", 64);
        var reason = body.Text("refundReason", 256);
        body.Url("refundNotifyUrl", 1024);
        body.Text("captureId", 64);
        body.Text("metadata", 2048);
        if (amount is { Value: 0 })
        {
            body.Fail("refundAmount.value", "must be more than 0");
        }

        return body.Errors.Count > 0 ? null : new RefundRequest(requestId!, paymentId!, amount!, reference, reason);
    }
}

/// <summary>A validated <c>payments/inquiryRefund</c> request (SPEC §3.11): the refund id wins over the request id.</summary>
public sealed record InquiryRefundRequest(string? RefundId, string? RefundRequestId)
{
    public static InquiryRefundRequest? Parse(JsonFields body)
    {
        var requestId = body.Text("refundRequestId", 64);
        var refundId = body.Text("refundId", 64);
        body.Text("merchantAccountId", 64);
        if (body.Errors.Count == 0 && requestId is null && refundId is null)
        {
            body.Fail("refundId", "is required when refundRequestId is absent: give one of them");
        }

        return body.Errors.Count > 0 ? null : new InquiryRefundRequest(refundId, requestId);
    }
}
