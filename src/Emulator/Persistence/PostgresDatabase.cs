using System.Data.Common;
using Emulator.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Emulator.Persistence;

/// <summary>
/// A PostgreSQL database that several emulator instances share, so that they behave as one: writes are serialized
/// across instances by a transaction-scoped advisory lock (the same single-writer discipline as SQLite), and each
/// merchant's time machine runs in one instance at a time under a session advisory lock, so a phase is deducted once and
/// a notification is delivered by one instance.
/// </summary>
public sealed class PostgresDatabase : Database, IAsyncDisposable
{
    // Advisory lock keys: bigints for the writer and for merchants (64 bits of a SHA-256 of the client id, so that two
    // merchants do not share a lock), a (namespace, 0) pair for migrations. PostgreSQL keeps one-key and two-key locks
    // apart.
    internal const long WriterKey = 0x416E_746F_6D57;
    private const int MigrationSpace = 0x416E_746E;

    // Connections an instance opens at most, unless the connection string's Max Pool Size says otherwise: two
    // instances stay within PostgreSQL's default max_connections (100, 97 of them for clients).
    private const int DefaultMaxPoolSize = 48;

    private readonly NpgsqlDataSource dataSource;
    private readonly NpgsqlDataSource lockSource;
    private readonly MerchantTurns turns;

    // Writers of this process queue here rather than each holding a pooled connection while it waits for the lock.
    private readonly SemaphoreSlim writeGate = new(1, 1);

    public PostgresDatabase(IOptions<EmulatorOptions> options)
    {
        var (work, locks) = Pools(WithDefaults(options.Value.PostgresConnectionString));
        dataSource = NpgsqlDataSource.Create(work);
        lockSource = NpgsqlDataSource.Create(locks);
        var merchantTurns = new NpgsqlConnectionStringBuilder(locks).MaxPoolSize;
        turns = new MerchantTurns(merchantTurns);
    }

