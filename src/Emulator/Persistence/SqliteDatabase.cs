using System.Data.Common;
using Emulator.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Emulator.Persistence;

/// <summary>
/// The embedded SQLite database in the data directory, the default. The schema is created and migrated at start, one
/// <see cref="Schema"/> step per <c>user_version</c>. One process owns the file: SQLite has a single writer, which the in-process gate and
/// <c>BEGIN IMMEDIATE</c> model.
/// </summary>
public sealed class SqliteDatabase : Database
{
    private readonly string connectionString;

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

    /// <summary>The in-process gate of <see cref="Database.BeginWriteAsync"/> already admits one writer.</summary>
    public override Task<IAsyncDisposable?> LockMerchantAsync(string clientId, bool wait, CancellationToken cancellationToken) =>
        Task.FromResult<IAsyncDisposable?>(NoLock.Instance);

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

    /// <summary>SQLite <c>BEGIN IMMEDIATE</c>: takes the write lock now rather than at the first write.</summary>
    protected override async Task<DbTransaction> BeginExclusiveAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // WAL with synchronous=OFF: a committed transaction is in the WAL file, written through to the operating system,
        // so it survives a killed or crashed emulator process (what "nothing lost" is tested against); only a crash of
        // the operating system itself could lose the last commits, which no emulator run needs to survive. Without
        // fsync, commits and checkpoints do not stall the single writer. (A setting of the connection: writers set it.)
        await ExecuteAsync(connection, "PRAGMA synchronous = OFF;", cancellationToken);
        return ((SqliteConnection)connection).BeginTransaction(deferred: false);
    }

    private sealed class NoLock : IAsyncDisposable
    {
        public static readonly NoLock Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
