using System.Data.Common;

namespace Emulator.Persistence;

/// <summary>
/// One write transaction (<see cref="Database.BeginWriteAsync"/>). An in-process gate queues writers here instead of
/// letting them spin on a busy database; the database's own exclusive lock keeps other processes out while a
/// read-modify-write runs.
/// </summary>
public sealed class WriteTransaction : IAsyncDisposable
{
    private readonly SemaphoreSlim gate;
    private bool released;

    internal WriteTransaction(DbConnection connection, DbTransaction transaction, SemaphoreSlim gate)
    {
        Connection = connection;
        Transaction = transaction;
        this.gate = gate;
    }

    public DbConnection Connection { get; }

    public DbTransaction Transaction { get; }

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
