namespace Emulator.Persistence;

/// <summary>
/// Every authenticated call of a merchant to the emulated API, with its outcome: what the conformance suite reads to
/// judge an integration's request ids and retries.
/// </summary>
public sealed class ApiCallJournal(Database database, ILogger<ApiCallJournal> logger)
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<ApiCallRecord> queue = new();
    private readonly SemaphoreSlim flushing = new(1, 1);
    private int writerScheduled;

    private const int BatchSize = 32;

    /// <summary>
    /// Queues the line and writes queued lines in one transaction off the call's path. Readers flush first, so what
    /// they read includes every call answered before. (A killed process may lose the last lines of this diagnostic
    /// journal; nothing a merchant was told depends on it.) On a shared database the line is written before the call
    /// is answered: a reader may be another instance, which cannot flush this one's queue.
    /// </summary>
    public Task RecordAsync(ApiCallRecord call, CancellationToken cancellationToken)
    {
        queue.Enqueue(call);
        if (database.IsShared)
        {
            return WriteNowAsync(cancellationToken);
        }

        // One writer task at a time drains the queue; calls answered while it writes join its next batch.
        if (Interlocked.CompareExchange(ref writerScheduled, 1, 0) == 0)
        {
            _ = Task.Run(WriteQueuedAsync, CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    private async Task WriteQueuedAsync()
    {
        try
        {
            while (true)
            {
                await FlushAsync(CancellationToken.None);
                Volatile.Write(ref writerScheduled, 0);

                // A line queued after the last flush, whose caller saw the writer still scheduled, is written here.
                if (queue.IsEmpty || Interlocked.CompareExchange(ref writerScheduled, 1, 0) != 0)
                {
                    return;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // The host is shutting down (a test disposing of its emulator): the lines left are this diagnostic journal's.
            Volatile.Write(ref writerScheduled, 0);
        }
        catch (Exception ex)
        {
            Volatile.Write(ref writerScheduled, 0);
            logger.LogError(ex, "Could not write the API call journal");
        }
    }

    private async Task WriteNowAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FlushAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The call itself is answered as it was: this journal is diagnostic.
            logger.LogError(ex, "Could not write the API call journal");
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await flushing.WaitAsync(cancellationToken);
        try
        {
            if (queue.IsEmpty)
            {
                return;
            }

            // In short transactions: API calls waiting for the single writer never queue behind a long journal batch.
            while (!queue.IsEmpty)
            {
                var calls = new List<ApiCallRecord>(BatchSize);
                while (calls.Count < BatchSize && queue.TryDequeue(out var call))
                {
                    calls.Add(call);
                }

                await database.WriteAsync(async work =>
                {
                    // Only a registered merchant's: a call answered while its merchant was deleted would leave a line
                    // that nothing removes, shown to a merchant registered again with that client id.
                    var registered = new Dictionary<string, bool>(StringComparer.Ordinal);
                    foreach (var call in calls)
                    {
                        if (!registered.TryGetValue(call.ClientId, out var known))
                        {
                            registered[call.ClientId] = known = await IsRegisteredAsync(work, call.ClientId, cancellationToken);
                        }

                        if (known)
                        {
                            await InsertAsync(work, call, cancellationToken);
                        }
                    }
                }, cancellationToken);
            }
        }
        finally
        {
            flushing.Release();
        }
    }

    private static async Task<bool> IsRegisteredAsync(WriteTransaction work, string clientId, CancellationToken cancellationToken)
    {
        var command = work.Command("SELECT 1 FROM merchants WHERE client_id = @client");
        command.Bind("@client", clientId);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private static async Task InsertAsync(WriteTransaction work, ApiCallRecord call, CancellationToken cancellationToken)
    {
        var command = work.Command("""
            INSERT INTO api_calls (client_id, at, api, request_id, subscription_id, result_code, result_status, result_message, body_hash)
            VALUES (@client, @at, @api, @request, @subscription, @code, @status, @message, @hash)
            """);
        command.Bind("@client", call.ClientId);
        command.Bind("@at", call.At.ToUnixTimeMilliseconds());
        command.Bind("@api", call.Api);
        command.Bind("@request", call.RequestId);
        command.Bind("@subscription", call.SubscriptionId);
        command.Bind("@code", call.ResultCode);
        command.Bind("@status", call.ResultStatus);
        command.Bind("@message", call.ResultMessage);
        command.Bind("@hash", call.BodyHash);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ApiCallRecord>> ListAsync(string clientId, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        return await database.QueryAsync($"{Select} WHERE client_id = @client ORDER BY seq", Read, cancellationToken, ("@client", clientId));
    }

    /// <summary>The merchant's last <paramref name="limit"/> calls, newest first (the dashboard's merchant page).</summary>
    public async Task<IReadOnlyList<ApiCallRecord>> RecentAsync(string clientId, int limit, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        var (sql, parameters) = RecentQuery(clientId, limit);
        return await database.QueryAsync(sql, Read, cancellationToken, parameters);
    }

    /// <summary>A range of the merchant's (client_id, seq) index, read from its end.</summary>
    internal static (string Sql, (string Name, object? Value)[] Parameters) RecentQuery(string clientId, int limit) =>
        ($"{Select} WHERE client_id = @client ORDER BY seq DESC LIMIT @limit", [("@client", clientId), ("@limit", limit)]);

    private const string Select = "SELECT client_id, at, api, request_id, subscription_id, result_code, result_status, result_message, body_hash FROM api_calls";

    private static ApiCallRecord Read(System.Data.Common.DbDataReader r) => new(
        r.GetString(0),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)),
        r.GetString(2),
        r.IsDBNull(3) ? null : r.GetString(3),
        r.IsDBNull(4) ? null : r.GetString(4),
        r.GetString(5),
        r.GetString(6),
        r.IsDBNull(7) ? null : r.GetString(7),
        r.IsDBNull(8) ? null : r.GetString(8));
}
