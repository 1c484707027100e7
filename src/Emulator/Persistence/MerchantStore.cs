using System.Text.Json;
using Emulator.Merchants;

namespace Emulator.Persistence;

public sealed class MerchantStore(Database database)
{
    public async Task<Merchant?> FindAsync(string clientId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = FindSql;
        return await ReadAsync(command, clientId, cancellationToken);
    }

    private const string FindSql = "SELECT doc FROM merchants WHERE client_id = @id";

    /// <summary>The merchant <paramref name="find"/> (of <see cref="FindSql"/>, on a connection or in a unit of work) reads.</summary>
    private static async Task<Merchant?> ReadAsync(System.Data.Common.DbCommand find, string clientId, CancellationToken cancellationToken)
    {
        find.Bind("@id", clientId);
        return await find.ExecuteScalarAsync(cancellationToken) is string doc
            ? JsonSerializer.Deserialize<Merchant>(doc, PersistenceJson.Options)
            : null;
    }

    public async Task<IReadOnlyList<string>> ListIdsAsync(CancellationToken cancellationToken) =>
        await database.QueryAsync("SELECT client_id FROM merchants ORDER BY client_id", r => r.GetString(0), cancellationToken);

    /// <summary>
    /// Every merchant with the earliest instant anything of it falls due (a subscription's next event, a notification's
    /// next attempt; null when nothing will) and its clock as stored, in one statement: what the background loop needs
    /// to leave idle merchants alone (each of the two earliest instants is one index seek per merchant).
    /// </summary>
    public async Task<IReadOnlyList<(string ClientId, DateTimeOffset? NextDue, Scheduling.ClockState Clock)>> ListWithNextDueAsync(CancellationToken cancellationToken) =>
        await database.QueryAsync(
            """
            SELECT m.client_id,
                   (SELECT MIN(s.next_event_at) FROM subscriptions s WHERE s.client_id = m.client_id AND s.next_event_at IS NOT NULL),
                   (SELECT MIN(n.next_attempt_at) FROM notifications n WHERE n.client_id = m.client_id AND n.status = 'pending'),
                   c.client_id, c.offset_ms, c.frozen_at, c.rate, c.anchor_ms
            FROM merchants m LEFT JOIN clocks c ON c.client_id = m.client_id
            ORDER BY m.client_id
            """,
            r =>
            {
                long? At(int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
                var next = (At(1), At(2)) switch
                {
                    ({ } a, { } b) => Math.Min(a, b),
                    ({ } a, null) => a,
                    (null, { } b) => b,
                    _ => (long?)null,
                };
                var clock = r.IsDBNull(3) ? Scheduling.ClockState.Wall : Scheduling.MerchantClocks.Read(r, 4);
                return (r.GetString(0), next is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : (DateTimeOffset?)null, clock);
            },
            cancellationToken);

    /// <summary>
    /// Reads the merchant and writes what <paramref name="change"/> makes of it (null: nothing), in one unit of work, so
    /// that nothing written meanwhile (another instance registering it at the same start, a <c>PUT</c>) is overwritten
    /// with values read before it. One that is not there yet is inserted only while it is still absent. Returns the
    /// merchant as it was and as it is now.
    /// </summary>
    public Task<(Merchant? Stored, Merchant? Now)> ChangeAsync(string clientId, Func<Merchant?, Merchant?> change, CancellationToken cancellationToken) =>
        database.WriteAsync<(Merchant?, Merchant?)>(async work =>
        {
            var stored = await ReadAsync(work.Command(FindSql), clientId, cancellationToken);
            if (change(stored) is not { } changed || changed == stored)
            {
                return (stored, stored);
            }

            var write = work.Command(stored is null
                ? "INSERT INTO merchants (client_id, doc) VALUES (@id, @doc) ON CONFLICT (client_id) DO NOTHING"
                : "UPDATE merchants SET doc = @doc WHERE client_id = @id");
            write.Bind("@id", clientId);
            write.Bind("@doc", JsonSerializer.Serialize(changed, PersistenceJson.Options));
            await write.ExecuteNonQueryAsync(cancellationToken);
            return (stored, changed);
        }, cancellationToken);

    /// <summary>
    /// Throws <see cref="MerchantGoneException"/> unless <paramref name="merchant"/> is still registered, as the unit of
    /// work sees it: writes are serialized, so a delete is either before the unit (and the unit writes nothing) or
    /// after it (and deletes what the unit wrote). The same client id registered again since is another merchant (its
    /// <see cref="Merchant.CreatedAt"/>, which a replacing <c>PUT</c> keeps).
    /// </summary>
    public static async Task EnsureRegisteredAsync(WriteTransaction work, Merchant merchant, CancellationToken cancellationToken)
    {
        if ((await ReadAsync(work.Command(FindSql), merchant.ClientId, cancellationToken))?.CreatedAt != merchant.CreatedAt)
        {
            throw new MerchantGoneException(merchant.ClientId);
        }
    }

    /// <summary>Records when each merchant was used (a later use than the one stored; a merchant deleted meanwhile is not there to update).</summary>
    public Task RecordUseAsync(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> uses, CancellationToken cancellationToken) =>
        uses.Count == 0
            ? Task.CompletedTask
            : database.WriteAsync(async work =>
            {
                foreach (var (clientId, at) in uses)
                {
                    var update = work.Command("UPDATE merchants SET last_used_ms = @at WHERE client_id = @id AND (last_used_ms IS NULL OR last_used_ms < @at)");
                    update.Bind("@id", clientId);
                    update.Bind("@at", at.ToUnixTimeMilliseconds());
                    await update.ExecuteNonQueryAsync(cancellationToken);
                }
            }, cancellationToken);

    /// <summary>
    /// When the merchant was last used as recorded (<see cref="RecordUseAsync"/>), or as the retention counts it (a
    /// merchant whose use was never recorded, from the first sweep that saw it); null before either.
    /// </summary>
    public async Task<DateTimeOffset?> LastUsedAsync(string clientId, CancellationToken cancellationToken)
    {
        var found = await database.QueryAsync(
            "SELECT last_used_ms FROM merchants WHERE client_id = @id",
            r => r.IsDBNull(0) ? (DateTimeOffset?)null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(0)),
            cancellationToken,
            ("@id", clientId));
        return found.Count > 0 ? found[0] : null;
    }

