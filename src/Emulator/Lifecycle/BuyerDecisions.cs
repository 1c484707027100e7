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

        // During an advance, that advance delivers what this caused, at this time. While another run of the merchant has
        // notifications out here, or runs in another instance (a webhook handler approving, say, on the CREATE of
        // another approval), a run right after it does (the current one too, when this falls before its end). Waiting
        // for either would wait for the handler that is waiting for this call. This decision is committed before the
        // runs are asked about.
        if (!await runs.AdvanceUnderWayAsync(clientId, cancellationToken))
        {
            if (await machine.MayBeAwaitedByARunAsync(clientId, cancellationToken))
            {
                machine.RunDueAfterCurrentRun(clientId, now);
            }
            else
            {
                await machine.RunDueAsync(clientId, now, cancellationToken);
            }
        }
        else
        {
            // The advance may be past its last look at what is due (this decision came at its very end): a run right
            // after it makes what this caused, and finds nothing to do when the advance did it.
            machine.RunDueAfterCurrentRun(clientId, now);
        }

        return (await store.FindAsync(clientId, subscription.SubscriptionId, cancellationToken) ?? subscription, outcome);
    }
}
