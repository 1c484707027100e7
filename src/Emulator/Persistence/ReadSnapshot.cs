using System.Data.Common;

namespace Emulator.Persistence;

/// <summary>Queries that see the database as of one instant (<see cref="Database.SnapshotAsync"/>).</summary>
public sealed class ReadSnapshot(DbConnection connection, DbTransaction transaction) : IReads, IAsyncDisposable
{
    public Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters) =>
        QueryAsync(connection, transaction, sql, read, cancellationToken, parameters);

    public async ValueTask DisposeAsync()
    {
        // Nothing was written: ending the transaction either way releases the snapshot.
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }

    internal static async Task<List<T>> QueryAsync<T>(
        DbConnection connection, DbTransaction? transaction, string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, (string Name, object? Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Bind(name, value);
        }

        return await command.ReadAllAsync(read, cancellationToken);
    }
}
