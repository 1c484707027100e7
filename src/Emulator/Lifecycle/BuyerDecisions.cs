using Emulator.Domain;
using Emulator.Persistence;
using Emulator.Scheduling;

namespace Emulator.Lifecycle;

/// <summary>
/// The buyer's approve or decline (authorization page or control API), on the merchant's clock. It returns once the
/// notifications it caused (CREATE, phase 1) have had their first delivery attempt (CONTROL-API.md "Buyer"), except
/// during an advance of the merchant, which makes those attempts, and while another run of it has notifications out or
/// runs in another instance, when a run right after it makes them.
/// </summary>
public sealed class BuyerDecisions(SubscriptionService service, SubscriptionStore store, MerchantClocks clocks, TimeMachine machine, MerchantRuns runs)
{
    public async Task<(Subscription? Subscription, Outcome Outcome)> DecideAsync(
        string clientId, string subscriptionRequestId, bool approve, CancellationToken cancellationToken)
    {
        var now = await clocks.NowAsync(clientId, cancellationToken);
        var charged = new List<JournalEvent>();
        var (subscription, outcome) = await service.DecideAsync(
            clientId, subscriptionRequestId, approve, now, cancellationToken,
            approve ? (work, decided) => machine.RunSubscriptionDueAsync(work, clientId, decided.SubscriptionId, now, charged, cancellationToken) : null);
        if (subscription is null)
        {
            return (null, outcome);
        }

        await runs.TellAsync(clientId, charged, cancellationToken);
        await machine.RunWhatACallCausedAsync(clientId, now, cancellationToken);
        try
        {
            return (await store.FindAsync(clientId, subscription.SubscriptionId, cancellationToken) ?? subscription, outcome);
        }
        catch (Exception ex) when (DatabaseFailures.Transient(ex) is not null && !cancellationToken.IsCancellationRequested)
        {
            // The decision is committed: the caller gets it as it was decided, not a 503 that would have it sent again.
            return (subscription, outcome);
        }
    }
}
