using System.Security.Cryptography;
using System.Text.Json;
using Emulator.Persistence;

namespace Emulator.Faults;

/// <summary>
/// The merchant's fault rules, in creation order. Matching consumes <c>skip</c> and <c>times</c> in the same write
/// transaction as the work the rule changes, so two concurrent calls never both take the last use of a rule.
/// </summary>
public sealed class FaultStore(Database database)
{
    // Merchants seen without a live rule, so that most calls (which meet no rule) skip the database and the building of
    // their match context. Every rule is added here, so in one process the knowledge is exact; on a shared database
    // another instance may add rules, and it is not kept.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> knownEmpty = new(StringComparer.Ordinal);
    private readonly Lock sync = new();
    private long generation;

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

    /// <summary>Finds and uses the first rule, in creation order, that hits this call; in its own transaction.</summary>
    public Task<FaultRule?> TakeAsync(string clientId, string target, Func<FaultContext> context, CancellationToken cancellationToken) =>
        TakeAsync(clientId, target, _ => Task.FromResult(context()), cancellationToken);

    /// <summary>
    /// As above, with a context that takes a read to build (what subscription an API call is about): built only when
    /// the merchant has a live rule for the target, before the write.
    /// </summary>
    public async Task<FaultRule?> TakeAsync(string clientId, string target, Func<CancellationToken, Task<FaultContext>> context, CancellationToken cancellationToken) =>
        await TakeAsync(clientId, target, context, applies: null, cancellationToken);

    /// <summary>
    /// As above, passing over the rules <paramref name="applies"/> refuses without touching them (their skips, times and
    /// draws stay as they are), as if they were not there for this call.
    /// </summary>
    public async Task<FaultRule?> TakeAsync(string clientId, string target, Func<CancellationToken, Task<FaultContext>> context, Func<FaultRule, bool>? applies, CancellationToken cancellationToken)
    {
        if (KnownToHaveNone(clientId))
        {
            return null;
        }

        // Most calls meet no rule: a plain read keeps them off the single writer.
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

        if (!live.Contains(target))
        {
            return null;
        }

        var about = await context(cancellationToken);
        return await database.WriteAsync(work => TakeInAsync(work, clientId, target, about, cancellationToken, applies), cancellationToken);
    }

    /// <summary>Finds and uses the first rule that hits this call, inside the caller's transaction.</summary>
    public Task<FaultRule?> TakeAsync(WriteTransaction work, string clientId, string target, Func<FaultContext> context, CancellationToken cancellationToken) =>
        KnownToHaveNone(clientId) ? Task.FromResult<FaultRule?>(null) : TakeInAsync(work, clientId, target, context(), cancellationToken);

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

    /// <summary>The merchant's rules for the target that may still hit, in creation order (read to the end before any update).</summary>
    private static async Task<List<(string Id, FaultRule Rule, long Evaluated)>> LiveRulesAsync(WriteTransaction work, string clientId, string target, CancellationToken cancellationToken)
    {
        var select = work.Command("""
            SELECT fault_id, doc, skip_left, times_left, evaluated FROM faults
            WHERE client_id = @client AND target = @target AND (times_left IS NULL OR times_left > 0)
            ORDER BY seq
            """);
        select.Bind("@client", clientId);
        select.Bind("@target", target);
        var rules = new List<(string Id, FaultRule Rule, long Evaluated)>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rules.Add((reader.GetString(0), Read(reader.GetString(1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetInt32(3)), reader.GetInt64(4)));
        }

        return rules;
    }

    private static async Task UpdateAsync(WriteTransaction work, string sql, string faultId, CancellationToken cancellationToken)
    {
        var command = work.Command(sql);
        command.Bind("@id", faultId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<FaultRule?> TakeInAsync(WriteTransaction work, string clientId, string target, FaultContext context, CancellationToken cancellationToken, Func<FaultRule, bool>? applies = null)
    {
        var candidates = await LiveRulesAsync(work, clientId, target, cancellationToken);
        foreach (var (id, rule, evaluated) in candidates.Where(c => (applies?.Invoke(c.Rule) ?? true) && (c.Rule.Match?.Accepts(context) ?? true)))
        {
            if (rule.Probability is not null)
            {
                await UpdateAsync(work, "UPDATE faults SET evaluated = evaluated + 1 WHERE fault_id = @id", id, cancellationToken);
                if (!rule.Hits(evaluated))
                {
                    continue;
                }
            }

            if (rule.SkipRemaining > 0)
            {
                // Let this one through this rule; a later rule may still hit it.
                await UpdateAsync(work, "UPDATE faults SET skip_left = skip_left - 1 WHERE fault_id = @id", id, cancellationToken);
                continue;
            }

            await UpdateAsync(work, "UPDATE faults SET times_left = times_left - 1 WHERE fault_id = @id AND times_left IS NOT NULL", id, cancellationToken);
            return rule;
        }

        return null;
    }

    private static FaultRule Read(string doc, int skipLeft, int? timesLeft) =>
        JsonSerializer.Deserialize<FaultRule>(doc, PersistenceJson.Options)! with { SkipRemaining = skipLeft, Remaining = timesLeft };
}
