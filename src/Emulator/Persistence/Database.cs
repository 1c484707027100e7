using System.Data.Common;

namespace Emulator.Persistence;

/// <summary>
/// Where the emulator keeps its state: the embedded SQLite file (<see cref="SqliteDatabase"/>, the default) or a
/// PostgreSQL database that several instances share (<see cref="PostgresDatabase"/>). Both run the same SQL; the
/// differences (schema types, how writers are serialized, locks across processes) live in the two subclasses.
/// </summary>
public abstract class Database : IReads
{
    /// <summary>Whether other processes write to the same database (state cached in memory must be read again).</summary>
    public abstract bool IsShared { get; }

    /// <summary>A short name for logs and health: <c>sqlite</c> or <c>postgres</c>.</summary>
    public abstract string Kind { get; }

    public abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    public abstract Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="unit"/> as one write: reads made through its transaction see no concurrent writer, in this
    /// process or any other, so a read-modify-write of a subscription cannot lose an update. Its writes are committed
    /// when it returns (before this task completes, so what a caller acknowledges is stored) and undone when it throws.
    /// </summary>
    public abstract Task<T> WriteAsync<T>(Func<WriteTransaction, Task<T>> unit, CancellationToken cancellationToken);

    /// <inheritdoc cref="WriteAsync{T}"/>
    public Task WriteAsync(Func<WriteTransaction, Task> unit, CancellationToken cancellationToken) =>
        WriteAsync(async work =>
        {
            await unit(work);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Holds the merchant's time machine for this process until disposed, so that one instance at a time runs a
    /// merchant's due work (deductions and deliveries). <paramref name="wait"/> false answers null when another
    /// process holds it.
    /// </summary>
    public abstract Task<MerchantTurn?> LockMerchantAsync(string clientId, bool wait, CancellationToken cancellationToken);

    /// <summary>
    /// Holds the merchant's lock against other instances sharing the database until disposed, when no other instance
    /// holds it (a run, a redelivery): null when one does. It takes none of this instance's merchant turns. Always free
    /// on an unshared database, where the merchant's gate in this process is all there is.
    /// </summary>
    public virtual Task<IAsyncDisposable?> HoldMerchantIfFreeAsync(string clientId, CancellationToken cancellationToken) =>
        Task.FromResult<IAsyncDisposable?>(NothingToRelease.Instance);

    private sealed class NothingToRelease : IAsyncDisposable
    {
        public static readonly NothingToRelease Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>
    /// A caller is about to wait for the merchant's gate in this instance: a background run holding it while it waits
    /// for one of the instance's merchant turns then waits with the callers (<see cref="MerchantTurns"/>). Null where
    /// there are no turns to wait for.
    /// </summary>
    public virtual IDisposable? CallerWaits(string clientId) => null;

    /// <summary>How many runs and calls of this instance wait for a merchant turn now (0 where there are none).</summary>
    public virtual int MerchantTurnsAwaited => 0;

    /// <summary>How many advances, approvals and redeliveries of this instance wait for their merchant's gate now (counted where there are turns).</summary>
    public virtual int CallersAtMerchantGates => 0;

    /// <summary>
    /// The run of the merchant's time machine under way in another instance sharing the database, if any: the instant
    /// it has reached (null before its first step) and whether it is an advance. Always null on an unshared database.
    /// </summary>
    public virtual Task<OtherRun?> OtherRunAsync(string clientId, CancellationToken cancellationToken) => Task.FromResult<OtherRun?>(null);

    /// <summary>
    /// Adds what a call changed (events as JSON) to those of the merchant's run under way in another instance, for its
    /// advance to list; nothing when no other instance runs the merchant.
    /// </summary>
    public virtual Task TellOtherRunAsync(string clientId, IReadOnlyList<string> events, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Drops what other instances may still see of the merchant's runs (a deleted merchant).</summary>
    public virtual Task ForgetRunsAsync(string clientId, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs a query on a connection of its own and reads every row with <paramref name="read"/>.</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadSnapshot.QueryAsync(connection, null, sql, read, cancellationToken, parameters);
    }

    /// <summary>
    /// A connection whose queries all see the database as of one instant, whatever is written meanwhile (a read
    /// transaction that never takes the writer's lock), until disposed.
    /// </summary>
    public async Task<ReadSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken);
        try
        {
            return new ReadSnapshot(connection, await BeginSnapshotAsync(connection, cancellationToken));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>A transaction that only reads, on one snapshot of the database.</summary>
    protected abstract Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken);

    protected static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
