using System.Data.Common;
using ContractTests.Support;
using Emulator.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace ContractTests.Persistence;

/// <summary>
/// The write path every state change goes through (<see cref="Database.WriteAsync{T}"/>): on SQLite, units queued
/// together are committed in one transaction, each in a savepoint. What a caller is told was written must be stored,
/// and a unit that fails must take none of its neighbours down with it. Runs on PostgreSQL too
/// (<c>EMULATOR_TEST_STORAGE=postgres</c>), where each unit is a transaction of its own.
/// </summary>
public sealed class WriteTests
{
    [Fact]
    public async Task UnitsQueuedTogether_OneThrows_OnlyItsWritesAreUndone_AndEveryOtherIsStoredWhenItsTaskCompletes()
    {
        await using var factory = new EmulatorFactory();
        var database = factory.Services.GetRequiredService<Database>();
        await database.WriteAsync(work => ExecuteAsync(work, "CREATE TABLE write_probe (id INTEGER PRIMARY KEY, note TEXT NOT NULL)"), CancellationToken.None);

        // The first unit holds the writer until the others are queued (the calls return once queued), so that they
        // are committed as one group.
        using var holder = await HeldWriter.HoldAsync(database);
        var units = Enumerable.Range(1, 40).Select(i => database.WriteAsync(async work =>
        {
            await ExecuteAsync(work, $"INSERT INTO write_probe (id, note) VALUES ({i}, 'unit')");
            if (i == 17)
            {
                throw new InvalidOperationException("unit 17 fails after its insert");
            }

            return i;
        }, CancellationToken.None)).ToArray();
        units.Should().OnlyContain(u => !u.IsCompleted, "the writer is held");
        await holder.ReleaseAsync();

        var failed = await units[16].Invoking(async u => await u).Should().ThrowAsync<InvalidOperationException>();
        failed.WithMessage("unit 17 fails*");
        foreach (var unit in units.Where((_, i) => i != 16))
        {
            var id = await unit;
            (await CountAsync(database, $"SELECT COUNT(*) FROM write_probe WHERE id = {id}")).Should().Be(1, $"unit {id} completed, so its row is committed");
        }

        (await CountAsync(database, "SELECT COUNT(*) FROM write_probe WHERE id = 17")).Should().Be(0);
        (await CountAsync(database, "SELECT COUNT(*) FROM write_probe")).Should().Be(40, "the holder and 39 of the 40 units");
    }

    [Fact]
    public async Task CallersOfOneGroup_EachWriteAgainOnceTheirFirstWriteIsIn_EverySecondWriteIsStored()
    {
        // On SQLite the leader runs the first callers' continuations itself after the commit, still holding the writer:
        // a write they start there must be queued for its next group, not refused as a write nested in a unit.
        await using var factory = new EmulatorFactory();
        var database = factory.Services.GetRequiredService<Database>();
        await database.WriteAsync(work => ExecuteAsync(work, "CREATE TABLE write_probe (id INTEGER PRIMARY KEY, note TEXT NOT NULL)"), CancellationToken.None);
        using var holder = await HeldWriter.HoldAsync(database);

        async Task<int> TwoWritesAsync(int i)
        {
            await database.WriteAsync(work => ExecuteAsync(work, $"INSERT INTO write_probe (id, note) VALUES ({i}, 'first')"), CancellationToken.None);
            await database.WriteAsync(work => ExecuteAsync(work, $"INSERT INTO write_probe (id, note) VALUES ({1000 + i}, 'second')"), CancellationToken.None);
            return i;
        }

        var callers = Enumerable.Range(1, 40).Select(TwoWritesAsync).ToArray();
        await holder.ReleaseAsync();

        (await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(30))).Should().Equal(Enumerable.Range(1, 40));
        (await CountAsync(database, "SELECT COUNT(*) FROM write_probe WHERE note = 'second'")).Should().Be(40);
    }

    [Fact]
    public async Task UnitThatRollsBack_CommitsNothing_ButStillReadsWhatWasWrittenBeforeIt()
    {
        await using var factory = new EmulatorFactory();
        var database = factory.Services.GetRequiredService<Database>();
        await database.WriteAsync(work => ExecuteAsync(work, "CREATE TABLE write_probe (id INTEGER PRIMARY KEY, note TEXT NOT NULL)"), CancellationToken.None);
        await database.WriteAsync(work => ExecuteAsync(work, "INSERT INTO write_probe (id, note) VALUES (1, 'first')"), CancellationToken.None);

        var seen = await database.WriteAsync(async work =>
        {
            await ExecuteAsync(work, "INSERT INTO write_probe (id, note) VALUES (2, 'undone')");
            await work.RollbackAsync(CancellationToken.None);
            return await ScalarAsync(work.Command("SELECT COUNT(*) FROM write_probe"));
        }, CancellationToken.None);

        seen.Should().Be(1);
        (await CountAsync(database, "SELECT COUNT(*) FROM write_probe")).Should().Be(1);
    }

    [SkippableFact]
    public async Task UnitThatStartsAnotherWrite_Fails_InsteadOfWaitingForItself()
    {
        await using var factory = new EmulatorFactory();
        var database = factory.Services.GetRequiredService<Database>();
        Skip.IfNot(database is SqliteDatabase, "on PostgreSQL each unit is a transaction of its own (a nested write waits for the writer lock)");

        var nested = database.WriteAsync(_ => database.WriteAsync(_ => Task.FromResult(1), CancellationToken.None), CancellationToken.None);

        (await nested.Invoking(async n => await n).Should().ThrowAsync<InvalidOperationException>()).WithMessage("*cannot start another write*");
    }

    /// <summary>A unit that holds the writer (inserting row 0 of <c>write_probe</c>) until released.</summary>
    private sealed class HeldWriter : IDisposable
    {
        private readonly ManualResetEventSlim release = new();
        private Task? holder;

        public static async Task<HeldWriter> HoldAsync(Database database)
        {
            var held = new HeldWriter();
            var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            held.holder = Task.Run(() => database.WriteAsync(work =>
            {
                holding.SetResult();
                held.release.Wait(TimeSpan.FromSeconds(30));
                return ExecuteAsync(work, "INSERT INTO write_probe (id, note) VALUES (0, 'holder')");
            }, CancellationToken.None));
            await holding.Task;
            return held;
        }

        public async Task ReleaseAsync()
        {
            release.Set();
            await holder!;
        }

        public void Dispose() => release.Dispose();
    }

    private static async Task ExecuteAsync(WriteTransaction work, string sql) => await work.Command(sql).ExecuteNonQueryAsync();

    private static async Task<long> ScalarAsync(DbCommand command) =>
        Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<long> CountAsync(Database database, string sql)
    {
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await ScalarAsync(command);
    }
}
