using Emulator.Api;
using Emulator.Domain;
using Emulator.Notifications;
using Emulator.Persistence;
using Emulator.Protocol;

namespace Emulator.Lifecycle;

/// <summary>
/// Refunds of period payments (SPEC §3.11, docs/emulation.md "refund"): done when answered, as wallets refund; partial and
/// repeated up to the payment's amount, within 12 months of it; no notifyRefund (Antom sends none for subscription
/// refunds). Idempotent by <c>refundRequestId</c> like change.
/// </summary>
public sealed partial class SubscriptionService
{
    /// <summary>How long after a payment it may be refunded (SPEC §3.11).</summary>
    public const int RefundWindowMonths = 12;

    private static readonly PeriodRule RefundWindow = new("MONTH", RefundWindowMonths);

    public async Task<AntomResponse> RefundAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        var fields = JsonFields.Root(request.Body, []);
        if (RefundRequest.Parse(fields) is not { } refund)
        {
            return await RepeatOrParamIllegalAsync(request, Apis.Refund, "refundRequestId", fields, cancellationToken);
        }

        if (request.Injected is { } injected)
        {
            return await KeepInjectedAsync(request, Apis.Refund, refund.RefundRequestId, injected, cancellationToken);
        }

        var clientId = request.Merchant.ClientId;
        if (await ReplayAsync(clientId, Apis.Refund, refund.RefundRequestId, request, cancellationToken) is { } replay)
        {
            // The same request again: a refund taken as processing is answered as it stands now, not as it was.
            return replay is ReplayedResponse && await refunds.FindAsync(clientId, null, refund.RefundRequestId, cancellationToken) is { TakenAsProcessing: true } taken
                ? RefundResponse.Repeated(taken.At(request.Now))
                : replay;
        }

