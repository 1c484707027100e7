using Emulator.Domain;
using Emulator.Scheduling;

namespace Emulator.Lifecycle;

/// <summary>
/// A test settles a period's payment a deduction fault left under way (control API or dashboard), on the merchant's
/// clock. It returns once the notifyPayment it caused, and whatever fell due behind it, had a first delivery attempt,
/// as a buyer's decision does (<see cref="BuyerDecisions"/>).
/// </summary>
public sealed class PaymentSettlements(SubscriptionService service, MerchantClocks clocks, TimeMachine machine)
{
    /// <summary>
    /// The settled phase; null phase and conflict when the merchant has no such payment; a conflict when it is not under
    /// way. The subscription the payment belongs to, when the merchant has it.
    /// </summary>
    public async Task<(Phase? Phase, string? Conflict, string? SubscriptionId)> SettleAsync(string clientId, string paymentId, DeductionResult result, CancellationToken cancellationToken)
    {
        DateTimeOffset now = default;
        var answer = await service.SettlePaymentAsync(clientId, paymentId, result, async ct => now = await clocks.NowAsync(clientId, ct), cancellationToken);
        if (answer.Settled is not null)
        {
            await machine.RunWhatACallCausedAsync(clientId, now, cancellationToken);
        }

        return answer;
    }
}
