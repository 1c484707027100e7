using System.Data.Common;
using Emulator.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Emulator.Persistence;

/// <summary>
/// The embedded SQLite database in the data directory, the default. The schema is created and migrated at start, one
/// step per <c>user_version</c>. One process owns the file: SQLite has a single writer, which the in-process gate and
/// <c>BEGIN IMMEDIATE</c> model.
/// </summary>
public sealed class SqliteDatabase : Database
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE merchants (
            client_id TEXT PRIMARY KEY,
            doc TEXT NOT NULL);
        CREATE TABLE subscriptions (
            subscription_id TEXT PRIMARY KEY,
            client_id TEXT NOT NULL,
            subscription_request_id TEXT NOT NULL,
            authorization_token TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            created_at TEXT NOT NULL,
            doc TEXT NOT NULL);
        CREATE UNIQUE INDEX ix_subscriptions_request ON subscriptions (client_id, subscription_request_id);
        CREATE TABLE idempotency (
            client_id TEXT NOT NULL,
            api TEXT NOT NULL,
            request_id TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            response TEXT NOT NULL,
            PRIMARY KEY (client_id, api, request_id));
        """,
        """
        ALTER TABLE subscriptions ADD COLUMN next_event_at INTEGER;
        CREATE INDEX ix_subscriptions_due ON subscriptions (client_id, next_event_at);
        CREATE TABLE phases (
            subscription_id TEXT NOT NULL,
            phase_no INTEGER NOT NULL,
            client_id TEXT NOT NULL,
            payment_id TEXT NOT NULL UNIQUE,
            doc TEXT NOT NULL,
            PRIMARY KEY (subscription_id, phase_no));
        CREATE TABLE notifications (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            notification_id TEXT NOT NULL UNIQUE,
            client_id TEXT NOT NULL,
            subscription_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            url TEXT NOT NULL,
            body TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            next_attempt_at INTEGER,
            attempt_count INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX ix_notifications_due ON notifications (client_id, status, next_attempt_at);
        CREATE INDEX ix_notifications_subscription ON notifications (subscription_id, seq);
        CREATE TABLE notification_attempts (
            notification_id TEXT NOT NULL,
            attempt_no INTEGER NOT NULL,
            at INTEGER NOT NULL,
            http_status INTEGER,
            response_body TEXT,
            outcome TEXT NOT NULL,
            error TEXT,
            redelivery INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (notification_id, attempt_no));
        CREATE TABLE clocks (
            client_id TEXT PRIMARY KEY,
            offset_ms INTEGER NOT NULL,
            frozen_at INTEGER);
        """,
        """
        CREATE TABLE timeline (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            subscription_id TEXT NOT NULL,
            at INTEGER NOT NULL,
            type TEXT NOT NULL,
            detail TEXT NOT NULL);
        CREATE INDEX ix_timeline_subscription ON timeline (subscription_id, seq);
        """,
        """
        CREATE TABLE faults (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            fault_id TEXT NOT NULL UNIQUE,
            client_id TEXT NOT NULL,
            target TEXT NOT NULL,
            doc TEXT NOT NULL,
            skip_left INTEGER NOT NULL,
            times_left INTEGER);
        CREATE INDEX ix_faults_target ON faults (client_id, target, seq);
        ALTER TABLE notifications ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
        """,
        """
        CREATE TABLE api_calls (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            client_id TEXT NOT NULL,
            at INTEGER NOT NULL,
            api TEXT NOT NULL,
            request_id TEXT,
            subscription_id TEXT,
            result_code TEXT NOT NULL,
            result_status TEXT NOT NULL,
            result_message TEXT,
            body_hash TEXT);
        CREATE INDEX ix_api_calls_client ON api_calls (client_id, seq);
        """,
        """
        ALTER TABLE faults ADD COLUMN evaluated INTEGER NOT NULL DEFAULT 0;
        """,
    ];

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
        for (var step = version; step < Migrations.Length; step++)
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            await ExecuteAsync(connection, Migrations[step], cancellationToken);
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
