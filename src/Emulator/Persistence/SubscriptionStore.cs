using System.Globalization;
using System.Text.Json;
using Emulator.Domain;
using Emulator.Hosting;
using System.Data.Common;
using Microsoft.Extensions.Options;

namespace Emulator.Persistence;

/// <summary>
/// Subscriptions as JSON documents, indexed by id, merchant, request id, authorization token and the time of their
/// next due event; their phases in a table of their own.
/// </summary>
public sealed class SubscriptionStore(Database database, IOptions<EmulatorOptions> options, TimelineWrites timelineWrites)
{
    private TimeSpan Lead => options.Value.DeductionLeadTime;

    public async Task<Subscription?> FindAsync(string clientId, string subscriptionId, CancellationToken cancellationToken) =>
        await QueryOneAsync("client_id = @client AND subscription_id = @key", clientId, subscriptionId, cancellationToken);

    public async Task<Subscription?> FindByAuthorizationTokenAsync(string token, CancellationToken cancellationToken) =>
        await QueryOneAsync("authorization_token = @key", null, token, cancellationToken);

    /// <summary>The subscription as the unit of work sees it (read through its transaction).</summary>
    public static async Task<Subscription?> FindAsync(WriteTransaction work, string clientId, string? subscriptionId, string? subscriptionRequestId, CancellationToken cancellationToken) =>
        subscriptionId is not null
            ? await QueryOneAsync(work.Command(SelectDoc + "client_id = @client AND subscription_id = @key"), clientId, subscriptionId, cancellationToken)
            : await QueryOneAsync(work.Command(SelectDoc + "client_id = @client AND subscription_request_id = @key"), clientId, subscriptionRequestId!, cancellationToken);

    public async Task<IReadOnlyList<Subscription>> ListAsync(string clientId, SubscriptionStatus? status, string? requestId, CancellationToken cancellationToken)
    {
        var (sql, parameters) = ListQuery(clientId, status, requestId);
        return await database.QueryAsync(sql, r => Deserialize(r.GetString(0)), cancellationToken, parameters);
    }

    /// <summary>The ids of the listing, in its order (the subscriptions themselves are read a page at a time).</summary>
    public async Task<IReadOnlyList<string>> ListIdsAsync(string clientId, SubscriptionStatus? status, string? requestId, CancellationToken cancellationToken)
    {
        var (sql, parameters) = ListQuery(clientId, status, requestId, "subscription_id");
        return await database.QueryAsync(sql, r => r.GetString(0), cancellationToken, parameters);
    }

    /// <summary>Some subscriptions, by id, in no particular order.</summary>
    public static async Task<IReadOnlyList<Subscription>> ByIdsAsync(IReads reads, IReadOnlyCollection<string> subscriptionIds, CancellationToken cancellationToken)
    {
        var (where, parameters) = SqlFilter.In("subscription_id", subscriptionIds);
        return await reads.QueryAsync($"SELECT doc FROM subscriptions WHERE {where}", r => Deserialize(r.GetString(0)), cancellationToken, parameters);
    }

    /// <summary>The listing's query: a request id is looked up through its index, whatever the merchant has.</summary>
    internal static (string Sql, (string Name, object? Value)[] Parameters) ListQuery(string clientId, SubscriptionStatus? status, string? requestId, string columns = "doc")
    {
        var (where, parameters) = SqlFilter.Equal(("client_id", clientId), ("status", status?.ToWire()), ("subscription_request_id", requestId));
        return ($"SELECT {columns} FROM subscriptions WHERE {where} ORDER BY created_at, subscription_id", parameters);
    }

    public async Task<long> CountAsync(string clientId, CancellationToken cancellationToken) =>
        (await database.QueryAsync("SELECT COUNT(*) FROM subscriptions WHERE client_id = @client", r => r.GetInt64(0), cancellationToken, ("@client", clientId)))[0];

    public async Task<IReadOnlyList<Phase>> PhasesAsync(string subscriptionId, CancellationToken cancellationToken) =>
        await database.QueryAsync(
            "SELECT doc FROM phases WHERE subscription_id = @id ORDER BY phase_no",
            r => DeserializePhase(r.GetString(0)),
            cancellationToken,
            ("@id", subscriptionId));

    public async Task<IReadOnlyList<TimelineEntry>> TimelineAsync(string subscriptionId, CancellationToken cancellationToken) =>
        await database.QueryAsync(
            "SELECT at, type, detail, seq FROM timeline WHERE subscription_id = @id ORDER BY seq",
            ReadTimelineEntry,
            cancellationToken,
            ("@id", subscriptionId));

