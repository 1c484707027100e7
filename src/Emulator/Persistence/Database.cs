using System.Data.Common;

namespace Emulator.Persistence;

/// <summary>
/// Where the emulator keeps its state: the embedded SQLite file (<see cref="SqliteDatabase"/>, the default) or a
/// PostgreSQL database that several instances share (<see cref="PostgresDatabase"/>). Both run the same SQL; the
/// differences (schema types, how writers are serialized, locks across processes) live in the two subclasses.
/// </summary>
public abstract class Database
{
    private readonly SemaphoreSlim writeGate = new(1, 1);

    /// <summary>Whether other processes write to the same database (state cached in memory must be read again).</summary>
    public abstract bool IsShared { get; }

    /// <summary>A short name for logs and health: <c>sqlite</c> or <c>postgres</c>.</summary>
    public abstract string Kind { get; }

    public abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    public abstract Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A write transaction: reads made through it see no concurrent writer, in this process or any other, so a
    /// read-modify-write of a subscription cannot lose an update. Writers in this process queue on a gate first.
    /// </summary>
    public async Task<WriteTransaction> BeginWriteAsync(CancellationToken cancellationToken)
    {
        await writeGate.WaitAsync(cancellationToken);
        try
        {
            var connection = await OpenAsync(cancellationToken);
            try
            {
                return new WriteTransaction(connection, await BeginExclusiveAsync(connection, cancellationToken), writeGate);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }
        catch
        {
            writeGate.Release();
            throw;
        }
    }

    /// <summary>
    /// Holds the merchant's time machine for this process until disposed, so that one instance at a time runs a
    /// merchant's due work (deductions and deliveries). <paramref name="wait"/> false answers null when another
    /// process holds it.
    /// </summary>
    public abstract Task<IAsyncDisposable?> LockMerchantAsync(string clientId, bool wait, CancellationToken cancellationToken);

    /// <summary>Runs a query on a connection of its own and reads every row with <paramref name="read"/>.</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Bind(name, value);
        }

        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>Begins the transaction that keeps every other writer out until it ends.</summary>
    protected abstract Task<DbTransaction> BeginExclusiveAsync(DbConnection connection, CancellationToken cancellationToken);

    protected static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
