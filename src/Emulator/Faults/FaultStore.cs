using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using Emulator.Persistence;

namespace Emulator.Faults;

/// <summary>
/// The merchant's fault rules, in creation order. Matching consumes <c>skip</c> and <c>times</c> in the same write
/// transaction as the work the rule changes, so two concurrent calls never both take the last use of a rule, and a
/// call whose write fails (or whose process dies first) leaves the rule as it was: an API call's rule is chosen with a
/// read (<see cref="ChooseAsync"/>) and used up in the write that stores the call's effect and its kept answer; a
/// deduction's in the write that charges the phase; a delivery's (<see cref="DeliveryFaults"/>) in the write that
/// records what it did to the attempt.
/// </summary>
public sealed class FaultStore(Database database)
{
    // Merchants seen without a live rule, so that most calls (which meet no rule) skip the database and the building of
    // their match context. Every rule is added here, so in one process the knowledge is exact; on a shared database
    // another instance may add rules, and it is not kept.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> knownEmpty = new(StringComparer.Ordinal);
    private readonly Lock sync = new();
    private long generation;

    // Uses chosen for calls that wait before their write (a transport delay), per rule: held for the call while it
    // waits, so that another call (a retry sent meanwhile) does not take the same use; released once the call's write
    // used it, or when the call ends without using it. Known in this instance only.
    private readonly Dictionary<string, int> held = new(StringComparer.Ordinal);
    private readonly Lock holding = new();
    private long releases;

    /// <summary>Whether the merchant is known to have no live rule (then no call of it can meet one).</summary>
    public bool KnownToHaveNone(string clientId) => knownEmpty.ContainsKey(clientId);

