using Emulator.Domain;
using Emulator.Persistence;
using System.Data.Common;

namespace Emulator.Notifications;

/// <summary>
/// The notification outbox and its attempt ledger. Rows are written in the same transaction as the state change that
/// owes them (<see cref="EnqueueAsync"/>), so an acknowledged API call never loses its notification.
/// </summary>
public sealed class Outbox(Database database, TimelineWrites timelineWrites)
{
    // "ntf_" and 24 hex digits, rising: the notification's unique index and the attempts' key take new rows at one end.
    private static readonly RisingKeys NotificationIds = new(counterDigits: 12, randomBytes: 6);

    private const string Columns = "seq, notification_id, client_id, subscription_id, kind, url, body, status, created_at, next_attempt_at, attempt_count, held, delayed";

    /// <summary>Turns the subscription's notices and deductions of this unit of work into pending notifications.</summary>
    /// <param name="numbersAsStrings">The <c>NumbersAsStrings</c> setting: the bodies are stored as they will be sent.</param>
    public static async Task<IReadOnlyList<string>> EnqueueAsync(WriteTransaction work, Subscription subscription, bool numbersAsStrings, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        foreach (var e in subscription.Events)
        {
            var (kind, url, body) = e switch
            {
                SubscriptionNotice notice => (NotificationKinds.Subscription, subscription.Plan.SubscriptionNotificationUrl, NotificationBodies.Subscription(subscription, notice)),
                PhaseDeducted deducted => (NotificationKinds.Payment, subscription.Plan.PaymentNotificationUrl, NotificationBodies.Payment(subscription, deducted.Phase)),
                _ => default,
            };
            if (kind is null)
            {
                continue;
            }

            var id = "ntf_" + NotificationIds.Next();
            var command = work.Command("""
                INSERT INTO notifications (notification_id, client_id, subscription_id, kind, url, body, status, created_at, next_attempt_at)
                VALUES (@id, @client, @subscription, @kind, @url, @body, 'pending', @at, @at)
                """);
            command.Bind("@id", id);
            command.Bind("@client", subscription.ClientId);
            command.Bind("@subscription", subscription.SubscriptionId);
            command.Bind("@kind", kind);
            command.Bind("@url", url);
            command.Bind("@body", numbersAsStrings ? Protocol.WireNumbers.AsStrings(body) : body);
            command.Bind("@at", e.At.ToUnixTimeMilliseconds());
            await command.ExecuteNonQueryAsync(cancellationToken);
            ids.Add(id);

            // A notification held back by a reorder fault goes out after the next one of its subscription.
            await ReleaseHeldAsync(work, subscription.SubscriptionId, e.At, cancellationToken);
        }

        // Or when the subscription ends without another one (its end time, the end of a cancelled one's last paid
        // phase): nothing can come after it then.
        if (subscription.Events.OfType<StateChanged>().LastOrDefault(c => c.To == SubscriptionStatus.Terminated) is { } ended)
        {
            await ReleaseHeldAsync(work, subscription.SubscriptionId, ended.At, cancellationToken);
        }

        return ids;
    }

