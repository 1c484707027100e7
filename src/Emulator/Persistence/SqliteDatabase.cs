using System.Collections.Concurrent;
using System.Data.Common;
using Emulator.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Emulator.Persistence;

/// <summary>
/// The embedded SQLite database in the data directory, the default. The schema is created and migrated at start, one
/// <see cref="Schema"/> step per <c>user_version</c>. One process owns the file. SQLite has a single writer, and so
/// does this class, with group commit: units of work queue, and the caller that finds no commit running commits every
/// unit waiting at that moment in one transaction, each in a savepoint of its own. At low load a caller commits its
/// own unit at once, on its own thread; under load one commit serves many calls, and no writer waits for a thread-pool
/// thread to hand it a lock. After each commit the leader runs the first waiting callers' continuations itself, still
/// holding the lock: they do not wait for a thread-pool thread to hand their answers back, and the units queued
/// meanwhile are committed together in the leader's next group. Nothing may wait synchronously for a write: a
/// continuation run here would wait for itself.
/// </summary>
public sealed class SqliteDatabase : Database, IDisposable
{
    // Units committed together at most, and groups one caller commits before it hands the rest to another thread:
    // these bound how long a caller that leads waits to give its own answer.
    private const int MaxGroup = 64;
    private const int MaxGroupsPerLeader = 4;

    // Callers of a group that continue on the leader's thread after the commit.
    private const int InlineContinuations = 3;

    private readonly string connectionString;
    private readonly ConcurrentQueue<PendingWrite> queue = new();
    private readonly List<PendingWrite> group = new(MaxGroup);
    private readonly Lock leader = new();
    private readonly Dictionary<string, DbCommand> prepared = new(StringComparer.Ordinal);
    private SqliteConnection? writer;
    private bool disposed;
    private bool runningUnit;