    public async Task<FaultRule> AddAsync(string clientId, FaultBody body, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rule = body.ToRule("flt_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), now);
        await database.WriteAsync(async work =>
        {
            var command = work.Command("INSERT INTO faults (fault_id, client_id, target, doc, skip_left, times_left) VALUES (@id, @client, @target, @doc, @skip, @times)");
            command.Bind("@id", rule.FaultId);
            command.Bind("@client", clientId);
            command.Bind("@target", rule.Target);
            command.Bind("@doc", JsonSerializer.Serialize(rule, PersistenceJson.Options));
            command.Bind("@skip", rule.SkipRemaining);
            command.Bind("@times", rule.Remaining);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
        lock (sync)
        {
            generation++;
            knownEmpty.TryRemove(clientId, out _);
        }

        return rule;
    }

    public async Task<IReadOnlyList<FaultRule>> ListAsync(string clientId, CancellationToken cancellationToken) =>
        await database.QueryAsync(
            "SELECT doc, skip_left, times_left FROM faults WHERE client_id = @client ORDER BY seq",
            r => Read(r.GetString(0), r.GetInt32(1), r.IsDBNull(2) ? null : r.GetInt32(2)),
            cancellationToken,
            ("@client", clientId));

    public Task<bool> DeleteAsync(string clientId, string? faultId, CancellationToken cancellationToken) =>
        database.WriteAsync(async work =>
        {
            var command = work.Command("DELETE FROM faults WHERE client_id = @client AND (CAST(@id AS TEXT) IS NULL OR fault_id = @id)");
            command.Bind("@client", clientId);
            command.Bind("@id", faultId);
            return await command.ExecuteNonQueryAsync(cancellationToken) > 0 || faultId is null;
        }, cancellationToken);

    /// <summary>Finds and uses the first rule that hits this call, inside the caller's transaction.</summary>
    public Task<FaultRule?> TakeAsync(WriteTransaction work, string clientId, string target, Func<FaultContext> context, CancellationToken cancellationToken) =>
        KnownToHaveNone(clientId) ? Task.FromResult<FaultRule?>(null) : TakeInAsync(work, clientId, target, context(), null, cancellationToken, HeldBy(own: null));

    /// <summary>
    /// Chooses the rule that would hit this API call, with a read that uses nothing up: the call's own write uses it
    /// (<see cref="FaultUse.UseAsync"/>), in the transaction that stores the call's effect and its kept answer, so that a
    /// call that fails or dies before its answer is stored leaves the rule as it was, for the retry. Null when no rule
    /// concerns the call (none hits it and no skip, draw or count would change).
    /// </summary>
    public async Task<FaultUse?> ChooseAsync(
        string clientId, string target, Func<CancellationToken, Task<FaultContext>> context, Func<FaultRule, bool>? applies, CancellationToken cancellationToken)
    {
        if (await LiveContextAsync(clientId, target, context, cancellationToken) is not { } about)
        {
            return null;
        }

        // The rules are read, then decided on with the uses other calls hold, and a transport delay's use held for this
        // call, in one step: two calls never hold the same use. A hold released while the rules were read (its call's
        // write used it, or did not) may not show in what was read: then they are read again.
        for (var read = 1; ; read++)
        {
            long releasesBefore;
            lock (holding)
            {
                releasesBefore = releases;
            }

            List<(string Id, FaultRule Rule, long Evaluated)> live;
            await using (var connection = await database.OpenAsync(cancellationToken))
            await using (var select = connection.CreateCommand())
            {
                select.CommandText = LiveRulesSql;
                live = await LiveRulesAsync(select, clientId, target, cancellationToken);
            }

            lock (holding)
            {
                if (releases != releasesBefore && read < MaxReads)
                {
                    continue;
                }

                var (hit, changes) = Decide(live, about, applies, id => held.GetValueOrDefault(id));
                if (hit is null && changes.Count == 0)
                {
                    return null;
                }

                var holds = hit is { Transport: "delay", Remaining: not null } ? hit.FaultId : null;
                if (holds is not null)
                {
                    held[holds] = held.GetValueOrDefault(holds) + 1;
                }

                return new FaultUse(this, clientId, target, about, applies, hit, holds);
            }
        }
    }

    /// <summary>How many times the rules are read at most for one choice while holds keep being released meanwhile.</summary>
    private const int MaxReads = 10;

    /// <summary>
    /// The uses of each rule held by calls other than the one holding <paramref name="own"/>: not there for this call. A
    /// call's own held rule counts none: its use is held for it, whatever the other holders have written meanwhile.
    /// </summary>
    internal Func<string, int> HeldBy(string? own) => id =>
    {
        lock (holding)
        {
            return id == own ? 0 : held.GetValueOrDefault(id);
        }
    };

    /// <summary>Gives back a use held for a call (<see cref="FaultUse.Release"/>).</summary>
    internal void Release(string faultId)
    {
        lock (holding)
        {
            releases++;
            if (held.GetValueOrDefault(faultId) is > 1 and var count)
            {
                held[faultId] = count - 1;
            }
            else
            {
                held.Remove(faultId);
            }
        }
    }

    /// <summary>
    /// The call's context when the merchant has a live rule for the target (built only then); null when it has none.
    /// Most calls meet no rule: a plain read keeps them off the single writer.
    /// </summary>
    private async Task<FaultContext?> LiveContextAsync(string clientId, string target, Func<CancellationToken, Task<FaultContext>> context, CancellationToken cancellationToken)
    {
        if (KnownToHaveNone(clientId))
        {
            return null;
        }

        var seen = Volatile.Read(ref generation);
        var live = await database.QueryAsync(
            "SELECT target FROM faults WHERE client_id = @client AND (times_left IS NULL OR times_left > 0)",
            r => r.GetString(0),
            cancellationToken,
            ("@client", clientId));
        if (live.Count == 0)
        {
            RememberEmpty(clientId, seen);
            return null;
        }

        return live.Contains(target) ? await context(cancellationToken) : null;
    }

    private void RememberEmpty(string clientId, long seen)
    {
        if (database.IsShared)
        {
            return;
        }

        lock (sync)
        {
            // Only when no rule was added since the read began.
            if (generation == seen)
            {
                knownEmpty[clientId] = true;
            }
        }
    }

    private const string LiveRulesSql = """
        SELECT fault_id, doc, skip_left, times_left, evaluated FROM faults
        WHERE client_id = @client AND target = @target AND (times_left IS NULL OR times_left > 0)
        ORDER BY seq
        """;

    /// <summary>The merchant's rules for the target that may still hit, in creation order (read to the end before any update).</summary>
    private static async Task<List<(string Id, FaultRule Rule, long Evaluated)>> LiveRulesAsync(DbCommand select, string clientId, string target, CancellationToken cancellationToken)
    {
        select.Bind("@client", clientId);
        select.Bind("@target", target);
        return await select.ReadAllAsync(
            reader => (reader.GetString(0), Read(reader.GetString(1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetInt32(3)), reader.GetInt64(4)),
            cancellationToken);
    }

    /// <summary>
    /// The first rule, in creation order, that hits a call with this context, and the changes that using it makes: a
    /// draw counted for each seeded rule met on the way, a skip for each rule that lets the call through, the hit
    /// rule's times. A pure function of the rules as read.
    /// </summary>
    /// <param name="heldElsewhere">How many uses of a rule other calls hold (<see cref="HeldBy"/>): a rule whose every use left
    /// is held is passed over as if used up.</param>
    internal static (FaultRule? Hit, List<FaultChange> Changes) Decide(
        IEnumerable<(string Id, FaultRule Rule, long Evaluated)> candidates, FaultContext context, Func<FaultRule, bool>? applies, Func<string, int>? heldElsewhere = null)
    {
        var changes = new List<FaultChange>();
        foreach (var (id, rule, evaluated) in candidates.Where(c => (applies?.Invoke(c.Rule) ?? true) && (c.Rule.Match?.Accepts(context) ?? true)))
        {
            if (rule.Remaining is { } left && heldElsewhere?.Invoke(id) is > 0 and var holds && left <= holds)
            {
                continue;
            }

            if (rule.Probability is not null)
            {
                changes.Add(new FaultChange(id, FaultCount.Draw));
                if (!rule.Hits(evaluated))
                {
                    continue;
                }
            }

            if (rule.SkipRemaining > 0)
            {
                // Let this one through this rule; a later rule may still hit it.
                changes.Add(new FaultChange(id, FaultCount.Skip));
                continue;
            }

            changes.Add(new FaultChange(id, FaultCount.Times));
            return (rule, changes);
        }

        return (null, changes);
    }

    /// <summary>Finds the rule that hits the call, as the unit's transaction sees the rules, and makes the changes using it makes.</summary>
    internal static async Task<FaultRule?> TakeInAsync(
        WriteTransaction work, string clientId, string target, FaultContext context, Func<FaultRule, bool>? applies, CancellationToken cancellationToken,
        Func<string, int>? heldElsewhere = null)
    {
        var (hit, changes) = Decide(await LiveRulesAsync(work.Command(LiveRulesSql), clientId, target, cancellationToken), context, applies, heldElsewhere);
        await ApplyAsync(work, changes, cancellationToken);
        return hit;
    }

    /// <summary>Makes the changes a use of rules decided (<see cref="Decide"/>) in the unit's transaction; a rule deleted since is left alone.</summary>
    internal static async Task ApplyAsync(WriteTransaction work, IReadOnlyList<FaultChange> changes, CancellationToken cancellationToken)
    {
        foreach (var (id, count) in changes)
        {
            var command = work.Command(count switch
            {
                FaultCount.Draw => "UPDATE faults SET evaluated = evaluated + 1 WHERE fault_id = @id",
                FaultCount.Skip => "UPDATE faults SET skip_left = skip_left - 1 WHERE fault_id = @id",
                _ => "UPDATE faults SET times_left = times_left - 1 WHERE fault_id = @id AND times_left IS NOT NULL",
            });
            command.Bind("@id", id);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>
    /// The merchant's rules for the target that may still hit, in creation order, with a plain read (nothing used up);
    /// none when the merchant is known to have no live rule. For a chooser that keeps its own count of what it chose and
    /// has not written yet (<see cref="DeliveryFaults"/>).
    /// </summary>
    internal async Task<List<(string Id, FaultRule Rule, long Evaluated)>> LiveRulesAsync(string clientId, string target, CancellationToken cancellationToken)
    {
        if (await LiveContextAsync(clientId, target, _ => Task.FromResult(new FaultContext(null, null, null)), cancellationToken) is null)
        {
            return [];
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var select = connection.CreateCommand();
        select.CommandText = LiveRulesSql;
        return await LiveRulesAsync(select, clientId, target, cancellationToken);
    }

    private static FaultRule Read(string doc, int skipLeft, int? timesLeft) =>
        JsonSerializer.Deserialize<FaultRule>(doc, PersistenceJson.Options)! with { SkipRemaining = skipLeft, Remaining = timesLeft };
}
