using System.Data.Common;

namespace Emulator.Persistence;

/// <summary>
/// The transaction a unit of work passed to <see cref="Database.WriteAsync{T}"/> writes in. The unit's writes are
/// committed when it returns and undone when it throws; <see cref="RollbackAsync"/> undoes them earlier. On SQLite the
/// unit is one savepoint of a transaction that commits several queued units together (group commit), so it also sees
/// the writes of the units committed with it.
/// </summary>
public sealed class WriteTransaction
{
    private readonly DbTransaction transaction;
    private readonly string? savepoint;

    internal WriteTransaction(DbConnection connection, DbTransaction transaction, string? savepoint)
    {
        Connection = connection;
        this.transaction = transaction;
        this.savepoint = savepoint;
    }

    /// <summary>The connection to read and write through (commands it creates join the transaction).</summary>
    public DbConnection Connection { get; }

    /// <summary>Whether <see cref="RollbackAsync"/> undid the unit's writes (then nothing of it is committed).</summary>
    internal bool RolledBack { get; private set; }

    /// <summary>Undoes the unit's writes so far. The unit may still read through <see cref="Connection"/>.</summary>
    public async Task RollbackAsync(CancellationToken cancellationToken)
    {
        if (savepoint is null)
        {
            await transaction.RollbackAsync(cancellationToken);
        }
        else
        {
            await transaction.RollbackAsync(savepoint, cancellationToken);
        }

        RolledBack = true;
    }
}