    /// <summary>The phases of some subscriptions, in order within each (one query, through the phases' primary key).</summary>
    public static async Task<ILookup<string, Phase>> PhasesOfAsync(IReads reads, IReadOnlyCollection<string> subscriptionIds, CancellationToken cancellationToken)
    {
        var (where, parameters) = SqlFilter.In("subscription_id", subscriptionIds);
        return (await reads.QueryAsync(
            $"SELECT subscription_id, doc FROM phases WHERE {where} ORDER BY subscription_id, phase_no",
            r => (Id: r.GetString(0), Phase: DeserializePhase(r.GetString(1))),
            cancellationToken,
            parameters)).ToLookup(p => p.Id, p => p.Phase, StringComparer.Ordinal);
    }

    /// <summary>The timelines of some subscriptions, in order within each (one query, through the timeline's index).</summary>
    public static async Task<ILookup<string, TimelineEntry>> TimelinesOfAsync(IReads reads, IReadOnlyCollection<string> subscriptionIds, CancellationToken cancellationToken)
    {
        var (sql, parameters) = TimelinesOfQuery(subscriptionIds);
        return (await reads.QueryAsync(sql, r => (Id: r.GetString(4), Entry: ReadTimelineEntry(r)), cancellationToken, parameters))
            .ToLookup(e => e.Id, e => e.Entry, StringComparer.Ordinal);
    }

    /// <summary>Ordered as the index is (by subscription, then in order), so that no sort of other rows is needed.</summary>
    internal static (string Sql, (string Name, object? Value)[] Parameters) TimelinesOfQuery(IReadOnlyCollection<string> subscriptionIds)
    {
        var (where, parameters) = SqlFilter.In("subscription_id", subscriptionIds);
        return ($"SELECT at, type, detail, seq, subscription_id FROM timeline WHERE {where} ORDER BY subscription_id, seq", parameters);
    }

    private static Phase DeserializePhase(string doc) => JsonSerializer.Deserialize<Phase>(doc, PersistenceJson.Options)!;

