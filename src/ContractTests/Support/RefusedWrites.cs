using Emulator.Persistence;

namespace ContractTests.Support;

/// <summary>Makes every write of a merchant's idempotency rows fail, as a database gone away would, until disposed.</summary>
public sealed class RefusedWrites : IAsyncDisposable
{
    private readonly Database database;
    private readonly string trigger;

    private RefusedWrites(Database database, string trigger)
    {
        this.database = database;
        this.trigger = trigger;
    }

    public static async Task<RefusedWrites> OfAsync(Database database, string clientId)
    {
        var trigger = "refuse_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(database, database is SqliteDatabase
            ? $"CREATE TRIGGER {trigger} BEFORE INSERT ON idempotency WHEN NEW.client_id = '{clientId}' BEGIN SELECT RAISE(ABORT, 'storage unavailable'); END"
            : $"""
              CREATE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'storage unavailable'; END $$;
              CREATE TRIGGER {trigger} BEFORE INSERT ON idempotency FOR EACH ROW WHEN (NEW.client_id = '{clientId}') EXECUTE FUNCTION {trigger}();
              """);
        return new RefusedWrites(database, trigger);
    }

    public async ValueTask DisposeAsync() => await ExecuteAsync(database, database is SqliteDatabase
        ? $"DROP TRIGGER {trigger}"
        : $"DROP TRIGGER {trigger} ON idempotency; DROP FUNCTION {trigger}();");

    private static async Task ExecuteAsync(Database database, string sql)
    {
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
