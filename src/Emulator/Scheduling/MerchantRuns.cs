using System.Collections.Concurrent;

namespace Emulator.Scheduling;

/// <summary>
/// The time machine's runs under way, merchant by merchant: the instant each has reached (the clock moves to an
/// advance's target only at its end, and calls made meanwhile are at the time its deductions and notifications are at),
/// and what those calls changed (a webhook handler's cancel), so that the advance's <c>events</c> list it too.
/// </summary>
public sealed class MerchantRuns
{
    private readonly ConcurrentDictionary<string, Run> runs = new(StringComparer.Ordinal);

    /// <param name="advancingTo">The target of an advance; null for the background loop's runs.</param>
    public void Started(string clientId, DateTimeOffset? advancingTo) => runs[clientId] = new Run { AdvancingTo = advancingTo };

    /// <summary>Whether an advance of the merchant is under way: it delivers what falls due on its way.</summary>
    public bool AdvanceUnderWay(string clientId) => runs.TryGetValue(clientId, out var run) && run.AdvancingTo is not null;

    public void Reached(string clientId, DateTimeOffset at)
    {
        if (runs.TryGetValue(clientId, out var run))
        {
            run.Reached = at;
        }
    }

    /// <summary>The instant the merchant's run has reached, while one is under way.</summary>
    public DateTimeOffset? ReachedBy(string clientId) => runs.TryGetValue(clientId, out var run) ? run.Reached : null;

    /// <summary>A call made during the merchant's run changed these (nothing happens when no run is under way).</summary>
    public void Tell(string clientId, IEnumerable<JournalEvent> events)
    {
        if (runs.TryGetValue(clientId, out var run))
        {
            foreach (var e in events)
            {
                run.Told.Enqueue(e);
            }
        }
    }

    /// <summary>What calls changed since the last time this was asked.</summary>
    public IEnumerable<JournalEvent> TakeTold(string clientId)
    {
        if (runs.TryGetValue(clientId, out var run))
        {
            while (run.Told.TryDequeue(out var e))
            {
                yield return e;
            }
        }
    }

    public void Ended(string clientId) => runs.TryRemove(clientId, out _);

    private sealed class Run
    {
        public DateTimeOffset? AdvancingTo { get; init; }

        public DateTimeOffset? Reached { get; set; }

        public ConcurrentQueue<JournalEvent> Told { get; } = new();
    }
}