    private static TimelineEntry ReadTimelineEntry(DbDataReader r) =>
        new(DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(0)), r.GetString(1), r.GetString(2), r.GetInt64(3));

    /// <summary>The earliest time any of the merchant's subscriptions needs the time machine.</summary>
    public async Task<DateTimeOffset?> NextEventAtAsync(string clientId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT MIN(next_event_at) FROM subscriptions WHERE client_id = @client AND next_event_at IS NOT NULL";
        command.Bind("@client", clientId);
        return await command.ExecuteScalarAsync(cancellationToken) is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    public async Task<IReadOnlyList<string>> DueAsync(string clientId, DateTimeOffset until, CancellationToken cancellationToken) =>
        await database.QueryAsync(
            "SELECT subscription_id FROM subscriptions WHERE client_id = @client AND next_event_at <= @until ORDER BY next_event_at, subscription_id",
            r => r.GetString(0),
            cancellationToken,
            ("@client", clientId),
            ("@until", until.ToUnixTimeMilliseconds()));

    /// <summary>
    /// When a subscription is due, in whole milliseconds rounded up: the time machine runs it at the stored instant,
    /// and an instant rounded down (an approval on a running clock has ticks) would be a fraction too early for it.
    /// </summary>
    private static long? DueMilliseconds(DateTimeOffset? at)
    {
        if (at is not { } due)
        {
            return null;
        }

        // Rounded up: the clock keeps milliseconds. What falls due after the calendar's last millisecond never does (it
        // was stored as that millisecond, when the clock reads no later, and the loop found it not due, every tick).
        var milliseconds = due.ToUnixTimeMilliseconds() + (due.UtcTicks % TimeSpan.TicksPerMillisecond > 0 ? 1 : 0);
        return milliseconds > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() ? null : milliseconds;
    }

    /// <summary>Adds a line to a subscription's timeline alone (a call refused before it reached the subscription).</summary>
    public Task AppendTimelineAsync(string subscriptionId, TimelineEntry entry, CancellationToken cancellationToken) =>
        database.WriteAsync(async work =>
        {
            // Only while the subscription is there: a merchant deleted since the call would leave a line nothing removes.
            await InsertTimelineAsync(work, subscriptionId, entry, cancellationToken, onlyIfSubscriptionExists: true);
            work.AfterCommit(() => timelineWrites.Wrote(subscriptionId));
        }, cancellationToken);

    private static async Task InsertTimelineAsync(
        WriteTransaction work, string subscriptionId, TimelineEntry entry, CancellationToken cancellationToken, bool onlyIfSubscriptionExists = false)
    {
        var line = work.Command(onlyIfSubscriptionExists
            ? """
              INSERT INTO timeline (subscription_id, at, type, detail)
              SELECT @id, @at, @type, @detail WHERE EXISTS (SELECT 1 FROM subscriptions WHERE subscription_id = @id)
              """
            : "INSERT INTO timeline (subscription_id, at, type, detail) VALUES (@id, @at, @type, @detail)");
        line.Bind("@id", subscriptionId);
        line.Bind("@at", entry.At.ToUnixTimeMilliseconds());
        line.Bind("@type", entry.Type);
        line.Bind("@detail", entry.Detail);
        await line.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Saves the subscription and the phases it deducted in this unit of work (one transaction with the caller's outbox rows).</summary>
    public async Task SaveAsync(WriteTransaction work, Subscription subscription, bool isNew, CancellationToken cancellationToken)
    {
        var command = work.Command(isNew
            ? """
              INSERT INTO subscriptions (subscription_id, client_id, subscription_request_id, authorization_token, status, created_at, doc, next_event_at)
              VALUES (@id, @client, @request, @token, @status, @created, @doc, @next)
              """
            : "UPDATE subscriptions SET status = @status, doc = @doc, next_event_at = @next WHERE subscription_id = @id");
        command.Bind("@id", subscription.SubscriptionId);
        command.Bind("@client", subscription.ClientId);
        command.Bind("@request", subscription.SubscriptionRequestId);
        command.Bind("@token", subscription.AuthorizationToken);
        command.Bind("@status", subscription.Status.ToWire());
        command.Bind("@created", subscription.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        command.Bind("@doc", JsonSerializer.Serialize(subscription, PersistenceJson.Options));
        command.Bind("@next", DueMilliseconds(subscription.NextEventAt(Lead)));
        await command.ExecuteNonQueryAsync(cancellationToken);

        if (subscription.Timeline.Count > 0)
        {
            // Noted once committed: a mark read before then may have missed the rows.
            var subscriptionId = subscription.SubscriptionId;
            work.AfterCommit(() => timelineWrites.Wrote(subscriptionId));
        }

        foreach (var entry in subscription.Timeline)
        {
            await InsertTimelineAsync(work, subscription.SubscriptionId, entry, cancellationToken);
        }

        subscription.Timeline.Clear();
        foreach (var e in subscription.Events)
        {
            // A payment under way has its record from the start (processing); its settlement rewrites it.
            var (record, settled) = e switch
            {
                PhaseDeducted deducted => (deducted.Phase, deducted.Settled),
                PaymentProcessing processing => (processing.Phase, false),
                _ => (null, false),
            };
            if (record is null)
            {
                continue;
            }

            var phase = work.Command(settled
                ? "UPDATE phases SET doc = @doc WHERE subscription_id = @id AND phase_no = @no AND client_id = @client AND payment_id = @payment"
                : "INSERT INTO phases (subscription_id, phase_no, client_id, payment_id, doc) VALUES (@id, @no, @client, @payment, @doc)");
            phase.Bind("@id", subscription.SubscriptionId);
            phase.Bind("@no", record.PhaseNo);
            phase.Bind("@client", subscription.ClientId);
            phase.Bind("@payment", record.PaymentId);
            phase.Bind("@doc", JsonSerializer.Serialize(record, PersistenceJson.Options));
            await phase.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private const string SelectDoc = "SELECT doc FROM subscriptions WHERE ";

    private async Task<Subscription?> QueryOneAsync(string where, string? clientId, string key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = SelectDoc + where;
        return await QueryOneAsync(command, clientId, key, cancellationToken);
    }

    private static async Task<Subscription?> QueryOneAsync(DbCommand command, string? clientId, string key, CancellationToken cancellationToken)
    {
        command.Bind("@key", key);
        if (clientId is not null)
        {
            command.Bind("@client", clientId);
        }

        return await command.ExecuteScalarAsync(cancellationToken) is string doc ? Deserialize(doc) : null;
    }

    private static Subscription Deserialize(string doc) =>
        JsonSerializer.Deserialize<Subscription>(doc, PersistenceJson.Options) ?? throw new InvalidDataException("empty subscription document");
}
