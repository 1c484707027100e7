using System.Collections.Concurrent;
using System.Text.Json;
using Emulator.Persistence;

namespace Emulator.Scheduling;

/// <summary>
/// The time machine's runs under way, merchant by merchant: the instant each has reached (the clock moves to an
/// advance's target only at its end, and calls made meanwhile are at the time its deductions and notifications are at),
/// and what those calls changed (a webhook handler's cancel), so that the advance's <c>events</c> list it too. On a
/// shared database the run is also published through its <see cref="MerchantTurn"/>, so that calls reaching another
/// instance (a webhook handler behind a load balancer) see it as calls reaching this one do.
/// </summary>
public sealed class MerchantRuns(Database database, ILogger<MerchantRuns> logger)
{
    private readonly ConcurrentDictionary<string, Run> runs = new(StringComparer.Ordinal);

    /// <param name="advancingTo">The target of an advance; null for the background loop's runs.</param>
    public async Task StartedAsync(string clientId, DateTimeOffset? advancingTo, MerchantTurn turn, CancellationToken cancellationToken)
    {
        var run = new Run(turn, advancingTo is not null);
        runs[clientId] = run;
        await turn.PublishAsync(null, run.Advancing, cancellationToken);
    }

    public async Task ReachedAsync(string clientId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (runs.TryGetValue(clientId, out var run))
        {
            run.Reached = at;
            await run.Turn.PublishAsync(at, run.Advancing, cancellationToken);
        }
    }

    /// <summary>Whether an advance of the merchant is under way, here or in another instance: it delivers what falls due on its way.</summary>
    public async Task<bool> AdvanceUnderWayAsync(string clientId, CancellationToken cancellationToken) =>
        runs.TryGetValue(clientId, out var run)
            ? run.Advancing
            : (await database.OtherRunAsync(clientId, cancellationToken))?.Advancing == true;

    /// <summary>Whether another instance sharing the database has a run of the merchant under way (and this one none).</summary>
    public async Task<bool> UnderWayElsewhereAsync(string clientId, CancellationToken cancellationToken) =>
        !runs.ContainsKey(clientId) && await database.OtherRunAsync(clientId, cancellationToken) is not null;

    /// <summary>The instant the merchant's run has reached, while one is under way here or in another instance.</summary>
    public async Task<DateTimeOffset?> ReachedByAsync(string clientId, CancellationToken cancellationToken) =>
        runs.TryGetValue(clientId, out var run)
            ? run.Reached
            : (await database.OtherRunAsync(clientId, cancellationToken))?.Reached;

    /// <summary>A call made during the merchant's run changed these (nothing happens when no run is under way).</summary>
    public async Task TellAsync(string clientId, IEnumerable<JournalEvent> events, CancellationToken cancellationToken)
    {
        if (runs.TryGetValue(clientId, out var run))
        {
            foreach (var e in events)
            {
                run.Told.Enqueue(e);
            }
        }
        else if (database.IsShared)
        {
            try
            {
                await database.TellOtherRunAsync(clientId, [.. events.Select(e => JsonSerializer.Serialize(e, PersistenceJson.Options))], cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The call that changed these is committed and answered as such; only the advance's list misses them
                // (its subscriptions' timelines have them).
                logger.LogWarning(ex, "Could not tell the run of {ClientId} in another instance what a call changed", clientId);
            }
        }
    }

    /// <summary>What calls, through this instance or another, changed since the last time this was asked.</summary>
    public async Task<IReadOnlyList<JournalEvent>> TakeToldAsync(string clientId, CancellationToken cancellationToken)
    {
        if (!runs.TryGetValue(clientId, out var run))
        {
            return [];
        }

        var told = new List<JournalEvent>();
        while (run.Told.TryDequeue(out var e))
        {
            told.Add(e);
        }

        foreach (var doc in await run.Turn.TakeToldAsync(cancellationToken))
        {
            told.Add(JsonSerializer.Deserialize<JournalEvent>(doc, PersistenceJson.Options)!);
        }

        return told;
    }

    public void Ended(string clientId) => runs.TryRemove(clientId, out _);

    private sealed class Run(MerchantTurn turn, bool advancing)
    {
        public MerchantTurn Turn { get; } = turn;

        public bool Advancing { get; } = advancing;

        public DateTimeOffset? Reached { get; set; }

        public ConcurrentQueue<JournalEvent> Told { get; } = new();
    }
}