    private static async Task ReleaseHeldAsync(WriteTransaction work, string subscriptionId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var release = work.Command("UPDATE notifications SET next_attempt_at = @at WHERE subscription_id = @subscription AND held = 1 AND status = 'pending' AND next_attempt_at IS NULL");
        release.Bind("@subscription", subscriptionId);
        release.Bind("@at", at.ToUnixTimeMilliseconds());
        await release.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Gives notifications that a <c>reorder</c> fault holds back the time they go out, where the run that held them
    /// did not: a held notification goes out right after its subscription's next one. When that next one was already
    /// queued (not yet due when the hold was made, or the process died before the run sent both), the held one is due
    /// with it, and the run sends it just after; when its subscription has ended and nothing follows, it is due when it
    /// would have been without the hold (its first attempt, or the retry that was held). Run at start and at each step
    /// of the merchant's time machine (with its gate and lock held).
    /// </summary>
    /// <param name="clientId">One merchant, or all of them (at start).</param>
    /// <param name="sandboxRetries">The <c>sandbox</c> retry setting: no retries.</param>
    public async Task<int> ScheduleHeldAsync(string? clientId, bool sandboxRetries, CancellationToken cancellationToken)
    {
        var held = await database.QueryAsync(
            $"""
            SELECT n.notification_id, n.created_at, n.attempt_count,
                   (SELECT MIN(later.next_attempt_at) FROM notifications later
                    WHERE later.subscription_id = n.subscription_id AND later.seq > n.seq AND later.status = 'pending' AND later.next_attempt_at IS NOT NULL),
                   (SELECT MAX(a.at) FROM notification_attempts a WHERE a.notification_id = n.notification_id AND a.redelivery = 0),
                   (SELECT COUNT(*) FROM subscriptions s WHERE s.subscription_id = n.subscription_id AND s.status = 'TERMINATED')
            FROM notifications n
            WHERE n.held = 1 AND n.status = 'pending' AND n.next_attempt_at IS NULL{(clientId is null ? "" : " AND n.client_id = @client")}
            """,
            r => (Id: r.GetString(0), Created: r.GetInt64(1), Attempts: r.GetInt32(2), NextOne: r.IsDBNull(3) ? (long?)null : r.GetInt64(3),
                LastAttempt: r.IsDBNull(4) ? (long?)null : r.GetInt64(4), Ended: r.GetInt64(5) > 0),
            cancellationToken,
            clientId is null ? [] : [("@client", clientId)]);
        var releases = held
            .Select(h => (h.Id, Due: h.NextOne ?? (h.Ended ? OwnDue(h.Created, h.Attempts, h.LastAttempt, sandboxRetries) : (long?)null)))
            .Where(r => r.Due is not null)
            .ToList();
        if (releases.Count == 0)
        {
            return 0;
        }

        await database.WriteAsync(async work =>
        {
            foreach (var (id, due) in releases)
            {
                var release = work.Command("UPDATE notifications SET next_attempt_at = @at WHERE notification_id = @id AND held = 1 AND next_attempt_at IS NULL");
                release.Bind("@id", id);
                release.Bind("@at", due);
                await release.ExecuteNonQueryAsync(cancellationToken);
            }
        }, cancellationToken);
        return releases.Count;
    }

    /// <summary>When a held notification was due before the hold: its first attempt, or the retry after its last one.</summary>
    private static long OwnDue(long created, int attempts, long? lastAttempt, bool sandboxRetries) =>
        attempts == 0 || lastAttempt is not { } last
            ? created
            : RetrySchedule.Next(DateTimeOffset.FromUnixTimeMilliseconds(last), attempts, sandboxRetries)?.ToUnixTimeMilliseconds() ?? last;

    public async Task<long> PendingCountAsync(CancellationToken cancellationToken) =>
        (await database.QueryAsync(PendingCountQuery, r => r.GetInt64(0), cancellationToken))[0];

    /// <summary>
    /// The outbox depth (the metrics gauge), counted merchant by merchant in the due index: a plain
    /// <c>WHERE status = 'pending'</c> would read every notification ever sent at each scrape.
    /// </summary>
    internal const string PendingCountQuery =
        "SELECT COUNT(*) FROM notifications WHERE client_id IN (SELECT client_id FROM merchants) AND status = 'pending'";

    /// <summary>How many notifications each merchant has not had acknowledged (pending or exhausted); merchants with none are left out.</summary>
    public async Task<IReadOnlyDictionary<string, long>> UnacknowledgedCountsAsync(CancellationToken cancellationToken) =>
        (await database.QueryAsync(UnacknowledgedCountsQuery, r => (ClientId: r.GetString(0), Count: r.GetInt64(1)), cancellationToken))
            .ToDictionary(c => c.ClientId, c => c.Count, StringComparer.Ordinal);

    /// <summary>Counted merchant by merchant in the due index, as <see cref="PendingCountQuery"/> is.</summary>
    internal const string UnacknowledgedCountsQuery =
        "SELECT client_id, COUNT(*) FROM notifications WHERE client_id IN (SELECT client_id FROM merchants) AND status IN ('pending', 'exhausted') GROUP BY client_id";

    public async Task<DateTimeOffset?> NextAttemptAtAsync(string clientId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT MIN(next_attempt_at) FROM notifications WHERE client_id = @client AND status = 'pending'";
        command.Bind("@client", clientId);
        return await command.ExecuteScalarAsync(cancellationToken) is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    public Task<IReadOnlyList<NotificationRecord>> DueAsync(string clientId, DateTimeOffset until, CancellationToken cancellationToken) =>
        ToSendAsync(DueWhere, cancellationToken, ("@client", clientId), ("@until", until.ToUnixTimeMilliseconds()));

    internal const string DueWhere = "client_id = @client AND status = 'pending' AND next_attempt_at <= @until";

    /// <summary>The due notifications of some of the merchant's subscriptions.</summary>
    public Task<IReadOnlyList<NotificationRecord>> DueAsync(string clientId, IReadOnlyList<string> subscriptionIds, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var (among, parameters) = SqlFilter.In("subscription_id", subscriptionIds);
        return ToSendAsync(
            $"client_id = @client AND status = 'pending' AND next_attempt_at <= @until AND {among}",
            cancellationToken,
            [("@client", clientId), ("@until", until.ToUnixTimeMilliseconds()), .. parameters]);
    }

    /// <summary>One notification, read to be sent (with its <see cref="NotificationRecord.TimelineMark"/>).</summary>
    public async Task<NotificationRecord?> FindAsync(string clientId, string notificationId, CancellationToken cancellationToken) =>
        (await ToSendAsync("client_id = @client AND notification_id = @id", cancellationToken, ("@client", clientId), ("@id", notificationId))).SingleOrDefault();

    public async Task<IReadOnlyList<NotificationRecord>> ListAsync(string clientId, string? kind, string? subscriptionId, string? status, CancellationToken cancellationToken)
    {
        var (sql, parameters) = ListQuery(clientId, kind, subscriptionId, status);
        return await database.QueryAsync(sql, Read, cancellationToken, parameters);
    }

    /// <summary>
    /// The listing in pages: up to <paramref name="limit"/> notifications after the one numbered <paramref name="afterSeq"/>,
    /// with their attempts, as of one instant.
    /// </summary>
    public async Task<IReadOnlyList<(NotificationRecord Notification, IReadOnlyList<AttemptRecord> Attempts)>> ListPageAsync(
        string clientId, string? kind, string? subscriptionId, string? status, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        var (sql, parameters) = ListQuery(clientId, kind, subscriptionId, status, (afterSeq, limit));
        return await WithAttemptsAsync(sql, parameters, cancellationToken);
    }

    /// <summary>
    /// The merchant's notifications not acknowledged (still pending, or exhausted), newest first, up to
    /// <paramref name="limit"/>, with their attempts: what the dashboard's merchant page shows first when a webhook
    /// endpoint is down or refuses the signature.
    /// </summary>
    public async Task<IReadOnlyList<(NotificationRecord Notification, IReadOnlyList<AttemptRecord> Attempts)>> UnacknowledgedAsync(
        string clientId, int limit, CancellationToken cancellationToken)
    {
        var (sql, parameters) = UnacknowledgedQuery(clientId, limit);
        return await WithAttemptsAsync(sql, parameters, cancellationToken);
    }

    /// <summary>The notifications a query selects, each with its attempts, as of one instant.</summary>
    private async Task<IReadOnlyList<(NotificationRecord Notification, IReadOnlyList<AttemptRecord> Attempts)>> WithAttemptsAsync(
        string sql, (string Name, object? Value)[] parameters, CancellationToken cancellationToken)
    {
        await using var snapshot = await database.SnapshotAsync(cancellationToken);
        var page = await snapshot.QueryAsync(sql, Read, cancellationToken, parameters);
        var attempts = await AttemptsOfAsync(snapshot, page, cancellationToken);
        return [.. page.Select(n => (n, (IReadOnlyList<AttemptRecord>)[.. attempts[n.NotificationId]]))];
    }

    /// <summary>
    /// Through the index the scheduler reads due notifications by (merchant, status): only the unacknowledged rows are
    /// read and sorted, however many the merchant has acknowledged. (<c>+seq</c> keeps the merchant's (client_id, seq)
    /// index, which would walk every acknowledged one backwards, out of the planner's choice.)
    /// </summary>
    internal static (string Sql, (string Name, object? Value)[] Parameters) UnacknowledgedQuery(string clientId, int limit) =>
        ($"SELECT {Columns} FROM notifications WHERE client_id = @client AND status IN ('pending', 'exhausted') ORDER BY +seq DESC LIMIT @limit",
            [("@client", clientId), ("@limit", limit)]);

    /// <summary>The listing's query: one subscription's notifications are read through its index, whatever the merchant has.</summary>
    internal static (string Sql, (string Name, object? Value)[] Parameters) ListQuery(
        string clientId, string? kind, string? subscriptionId, string? status, (long AfterSeq, int Limit)? page = null)
    {
        var (where, parameters) = SqlFilter.Equal(("kind", kind), ("subscription_id", subscriptionId), ("status", status));

        // With a subscription, its index; the merchant's (client_id, seq) index would also serve the order, and the
        // planner, without statistics, may take it and read all of the merchant's notifications. An expression on the
        // column keeps that index out of the choice (in SQLite and PostgreSQL alike) and still checks the merchant.
        where = subscriptionId is null ? $"client_id = @client_id AND {where}" : $"client_id || '' = @client_id AND {where}";
        parameters = [("@client_id", clientId), .. parameters];
        return page is var (after, limit)
            ? (Select($"{where} AND seq > @after") + " LIMIT @limit", [.. parameters, ("@after", after), ("@limit", limit)])
            : (Select(where), parameters);
    }

    /// <summary>The notifications of some subscriptions, in order within each (one query, through the subscription index).</summary>
    public static async Task<ILookup<string, NotificationRecord>> OfSubscriptionsAsync(IReads reads, IReadOnlyCollection<string> subscriptionIds, CancellationToken cancellationToken)
    {
        var (sql, parameters) = OfSubscriptionsQuery(subscriptionIds);
        return (await reads.QueryAsync(sql, Read, cancellationToken, parameters)).ToLookup(n => n.SubscriptionId, StringComparer.Ordinal);
    }

    internal static (string Sql, (string Name, object? Value)[] Parameters) OfSubscriptionsQuery(IReadOnlyCollection<string> subscriptionIds)
    {
        var (where, parameters) = SqlFilter.In("subscription_id", subscriptionIds);
        return ($"SELECT {Columns} FROM notifications WHERE {where} ORDER BY subscription_id, seq", parameters);
    }

    public async Task<IReadOnlyList<AttemptRecord>> AttemptsAsync(string notificationId, CancellationToken cancellationToken) =>
        (await database.QueryAsync(
            $"SELECT {AttemptColumns} FROM notification_attempts WHERE notification_id = @id ORDER BY attempt_no",
            ReadAttempt,
            cancellationToken,
            ("@id", notificationId))).Select(a => a.Attempt).ToList();

    /// <summary>
    /// The attempts of each of <paramref name="notifications"/>, in order, by notification id: one query per
    /// <see cref="IdsPerQuery"/> notifications, each reading their rows through the attempts' primary key.
    /// </summary>
    public Task<ILookup<string, AttemptRecord>> AttemptsOfAsync(IEnumerable<NotificationRecord> notifications, CancellationToken cancellationToken) =>
        AttemptsOfAsync(database, notifications, cancellationToken);

    /// <inheritdoc cref="AttemptsOfAsync(IEnumerable{NotificationRecord}, CancellationToken)"/>
    public static async Task<ILookup<string, AttemptRecord>> AttemptsOfAsync(IReads reads, IEnumerable<NotificationRecord> notifications, CancellationToken cancellationToken)
    {
        var attempts = new List<(string NotificationId, AttemptRecord Attempt)>();
        foreach (var chunk in notifications.Select(n => n.NotificationId).Chunk(IdsPerQuery))
        {
            var (among, parameters) = SqlFilter.In("notification_id", chunk);
            attempts.AddRange(await reads.QueryAsync(
                $"SELECT {AttemptColumns} FROM notification_attempts WHERE {among} ORDER BY notification_id, attempt_no",
                ReadAttempt,
                cancellationToken,
                parameters));
        }

        return attempts.ToLookup(a => a.NotificationId, a => a.Attempt, StringComparer.Ordinal);
    }

    // Well under the bound parameters SQLite (32,766) and PostgreSQL (65,535) take in one statement.
    private const int IdsPerQuery = 500;

    private const string AttemptColumns = "attempt_no, at, http_status, response_body, outcome, error, redelivery, notification_id, timeline_mark";

    private static (string NotificationId, AttemptRecord Attempt) ReadAttempt(DbDataReader r) => (r.GetString(7), new AttemptRecord(
        r.GetInt32(0),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)),
        r.IsDBNull(2) ? null : r.GetInt32(2),
        r.IsDBNull(3) ? null : r.GetString(3),
        r.GetString(4),
        r.IsDBNull(5) ? null : r.GetString(5),
        r.GetInt64(6) != 0,
        r.IsDBNull(8) ? null : r.GetInt64(8)));

