using Microsoft.Data.Sqlite;

namespace Emulator.Persistence;

/// <summary>
/// One write transaction. SQLite has a single writer; an in-process gate queues writers here instead of letting them
/// spin on SQLITE_BUSY, and <c>BEGIN IMMEDIATE</c> keeps other processes out while a read-modify-write runs.
/// </summary>
public sealed class WriteTransaction : IAsyncDisposable
{
    private readonly SemaphoreSlim gate;
    private bool released;

    internal WriteTransaction(SqliteConnection connection, SqliteTransaction transaction, SemaphoreSlim gate)
    {
        Connection = connection;
        Transaction = transaction;
        this.gate = gate;
    }

    public SqliteConnection Connection { get; }

    public SqliteTransaction Transaction { get; }

    public Task CommitAsync(CancellationToken cancellationToken) => Transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
        if (!released)
        {
            released = true;
            gate.Release();
        }
    }
}