    /// <summary>
    /// The merchants last used before <paramref name="cutoff"/>. One whose use was never recorded (made before this
    /// version, or by an instance that stopped before it recorded) counts as used <paramref name="now"/>: its time starts.
    /// </summary>
    public Task<List<Merchant>> UnusedSinceAsync(DateTimeOffset cutoff, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.WriteAsync(async work =>
        {
            var stamp = work.Command("UPDATE merchants SET last_used_ms = @now WHERE last_used_ms IS NULL");
            stamp.Bind("@now", now.ToUnixTimeMilliseconds());
            await stamp.ExecuteNonQueryAsync(cancellationToken);
            var unused = work.Command("SELECT doc FROM merchants WHERE last_used_ms < @cutoff ORDER BY client_id");
            unused.Bind("@cutoff", cutoff.ToUnixTimeMilliseconds());
            var merchants = new List<Merchant>();
            await using var reader = await unused.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                merchants.Add(JsonSerializer.Deserialize<Merchant>(reader.GetString(0), PersistenceJson.Options)!);
            }

            return merchants;
        }, cancellationToken);

    /// <summary>Deletes the merchant and everything that belongs to it.</summary>
    public Task<bool> DeleteAsync(string clientId, CancellationToken cancellationToken) =>
        database.WriteAsync(work => DeleteInAsync(work, clientId, cancellationToken), cancellationToken);

    private static async Task<bool> DeleteInAsync(WriteTransaction work, string clientId, CancellationToken cancellationToken)
    {
        var command = work.Command("""
            DELETE FROM notification_attempts WHERE notification_id IN (SELECT notification_id FROM notifications WHERE client_id = @id);
            DELETE FROM notifications WHERE client_id = @id;
            DELETE FROM phases WHERE subscription_id IN (SELECT subscription_id FROM subscriptions WHERE client_id = @id);
            DELETE FROM timeline WHERE subscription_id IN (SELECT subscription_id FROM subscriptions WHERE client_id = @id);
            DELETE FROM clocks WHERE client_id = @id;
            DELETE FROM faults WHERE client_id = @id;
            DELETE FROM api_calls WHERE client_id = @id;
            DELETE FROM refunds WHERE client_id = @id;
            DELETE FROM subscriptions WHERE client_id = @id;
            DELETE FROM idempotency WHERE client_id = @id;
            """);
        command.Bind("@id", clientId);
        await command.ExecuteNonQueryAsync(cancellationToken);
        var merchant = work.Command("DELETE FROM merchants WHERE client_id = @id");
        merchant.Bind("@id", clientId);
        return await merchant.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}
