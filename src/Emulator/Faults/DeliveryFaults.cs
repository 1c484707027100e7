namespace Emulator.Faults;

/// <summary>
/// Chooses the delivery fault rules (<c>notifySubscription</c>, <c>notifyPayment</c>) of one round of a merchant's
/// deliveries, attempt by attempt, without using them up: the write that records what a rule did to an attempt uses it
/// (<see cref="DeliveryFaultUse.UseAsync"/>), so a rule is never spent on an attempt the ledger does not show (the
/// process died while it was out; the attempt goes out again after the restart and meets the rule then). The round's
/// subscriptions are delivered side by side and their attempts recorded later, in batches: this keeps what it chose and
/// has not seen written, so that two attempts never take the same use. Only a run of the merchant (which holds the
/// merchant's turn, in every instance) uses these rules, so the counts read once, less what the round chose, are the
/// counts: a rule read for the first time (added during the round) starts from the database's.
/// </summary>
public sealed class DeliveryFaults(FaultStore store, string clientId)
{
    private readonly SemaphoreSlim one = new(1, 1);

    // Per rule: the counts as first read in this round, and what the round has chosen since.
    private readonly Dictionary<string, (int Skip, int? Times, long Evaluated)> firstRead = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Skips, int Times, int Draws)> chosen = new(StringComparer.Ordinal);

    /// <summary>
    /// The use of the merchant's rules for this attempt (the rule that hits it, or null, and the counts it moves); null
    /// when no rule concerns it. <paramref name="applies"/> passes over the rules it refuses without touching them.
    /// </summary>
    public async Task<DeliveryFaultUse?> ChooseAsync(string target, Func<FaultContext> context, Func<FaultRule, bool>? applies, CancellationToken cancellationToken)
    {
        if (store.KnownToHaveNone(clientId))
        {
            return null;
        }

        await one.WaitAsync(cancellationToken);
        try
        {
            var live = await store.LiveRulesAsync(clientId, target, cancellationToken);
            if (live.Count == 0)
            {
                return null;
            }

            var (hit, changes) = FaultStore.Decide(live.Select(AsChosenSoFar).Where(r => r.Rule.Remaining is null or > 0), context(), applies);
            foreach (var (id, count) in changes)
            {
                var (skips, times, draws) = chosen.GetValueOrDefault(id);
                chosen[id] = count switch
                {
                    FaultCount.Draw => (skips, times, draws + 1),
                    FaultCount.Skip => (skips + 1, times, draws),
                    _ => (skips, times + 1, draws),
                };
            }

            return changes.Count == 0 ? null : new DeliveryFaultUse(hit, changes);
        }
        finally
        {
            one.Release();
        }
    }

    /// <summary>A rule as this round stands with it: its counts as first read, less what the round chose.</summary>
    private (string Id, FaultRule Rule, long Evaluated) AsChosenSoFar((string Id, FaultRule Rule, long Evaluated) read)
    {
        var (id, rule, evaluated) = read;
        if (!firstRead.TryGetValue(id, out var first))
        {
            firstRead[id] = first = (rule.SkipRemaining, rule.Remaining, evaluated);
        }

        var (skips, times, draws) = chosen.GetValueOrDefault(id);
        return (id, rule with { SkipRemaining = first.Skip - skips, Remaining = first.Times - times }, first.Evaluated + draws);
    }
}