        Subscription? settled = null;
        var answered = await WriteCallAsync(request, async work =>
        {
            if (await RefundStore.FindPaymentAsync(work, clientId, refund.PaymentId, cancellationToken) is not var (subscriptionId, phase))
            {
                var unknown = new AntomResponse(new AntomResult("ORDER_NOT_EXIST", "F", $"no payment '{refund.PaymentId}' exists for this client id"));
                return await FirstAnswerAsync(work, clientId, Apis.Refund, refund.RefundRequestId, request, unknown.Result, AntomGateway.Serialize(unknown), cancellationToken);
            }

            var subscription = await SubscriptionStore.FindAsync(work, clientId, subscriptionId, null, cancellationToken)
                ?? throw new InvalidOperationException($"payment {phase.PaymentId} has no subscription {subscriptionId}");
            request.InTimeline.SubscriptionId = subscriptionId;

            // A payment whose processing time is over has succeeded by then, whether or not the time machine has run
            // (docs/faults.md "effect"): settled here, it is refunded as any other.
            if (phase.UnderWay && subscription.PaymentUnderWay?.PaymentId == phase.PaymentId && subscription.SettleIfDue(request.Now))
            {
                phase = subscription.Events.OfType<PhaseDeducted>().Last().Phase;
            }

            var before = (await RefundStore.OfPaymentAsync(work, phase.PaymentId, cancellationToken)).Where(r => r.Holds).Sum(r => r.Amount.Value);
            var what = $"{refund.RefundAmount} of phase {phase.PhaseNo} ({phase.PaymentId})";
            Refund? done = null;
            AntomResponse answer;
            if (Refusal(phase, refund.RefundAmount, before, request.Now) is { } refused)
            {
                answer = new AntomResponse(refused);
                subscription.RecordApiCall(request.Now, Apis.Refund, refund.RefundRequestId, refused.ResultCode, request.AnsweredWith, $"{what}: {refused.ResultMessage}", request.Processing is null ? "applied" : "processing");
            }
            else if (request.Processing is { } processing)
            {
                // A fault answered U and left the refund processing: the money is held for it until it settles.
                done = NewRefund() with { Status = Refund.Processing, SettlesAt = processing.Until is { } due ? NotificationBodies.InOffset(due, subscription.Plan.StartTime.Offset) : null };
                answer = RefundResponse.Repeated(done);
                var until = done.SettlesAt is { } settles ? $"until {settles:O}, then SUCCESS" : "until settled through the control API";
                subscription.RecordApiCall(request.Now, Apis.Refund, refund.RefundRequestId, Refund.Processing, request.AnsweredWith, $"{what} taken as {done.RefundId}, processing {until}", "processing");
            }
            else
            {
                done = NewRefund();
                answer = RefundResponse.Of(done);
                subscription.RecordApiCall(request.Now, Apis.Refund, refund.RefundRequestId, "SUCCESS", request.AnsweredWith, $"{what} refunded as {done.RefundId}");
            }

            Refund NewRefund() => new(
                ids.NextRefundId(request.Now), refund.RefundRequestId, phase.PaymentId, subscriptionId, phase.PhaseNo, refund.RefundAmount,
                NotificationBodies.InOffset(request.Now, subscription.Plan.StartTime.Offset), refund.ReferenceRefundId, refund.RefundReason);

            // The request id's record first: a concurrent twin that got there first is answered with its answer, and
            // nothing of this one is written (create does the same).
            return await FirstAnswerAsync(work, clientId, Apis.Refund, refund.RefundRequestId, request, answer.Result, AntomGateway.Serialize(answer), cancellationToken,
                async () =>
                {
                    if (done is not null)
                    {
                        await RefundStore.InsertAsync(work, clientId, done, cancellationToken);
                    }

                    request.InTimeline.Recorded = true;
                    await PersistAsync(work, subscription, isNew: false, cancellationToken);
                    settled = subscription.Events.Count > 0 ? subscription : null;
                });
        }, cancellationToken);
        await ToldAsync(settled, cancellationToken);
        return answered;
    }

    /// <summary>Why this amount of the payment cannot be refunded, or null when it can.</summary>
    private static AntomResult? Refusal(Phase phase, Amount amount, long refundedBefore, DateTimeOffset now)
    {
        if (phase.UnderWay)
        {
            return new AntomResult("ORDER_STATUS_INVALID", "F", $"payment '{phase.PaymentId}' of phase {phase.PhaseNo} is still being processed: it can be refunded once it succeeded");
        }

        if (!phase.Succeeded || phase.PaymentTime is not { } paid)
        {
            return new AntomResult("ORDER_STATUS_INVALID", "F", $"payment '{phase.PaymentId}' of phase {phase.PhaseNo} failed ({phase.ResultCode}): there is nothing to refund");
        }

        if (amount.Currency != phase.Amount.Currency)
        {
            return new AntomResult("CURRENCY_NOT_SUPPORT", "F", $"refundAmount.currency must be {phase.Amount.Currency}, the payment's currency (got {amount.Currency})");
        }

        if (phase.Amount.Value == 0)
        {
            return new AntomResult("REFUND_AMOUNT_EXCEED", "F", $"payment '{phase.PaymentId}' of phase {phase.PhaseNo} was 0 {phase.Amount.Currency} (a free trial period): there is nothing to refund");
        }

        // With calendar arithmetic; a window that would close after the year 9999 (a payment made in the calendar's last
        // 12 months) is still open at its end.
        if (RefundWindow.Add(paid, 1) is var closes && closes != DateTimeOffset.MaxValue && now >= closes)
        {
            return new AntomResult("REFUND_WINDOW_EXCEED", "F",
                $"payment '{phase.PaymentId}' was made at {paid:O}; it could be refunded for {RefundWindowMonths} months, until {closes:O}");
        }

        if (refundedBefore + amount.Value > phase.Amount.Value)
        {
            var left = new Amount(phase.Amount.Currency, phase.Amount.Value - refundedBefore);
            return new AntomResult("REFUND_AMOUNT_EXCEED", "F",
                $"refundAmount {amount} and the {refundedBefore} {amount.Currency} refunded before (or being refunded) exceed the payment's {phase.Amount}; at most {left} is left to refund");
        }

        return null;
    }

    /// <summary>inquiryRefund (SPEC §3.11): by refund id, or else by the merchant's request id.</summary>
    public async Task<AntomResponse> InquireRefundAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        var fields = JsonFields.Root(request.Body, []);
        if (InquiryRefundRequest.Parse(fields) is not { } inquiry)
        {
            return ParamIllegal(fields);
        }

        return await refunds.FindAsync(request.Merchant.ClientId, inquiry.RefundId, inquiry.RefundRequestId, cancellationToken) is { } found
            ? InquiryRefundResponse.Of(found.At(request.Now))
            : new AntomResponse(new AntomResult("ORDER_NOT_EXIST", "F", inquiry.RefundId is { } id
                ? $"no refund with refundId '{id}' exists for this client id"
                : $"no refund with refundRequestId '{inquiry.RefundRequestId}' exists for this client id"));
    }

    /// <summary>
    /// Settles a refund a fault left processing (the control API): it succeeds or fails now (the merchant's clock, read
    /// by <paramref name="clock"/> while the writer is held, so that a clock moved meanwhile is seen), and the
    /// subscription's timeline says so. Null when the merchant has no such refund; a conflict when it is not processing
    /// (done when answered, settled before, or its processing time is over).
    /// </summary>
    public async Task<(Refund? Refund, string? Conflict)> SettleRefundAsync(
        string clientId, string refundId, string status, Func<CancellationToken, Task<DateTimeOffset>> clock, CancellationToken cancellationToken) =>
        await database.WriteAsync<(Refund?, string?)>(async work =>
        {
            var now = await clock(cancellationToken);
            if ((await RefundStore.FindAsync(work, clientId, refundId, cancellationToken))?.At(now) is not { } refund)
            {
                return (null, null);
            }

            if (refund.Status != Refund.Processing)
            {
                var since = refund.TakenAsProcessing ? $"since {refund.SettledAt:O}" : "done when answered";
                return (refund, $"refund {refundId} is {refund.Status} ({since}): only a PROCESSING refund can be settled");
            }

            var settled = refund with { Status = status, SettledAt = NotificationBodies.InOffset(now, refund.RefundTime.Offset) };
            await RefundStore.UpdateAsync(work, settled, cancellationToken);
            var subscription = await SubscriptionStore.FindAsync(work, clientId, refund.SubscriptionId, null, cancellationToken)
                ?? throw new InvalidOperationException($"refund {refundId} has no subscription {refund.SubscriptionId}");
            subscription.RecordRefundSettled(now, settled);
            await subscriptions.SaveAsync(work, subscription, isNew: false, cancellationToken);
            return (settled, null);
        }, cancellationToken);
}