    /// <summary>
    /// Records attempts and each notification's new standing, with the delivery fault rules each used, in one
    /// transaction; returns the attempt numbers.
    /// </summary>
    public async Task<IReadOnlyList<int>> RecordAttemptsAsync(IReadOnlyList<PendingAttempt> attempts, CancellationToken cancellationToken)
    {
        return await database.WriteAsync<IReadOnlyList<int>>(async work =>
        {
            var numbers = new List<int>(attempts.Count);
            foreach (var pending in attempts)
            {
                var (notification, attempt, status, next, count) = pending;
                if (pending.Fault is { } fault)
                {
                    await fault.UseAsync(work, cancellationToken);
                }

                var insert = work.Command("""
                    INSERT INTO notification_attempts (notification_id, attempt_no, at, http_status, response_body, outcome, error, redelivery, timeline_mark)
                    VALUES (@id, (SELECT COUNT(*) + 1 FROM notification_attempts WHERE notification_id = @id), @at, @http, @response, @outcome, @error, @redelivery, @mark)
                    RETURNING attempt_no
                    """);
                insert.Bind("@id", notification.NotificationId);
                insert.Bind("@at", attempt.At.ToUnixTimeMilliseconds());
                insert.Bind("@http", attempt.HttpStatus);
                insert.Bind("@response", attempt.ResponseBody);
                insert.Bind("@outcome", attempt.Outcome);
                insert.Bind("@error", attempt.Error);
                insert.Bind("@redelivery", attempt.Redelivery ? 1 : 0);
                insert.Bind("@mark", attempt.TimelineMark);
                numbers.Add(Convert.ToInt32(await insert.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture));

                // A redelivery that is not acknowledged leaves a held or delayed notification as it was: it still goes
                // out when its turn comes (clearing the hold left it with no time to go out at all).
                var update = work.Command(attempt.Redelivery && status != "acknowledged"
                    ? "UPDATE notifications SET status = @status, next_attempt_at = @next, attempt_count = @count WHERE notification_id = @id"
                    : "UPDATE notifications SET status = @status, next_attempt_at = @next, attempt_count = @count, held = 0, delayed = 0 WHERE notification_id = @id");
                update.Bind("@id", notification.NotificationId);
                update.Bind("@status", status);
                update.Bind("@next", next?.ToUnixTimeMilliseconds());
                update.Bind("@count", count);
                await update.ExecuteNonQueryAsync(cancellationToken);
            }

            return numbers;
        }, cancellationToken);
    }

