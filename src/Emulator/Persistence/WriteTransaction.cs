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
    // Statements kept prepared beyond this many distinct texts are not kept: SQL built from values would never repeat.
    private const int MaxPrepared = 256;

    private readonly DbConnection connection;
    private readonly DbTransaction transaction;
    private readonly string? savepoint;
    private readonly Dictionary<string, DbCommand>? prepared;
    private List<DbCommand>? owned;
    private List<Action>? afterCommit;

    /// <param name="prepared">
    /// Commands kept by the connection's owner across units, by SQL text, so that each statement is compiled once
    /// (the single SQLite writer); null makes a new command for every call.
    /// </param>
    internal WriteTransaction(DbConnection connection, DbTransaction transaction, string? savepoint, Dictionary<string, DbCommand>? prepared = null)
    {
        this.connection = connection;
        this.transaction = transaction;
        this.savepoint = savepoint;
        this.prepared = prepared;
    }

    /// <summary>Whether <see cref="RollbackAsync"/> undid the unit's writes (then nothing of it is committed).</summary>
    internal bool RolledBack { get; private set; }

    /// <summary>
    /// A command for <paramref name="sql"/> in this transaction, with no parameters bound yet. The transaction owns it:
    /// use it before the unit returns and do not dispose it.
    /// </summary>
    public DbCommand Command(string sql)
    {
        // After a rollback of the whole transaction (PostgreSQL) the unit reads outside any transaction.
        var transaction = RolledBack && savepoint is null ? null : this.transaction;
        if (prepared is not null && prepared.TryGetValue(sql, out var kept))
        {
            kept.Parameters.Clear();
            kept.Transaction = transaction;
            return kept;
        }

        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        if (prepared is not null && prepared.Count < MaxPrepared)
        {
            prepared[sql] = command;
        }
        else
        {
            (owned ??= []).Add(command);
        }

        return command;
    }

    /// <summary>Undoes the unit's writes so far. The unit may still read through <see cref="Command"/>.</summary>
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

    /// <summary>Runs <paramref name="action"/> once the unit's writes are committed (never when they are undone).</summary>
    public void AfterCommit(Action action) => (afterCommit ??= []).Add(action);

    /// <summary>What to run once the unit is committed; nothing for a unit that rolled back.</summary>
    internal IReadOnlyList<Action> Committed => RolledBack || afterCommit is null ? [] : afterCommit;

    /// <summary>Disposes the commands made for this unit alone.</summary>
    internal void DisposeCommands()
    {
        foreach (var command in owned ?? [])
        {
            command.Dispose();
        }

        owned = null;
    }
}