    /// <summary>
    /// The instance's connections (Max Pool Size, default 48) split in two pools: a third of them, up to 16, hold
    /// merchants' turns (each running or waiting merchant holds one for its lock), the rest do the work, so that holders
    /// and waiters never starve the work, and the instance never opens more than Max Pool Size in all.
    /// </summary>
    internal static (string Work, string Locks) Pools(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var total = Sets(given, "Maximum Pool Size", "MaximumPoolSize", "Max Pool Size", "MaxPoolSize") ? builder.MaxPoolSize : DefaultMaxPoolSize;
        var locks = Math.Clamp(total / 3, 1, 16);
        var work = Math.Max(1, total - locks);
        return (
            new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = work, MinPoolSize = Math.Min(builder.MinPoolSize, work) }.ConnectionString,
            new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = locks, MinPoolSize = 0 }.ConnectionString);
    }

    /// <summary>
    /// Npgsql settings for an emulator's many short statements, unless the connection string sets them: each statement
    /// prepared once per connection (<c>Max Auto Prepare</c>), and no state reset each time a connection goes back to the
    /// pool (<c>No Reset On Close</c>): nothing here leaves session state behind; the one session lock, a merchant's, is
    /// released explicitly. Together they made a storm of 3,000 subscriptions 1.6 times as fast.
    /// </summary>
    internal static string WithDefaults(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!Sets(given, "Max Auto Prepare", "MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 64;
        }

        if (!Sets(given, "No Reset On Close", "NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }

    /// <summary>Whether the operator's connection string sets the setting, under any of its names (any case).</summary>
    private static bool Sets(DbConnectionStringBuilder given, params string[] names) => names.Any(given.ContainsKey);

    public override bool IsShared => true;

    public override string Kind => "postgres";

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken);

    protected override async Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);

    public override async Task<MerchantTurn?> LockMerchantAsync(string clientId, bool wait, CancellationToken cancellationToken)
    {
        // Every caller waits for one of this instance's turns, the background loop too: skipped for want of a turn,
        // a merchant's due work would wait for the next tick, and under a clock that only a test moves none may come.
        // The loop's runs (the callers that would not wait for another instance) get turns after everyone else's.
        await turns.WaitAsync(clientId, caller: wait, cancellationToken);

        var key = MerchantKey(clientId);
        for (var attempt = 1; ; attempt++)
        {
            NpgsqlConnection? connection = null;
            try
            {
                connection = await lockSource.OpenConnectionAsync(cancellationToken);

                // pg_advisory_lock waits for the lock, as long as the other instance's run takes (no command timeout);
                // pg_try_advisory_lock answers at once whether it got it.
                await using var command = connection.CreateCommand();
                command.CommandText = wait ? "SELECT true FROM pg_advisory_lock(@key)" : "SELECT pg_try_advisory_lock(@key)";
                command.CommandTimeout = 0;
                command.Bind("@key", key);
                if (await command.ExecuteScalarAsync(cancellationToken) is true)
                {
                    // Whatever run rows the merchant still has belong to runs that died: this turn holds its lock now.
                    await using var stale = connection.CreateCommand();
                    stale.CommandText = ForgetRunsSql;
                    stale.Bind("@client", clientId);
                    await stale.ExecuteNonQueryAsync(cancellationToken);
                    return new MerchantLock(connection, lockSource, clientId, key, turns);
                }
            }
            catch (Exception ex)
            {
                if (connection is not null)
                {
                    // It may hold the lock already (a failure after it was granted): pooled without a reset, it must not
                    // be handed out again. (The data source's own pool: NpgsqlConnection.ClearPool does not reach it.)
                    await connection.DisposeAsync();
                    lockSource.Clear();
                }

                // A connection this pool kept across a database restart fails on its first use ("terminating connection
                // due to administrator command"), however long ago the restart was: nothing was done under the turn
                // yet, so once more on a fresh connection, rather than fail a call (an approve, after its decision was
                // committed) that the database could serve. The lock a broken session held went with it.
                if (attempt == 1 && ex is System.Data.Common.DbException { IsTransient: true } && !cancellationToken.IsCancellationRequested)
                {
                    continue;
                }

                turns.Release();
                throw;
            }

            await connection.DisposeAsync();
            turns.Release();
            return null;
        }
    }

    public override async Task<IAsyncDisposable?> HoldMerchantIfFreeAsync(string clientId, CancellationToken cancellationToken)
    {
        var key = MerchantKey(clientId);
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT pg_try_advisory_lock(@key)";
            command.Bind("@key", key);
            if (await command.ExecuteScalarAsync(cancellationToken) is true)
            {
                return new HeldMerchant(connection, dataSource, key);
            }
        }
        catch
        {
            // It may hold the lock (a failure after it was granted): pooled without a reset, it must not be reused.
            await connection.DisposeAsync();
            dataSource.Clear();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    /// <summary>The merchant's lock held on a work connection for a short change (a merchant's delete or replacement).</summary>
    private sealed class HeldMerchant(NpgsqlConnection connection, NpgsqlDataSource source, long key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT pg_advisory_unlock(@key)";
                command.Bind("@key", key);
                await command.ExecuteNonQueryAsync(CancellationToken.None);
                await connection.DisposeAsync();
            }
            catch
            {
                // The lock goes with the connection: closed, not pooled.
                await connection.DisposeAsync();
                source.Clear();
                throw;
            }
        }
    }

    public override IDisposable? CallerWaits(string clientId) => turns.CallerWaits(clientId);

    public override int MerchantTurnsAwaited => turns.Awaited;

    public override int CallersAtMerchantGates => turns.CallersAtGates;

    /// <summary>The merchant's lock key: 64 bits of a SHA-256 of its client id.</summary>
    internal static long MerchantKey(string clientId) =>
        BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("merchant\n" + clientId)), 0);

    // A run row counts while the connection that wrote it holds the merchant's lock in this database: a crashed
    // instance's row, whose lock went with its connection, is ignored (and deleted by the next turn that takes the lock).
    // A bigint advisory key shows in pg_locks as its high and low 32 bits.
    private const string LiveRun = """
        EXISTS (SELECT 1 FROM pg_locks l
                WHERE l.locktype = 'advisory' AND l.granted AND l.pid = r.owner_pid AND l.objsubid = 1
                  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND l.classid = ((r.lock_key >> 32) & 4294967295)::oid AND l.objid = (r.lock_key & 4294967295)::oid)
        """;

    public override async Task<OtherRun?> OtherRunAsync(string clientId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(
            $"SELECT r.reached_at, r.advancing FROM merchant_runs r WHERE r.client_id = @client AND {LiveRun}",
            r => new OtherRun(r.IsDBNull(0) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(0)), r.GetBoolean(1)),
            cancellationToken,
            ("@client", clientId));
        return rows.Count > 0 ? rows[0] : null;
    }

    public override async Task TellOtherRunAsync(string clientId, IReadOnlyList<string> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = connection.CreateBatch();
        foreach (var e in events)
        {
            // To the run that is live now, by its id: a run that ends or dies meanwhile leaves nothing to a later one.
            var command = batch.CreateBatchCommand();
            command.CommandText = $"""
                INSERT INTO merchant_run_events (client_id, run_id, doc)
                SELECT r.client_id, r.run_id, @doc FROM merchant_runs r WHERE r.client_id = @client AND {LiveRun}
                """;
            command.Parameters.Add(new NpgsqlParameter("client", clientId));
            command.Parameters.Add(new NpgsqlParameter("doc", e));
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private const string ForgetRunsSql = "DELETE FROM merchant_runs WHERE client_id = @client; DELETE FROM merchant_run_events WHERE client_id = @client";

    public override async Task ForgetRunsAsync(string clientId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = ForgetRunsSql;
        command.Bind("@client", clientId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        // Instances starting together take turns; the second finds the schema done.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({MigrationSpace}, 0)", cancellationToken);
        try
        {
            await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS emulator_schema (version INTEGER NOT NULL)", cancellationToken);
            await using var read = connection.CreateCommand();
            read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM emulator_schema";
            var version = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            for (var step = version; step < Schema.Steps.Length; step++)
            {
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, Schema.ForPostgres(Schema.Steps[step]), cancellationToken);
                await ExecuteAsync(connection, $"INSERT INTO emulator_schema (version) VALUES ({step + 1})", cancellationToken);
                await tx.CommitAsync(cancellationToken);
            }

            // How far each merchant's run under way has come, and what calls through other instances changed meanwhile:
            // only of use while a run goes, so unlogged (no WAL; emptied after a crash of the server).
            await ExecuteAsync(connection, """
                CREATE UNLOGGED TABLE IF NOT EXISTS merchant_runs (
                    client_id TEXT PRIMARY KEY,
                    owner_pid INTEGER NOT NULL,
                    lock_key BIGINT NOT NULL,
                    reached_at BIGINT,
                    advancing BOOLEAN NOT NULL);
                CREATE UNLOGGED TABLE IF NOT EXISTS merchant_run_events (
                    seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                    client_id TEXT NOT NULL,
                    doc TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS ix_merchant_run_events_client ON merchant_run_events (client_id, seq);
                ALTER TABLE merchant_runs ADD COLUMN IF NOT EXISTS run_id TEXT NOT NULL DEFAULT '';
                ALTER TABLE merchant_run_events ADD COLUMN IF NOT EXISTS run_id TEXT NOT NULL DEFAULT '';
                """, cancellationToken);
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({MigrationSpace}, 0)", CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await lockSource.DisposeAsync();
        await dataSource.DisposeAsync();
    }

    /// <summary>One unit per transaction, under the writer lock that every instance takes.</summary>
    public override async Task<T> WriteAsync<T>(Func<WriteTransaction, Task<T>> unit, CancellationToken cancellationToken)
    {
        await writeGate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({WriterKey})", cancellationToken);
            var work = new WriteTransaction(connection, transaction, savepoint: null);
            try
            {
                var result = await unit(work);
                if (!work.RolledBack)
                {
                    await transaction.CommitAsync(cancellationToken);
                    foreach (var action in work.Committed)
                    {
                        action();
                    }
                }

                return result;
            }
            finally
            {
                work.DisposeCommands();
            }
        }
        finally
        {
            writeGate.Release();
        }
    }

    /// <summary>
    /// The session lock on a merchant; closing the connection (or a crashed instance's) releases it too. Its run row and
    /// the events told to it are read and written on the same connection, so a row counts exactly while its lock is held,
    /// and under an id of its own, so that nothing told to one run reaches another.
    /// </summary>
    private sealed class MerchantLock(NpgsqlConnection connection, NpgsqlDataSource pool, string clientId, long key, MerchantTurns turns) : MerchantTurn
    {
        private readonly string runId = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

        // A connection runs one statement at a time: a publication still in flight when the run asks for its events waits.
        private readonly SemaphoreSlim statement = new(1, 1);

        public override Task PublishAsync(DateTimeOffset? reached, bool advancing, CancellationToken cancellationToken) =>
            OneAtATimeAsync(async () =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = """
                    INSERT INTO merchant_runs (client_id, run_id, owner_pid, lock_key, reached_at, advancing) VALUES (@client, @run, pg_backend_pid(), @key, @reached, @advancing)
                    ON CONFLICT (client_id) DO UPDATE SET run_id = excluded.run_id, owner_pid = excluded.owner_pid, lock_key = excluded.lock_key, reached_at = excluded.reached_at, advancing = excluded.advancing
                    """;
                command.Bind("@client", clientId);
                command.Bind("@run", runId);
                command.Bind("@key", key);
                command.Bind("@reached", reached?.ToUnixTimeMilliseconds());
                command.Bind("@advancing", advancing);
                await command.ExecuteNonQueryAsync(cancellationToken);
                return true;
            }, cancellationToken);

        public override Task<IReadOnlyList<string>> TakeToldAsync(CancellationToken cancellationToken) =>
            OneAtATimeAsync<IReadOnlyList<string>>(async () =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "DELETE FROM merchant_run_events WHERE client_id = @client AND run_id = @run RETURNING seq, doc";
                command.Bind("@client", clientId);
                command.Bind("@run", runId);
                var told = new List<(long Seq, string Doc)>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    told.Add((reader.GetInt64(0), reader.GetString(1)));
                }

                return [.. told.OrderBy(t => t.Seq).Select(t => t.Doc)];
            }, cancellationToken);

        public override Task EndRunAsync(CancellationToken cancellationToken) =>
            OneAtATimeAsync(async () =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = EndRunSql;
                command.Bind("@client", clientId);
                command.Bind("@run", runId);
                await command.ExecuteNonQueryAsync(cancellationToken);
                return true;
            }, cancellationToken);

        public override async ValueTask DisposeAsync()
        {
            var failed = false;
            await statement.WaitAsync(CancellationToken.None);
            try
            {
                await using var command = connection.CreateCommand();
                command.CommandText = EndRunSql + "; SELECT pg_advisory_unlock(@key)";
                command.Bind("@client", clientId);
                command.Bind("@run", runId);
                command.Bind("@key", key);
                await command.ExecuteNonQueryAsync(CancellationToken.None);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                // Pooled connections are not reset: one that may still hold the lock must not be handed out again,
                // and closing it releases the lock. Not rethrown: the run's own failure, if any, is the one to report.
                failed = true;
            }
            finally
            {
                await connection.DisposeAsync();
                if (failed)
                {
                    pool.Clear();
                }

                statement.Dispose();
                turns.Release();
                GC.SuppressFinalize(this);
            }
        }

        private const string EndRunSql = "DELETE FROM merchant_runs WHERE client_id = @client AND run_id = @run; DELETE FROM merchant_run_events WHERE client_id = @client AND run_id = @run";

        private async Task<T> OneAtATimeAsync<T>(Func<Task<T>> statementWork, CancellationToken cancellationToken)
        {
            await statement.WaitAsync(cancellationToken);
            try
            {
                return await statementWork();
            }
            finally
            {
                statement.Release();
            }
        }
    }
}