    /// <summary>
    /// The <c>delay</c> delivery fault: the attempt moves later on the merchant's clock, nothing is sent now. It is
    /// delayed once: when it comes due again it goes out, whatever delay rules there are (the next attempt, a retry,
    /// may be delayed again).
    /// </summary>
    /// <param name="fault">The rule that delays it: used in the same write.</param>
    public Task DelayAsync(string notificationId, DateTimeOffset at, Faults.DeliveryFaultUse? fault, CancellationToken cancellationToken) =>
        UpdateAsync("UPDATE notifications SET next_attempt_at = @at, delayed = 1 WHERE notification_id = @id", notificationId, at, fault, cancellationToken);

    /// <summary>
    /// The <c>reorder</c> delivery fault: held until the subscription's next notification (or its end) releases it. Set
    /// at once, so that one queued meanwhile by a concurrent call finds it to release.
    /// </summary>
    /// <param name="fault">The rule that holds it: used in the same write.</param>
    public Task HoldAsync(string notificationId, Faults.DeliveryFaultUse? fault, CancellationToken cancellationToken) =>
        UpdateAsync("UPDATE notifications SET next_attempt_at = NULL, held = 1 WHERE notification_id = @id", notificationId, null, fault, cancellationToken);

    private Task UpdateAsync(string sql, string notificationId, DateTimeOffset? at, Faults.DeliveryFaultUse? fault, CancellationToken cancellationToken) =>
        database.WriteAsync(async work =>
        {
            if (fault is not null)
            {
                await fault.UseAsync(work, cancellationToken);
            }

            var command = work.Command(sql);
            command.Bind("@id", notificationId);
            command.Bind("@at", at?.ToUnixTimeMilliseconds());
            await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    /// <summary>Notifications about to be sent, each with the last timeline row written by now (read in the same statement).</summary>
    private async Task<IReadOnlyList<NotificationRecord>> ToSendAsync(string where, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        var ticket = timelineWrites.Now;
        return await database.QueryAsync(
            ToSendQuery(where),
            r => Read(r) with { TimelineMark = r.IsDBNull(13) ? 0 : r.GetInt64(13), MarkTicket = ticket },
            cancellationToken,
            parameters);
    }

    /// <summary>
    /// The notification with its mark as of now: read again when <paramref name="readAgain"/> or when a row of its
    /// subscription's timeline may have been written since the mark was read (it waited for a delivery slot).
    /// </summary>
    public async Task<NotificationRecord> WithCurrentMarkAsync(NotificationRecord notification, bool readAgain, CancellationToken cancellationToken)
    {
        // Another instance's writes are not noted here: on a shared database the mark is always read again.
        if (!readAgain && !database.IsShared && notification.MarkTicket is { } ticket && !timelineWrites.WrittenSince(notification.SubscriptionId, ticket))
        {
            return notification;
        }

        var fresh = timelineWrites.Now;
        return notification with { TimelineMark = await TimelineMarkAsync(cancellationToken), MarkTicket = fresh };
    }

    /// <summary>The mark is read once for the statement, from the end of the timeline's primary key.</summary>
    internal static string ToSendQuery(string where) => $"SELECT {Columns}, ({TimelineEnd}) FROM notifications WHERE {where} ORDER BY seq";

    private const string TimelineEnd = "SELECT MAX(seq) FROM timeline";

    /// <summary>The last timeline row written by now: an attempt sent after it goes after it in the timeline.</summary>
    public async Task<long> TimelineMarkAsync(CancellationToken cancellationToken) =>
        (await database.QueryAsync(TimelineEnd, r => r.IsDBNull(0) ? 0 : r.GetInt64(0), cancellationToken)).Single();

    private static string Select(string where) => $"SELECT {Columns} FROM notifications WHERE {where} ORDER BY seq";

    private static NotificationRecord Read(DbDataReader r) => new(
        r.GetInt64(0),
        r.GetString(1),
        r.GetString(2),
        r.GetString(3),
        r.GetString(4),
        r.GetString(5),
        r.GetString(6),
        r.GetString(7),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)),
        r.IsDBNull(9) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(9)),
        r.GetInt32(10),
        r.GetInt64(11) != 0,
        r.GetInt64(12) != 0);
}
