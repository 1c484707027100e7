using Emulator.Domain;
using Emulator.Notifications;
using Emulator.Persistence;

namespace Emulator.Lifecycle;

/// <summary>Period payments a deduction fault left under way (docs/faults.md "effect"), settled when a test says so.</summary>
public sealed partial class SubscriptionService
{
    /// <summary>
    /// Settles a period's payment under way: it succeeds or fails now (the merchant's clock, read by
    /// <paramref name="clock"/> while the writer is held), its phase record says so, and its notifyPayment is owed.
    /// Neither a phase nor a conflict when the merchant has no such payment; a conflict when it is not under way. An
    /// advance under way for the merchant is told what the settlement did. The subscription the payment belongs to, when
    /// the merchant has it.
    /// </summary>
    public async Task<(Phase? Settled, string? Conflict, string? SubscriptionId)> SettlePaymentAsync(
        string clientId, string paymentId, DeductionResult result, Func<CancellationToken, Task<DateTimeOffset>> clock, CancellationToken cancellationToken)
    {
        Subscription? changed = null;
        var answer = await database.WriteAsync<(Phase?, string?, string?)>(async work =>
        {
            var now = await clock(cancellationToken);
            if (await RefundStore.FindPaymentAsync(work, clientId, paymentId, cancellationToken) is not var (subscriptionId, phase))
            {
                return (null, null, null);
            }

            var subscription = await SubscriptionStore.FindAsync(work, clientId, subscriptionId, null, cancellationToken)
                ?? throw new InvalidOperationException($"payment {paymentId} has no subscription {subscriptionId}");
            if (subscription.PaymentUnderWay?.PaymentId == paymentId && subscription.PaymentSettlesAt is { } settlesAt && settlesAt <= now)
            {
                // Its time is over: the time machine settles it as it was (at that time), whether or not it has run yet.
                return (null, $"payment {paymentId} of phase {phase.PhaseNo} succeeded by itself at {settlesAt:O}: its processing time is over, so it can no longer be settled", subscriptionId);
            }

            if (subscription.PaymentUnderWay?.PaymentId != paymentId)
            {
                return (null, $"payment {paymentId} of phase {phase.PhaseNo} is done ({phase.ResultStatus} {phase.ResultCode}"
                    + (phase.PaymentTime is { } paid ? $" at {paid:O}" : "") + "): only a payment under way can be settled", subscriptionId);
            }

            subscription.SettlePayment(now, result);
            await PersistAsync(work, subscription, isNew: false, cancellationToken);
            changed = subscription;
            return (subscription.Events.OfType<PhaseDeducted>().Single().Phase, null, subscriptionId);
        }, cancellationToken);
        await ToldAsync(changed, cancellationToken);
        return answer;
    }
}