    public SqliteDatabase(IOptions<EmulatorOptions> options)
    {
        var path = Path.GetFullPath(options.Value.DatabasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public override bool IsShared => false;

    public override string Kind => "sqlite";

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>
    /// Deferred: the snapshot is taken at the first read, and the writer's lock is never asked for (WAL lets readers
    /// and the writer go on side by side).
    /// </summary>
    protected override Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    /// <summary>One process owns the file: the time machine's own gate per merchant is all the locking it needs.</summary>
    public override Task<MerchantTurn?> LockMerchantAsync(string clientId, bool wait, CancellationToken cancellationToken) =>
        Task.FromResult<MerchantTurn?>(MerchantTurn.Local);

    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, "PRAGMA journal_mode = WAL;", cancellationToken);
        await using var read = connection.CreateCommand();
        read.CommandText = "PRAGMA user_version;";
        var version = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        for (var step = version; step < Schema.Steps.Length; step++)
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            await ExecuteAsync(connection, Schema.Steps[step], cancellationToken);
            await ExecuteAsync(connection, $"PRAGMA user_version = {step + 1};", cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
    }

    public override Task<T> WriteAsync<T>(Func<WriteTransaction, Task<T>> unit, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var leading = leader.IsHeldByCurrentThread;
        if (leading && runningUnit)
        {
            // It would wait for the commit of the group it is part of.
            throw new InvalidOperationException("a unit of work cannot start another write; do the work in the same unit");
        }

        var pending = new PendingWrite<T>(unit, cancellationToken);
        queue.Enqueue(pending);
        if (!leading)
        {
            Lead();
        }

        // Else a continuation the leader runs after a commit: its write goes in the leader's next group.
        return pending.Task;
    }

    /// <summary>Commits what is still queued, then closes the writer's connection.</summary>
    public void Dispose()
    {
        disposed = true;
        lock (leader)
        {
            while (TakeGroup())
            {
                CommitGroup();
            }

            CloseWriter();
        }
    }

    /// <summary>
    /// Commits what is queued unless another caller already does. A leader that has committed its share hands what is
    /// left to a thread-pool thread, so that a steady stream of writes cannot hold its own answer back for long. It
    /// looks at the queue again after letting go, so that no unit queued meanwhile is left behind.
    /// </summary>
    private void Lead()
    {
        while (!queue.IsEmpty && leader.TryEnter())
        {
            try
            {
                for (var n = 0; n < MaxGroupsPerLeader && TakeGroup(); n++)
                {
                    CommitGroup();
                }
            }
            finally
            {
                leader.Exit();
            }

            // A caller that queued while this one was leading may have seen the lock held: read the queue after the
            // release, not before it.
            Interlocked.MemoryBarrier();

            if (!queue.IsEmpty)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static database => database.Lead(), this, preferLocal: false);
                return;
            }
        }
    }

    private bool TakeGroup()
    {
        group.Clear();
        while (group.Count < MaxGroup && queue.TryDequeue(out var next))
        {
            group.Add(next);
        }

        return group.Count > 0;
    }

    private void CommitGroup()
    {
        try
        {
            writer ??= OpenWriter();
            Commit(writer, prepared, group);
        }
        catch (Exception e)
        {
            // Nothing of the group is committed: every unit in it fails, and the next group starts on a new connection.
            foreach (var unit in group)
            {
                unit.Fail(e);
            }

            CloseWriter();
        }

        // The first callers continue here, on this thread (a write they start meanwhile is queued for the next group);
        // in a large group the others continue on thread-pool threads, so that the leader does not run a whole group's
        // answers one after the other.
        for (var i = InlineContinuations; i < group.Count; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static unit => unit.Publish(), group[i], preferLocal: false);
        }

        for (var i = 0; i < Math.Min(group.Count, InlineContinuations); i++)
        {
            group[i].Publish();
        }
    }

    private void CloseWriter()
    {
        foreach (var command in prepared.Values)
        {
            command.Dispose();
        }

        prepared.Clear();
        writer?.Dispose();
        writer = null;
    }

    private SqliteConnection OpenWriter()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        // WAL with synchronous=OFF: a committed transaction is in the WAL file, written through to the operating system,
        // so it survives a killed or crashed emulator process (what "nothing lost" is tested against); only a crash of
        // the operating system itself could lose the last commits, which no emulator run needs to survive. Without
        // fsync, commits and checkpoints do not stall the single writer.
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous = OFF;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    /// <summary>
    /// Runs the group in one <c>BEGIN IMMEDIATE</c> transaction, each unit in a savepoint: a unit that throws is undone
    /// alone. A unit's failure is recorded here; every outcome is published after the commit (<see cref="CommitGroup"/>),
    /// so no caller answers for a write that is not stored.
    /// </summary>
    private void Commit(SqliteConnection connection, Dictionary<string, DbCommand> prepared, List<PendingWrite> group)
    {
        const string Savepoint = "unit";
        using var transaction = connection.BeginTransaction(deferred: false);
        var committed = new List<Action>();
        foreach (var unit in group)
        {
            if (unit.Cancelled)
            {
                unit.Fail(new OperationCanceledException());
                continue;
            }

            transaction.Save(Savepoint);
            var work = new WriteTransaction(connection, transaction, Savepoint, prepared);
            try
            {
                runningUnit = true;
                unit.Run(work);
                committed.AddRange(work.Committed);
            }
            catch (Exception e)
            {
                transaction.Rollback(Savepoint);
                unit.Fail(e);
            }
            finally
            {
                runningUnit = false;
                work.DisposeCommands();
            }

            transaction.Release(Savepoint);
        }

        transaction.Commit();
        foreach (var action in committed)
        {
            action();
        }
    }

    private abstract class PendingWrite
    {
        public abstract bool Cancelled { get; }

        /// <summary>Runs the unit on the thread that leads the commit (SQLite commands complete synchronously, so it runs through).</summary>
        public abstract void Run(WriteTransaction work);

        /// <summary>Records the unit's failure (the first one recorded stands); a unit with none is committed.</summary>
        public abstract void Fail(Exception e);

        /// <summary>Completes the caller's task with the unit's outcome; a caller already awaiting it continues on this thread.</summary>
        public abstract void Publish();
    }

    private sealed class PendingWrite<T>(Func<WriteTransaction, Task<T>> unit, CancellationToken cancellationToken) : PendingWrite
    {
        private readonly TaskCompletionSource<T> completion = new(TaskCreationOptions.None);
        private T? result;
        private Exception? failure;

        public Task<T> Task => completion.Task;

        public override bool Cancelled => cancellationToken.IsCancellationRequested;

        public override void Run(WriteTransaction work) => result = unit(work).GetAwaiter().GetResult();

        public override void Fail(Exception e) => failure ??= e;

        public override void Publish()
        {
            if (failure is null)
            {
                completion.TrySetResult(result!);
            }
            else if (failure is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                completion.TrySetCanceled(cancellationToken);
            }
            else
            {
                completion.TrySetException(failure);
            }
        }
    }
}
