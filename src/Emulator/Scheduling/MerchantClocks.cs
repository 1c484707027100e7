using System.Collections.Concurrent;
using Emulator.Persistence;

namespace Emulator.Scheduling;

/// <summary>
/// One clock per merchant (CONTROL-API.md "Clock"). Every "now" of the emulated API and of the time machine comes from
/// here, and the wall time under it from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class MerchantClocks(Database database, TimeProvider wall, MerchantRuns runs)
{
    private readonly ConcurrentDictionary<string, ClockState> cache = new(StringComparer.Ordinal);

    /// <summary>
    /// The merchant's time: during a run of its time machine, the instant the run has reached (the clock moves to an
    /// advance's target only at its end, and calls made meanwhile, such as a webhook handler's cancel, an inquiry or
    /// the clock's reading, are at the time the run's deductions and notifications are at, not before them).
    /// </summary>
    public async Task<DateTimeOffset> NowAsync(string clientId, CancellationToken cancellationToken)
    {
        var now = await ClockTimeAsync(clientId, cancellationToken);
        return await runs.ReachedByAsync(clientId, cancellationToken) is { } at && at > now ? at : now;
    }

    /// <summary>The merchant's clock itself (wall time plus its offset, or frozen), whatever a run has reached.</summary>
    public async Task<DateTimeOffset> ClockTimeAsync(string clientId, CancellationToken cancellationToken) =>
        (await GetAsync(clientId, cancellationToken)).Now(wall.GetUtcNow());

    public async Task<ClockState> GetAsync(string clientId, CancellationToken cancellationToken)
    {
        // On a shared database another instance may move the clock: read it every time.
        if (!database.IsShared && cache.TryGetValue(clientId, out var cached))
        {
            return cached;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM clocks WHERE client_id = @client";
        command.Bind("@client", clientId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var state = await reader.ReadAsync(cancellationToken) ? Read(reader, 0) : ClockState.Wall;
        return database.IsShared ? state : cache.GetOrAdd(clientId, state);
    }

    public Task<ClockState> FreezeAsync(string clientId, DateTimeOffset at, CancellationToken cancellationToken) =>
        SaveAsync(clientId, new ClockState(TimeSpan.Zero, at), cancellationToken);

    /// <summary>Ticks again from its current reading, <paramref name="rate"/> times as fast as the wall (1: with it).</summary>
    public async Task<ClockState> ResumeAsync(string clientId, long rate, CancellationToken cancellationToken)
    {
        var now = await NowAsync(clientId, cancellationToken);
        return await SaveAsync(clientId, ClockState.Ticking(now, wall.GetUtcNow(), rate), cancellationToken);
    }

    /// <summary>
    /// Moves the clock to <paramref name="to"/>, never back, keeping it frozen or ticking as it was: answers the clock's
    /// time after the call (later than <paramref name="to"/> when it already was, after an advance that went further).
    /// </summary>
    public async Task<DateTimeOffset> MoveForwardAsync(string clientId, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var state = await GetAsync(clientId, cancellationToken);
        var wallNow = wall.GetUtcNow();
        if (state.Now(wallNow) is var now && now >= to)
        {
            return now;
        }

        // An offset between two whole-millisecond instants is whole milliseconds too, so the clock reads exactly `to`
        // (an offset cut on its own would lose up to 1 ms).
        var moved = await SaveAsync(
            clientId,
            state.FrozenAt is not null ? state with { FrozenAt = to } : ClockState.Ticking(to, wallNow, state.Rate),
            cancellationToken);
        return moved.Now(wallNow);
    }

    public void Forget(string clientId) => cache.TryRemove(clientId, out _);

    /// <summary>The columns of a clock's row that <see cref="Read"/> reads, in its order.</summary>
    internal const string Columns = "offset_ms, frozen_at, rate, anchor_ms";

    /// <summary>A clock's row (<see cref="Columns"/>) from column <paramref name="first"/> on.</summary>
    internal static ClockState Read(System.Data.Common.DbDataReader reader, int first)
    {
        DateTimeOffset? At(int i) => reader.IsDBNull(first + i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(first + i));
        return new ClockState(TimeSpan.FromMilliseconds(reader.GetInt64(first)), At(1), reader.GetInt64(first + 2), At(3));
    }

    private async Task<ClockState> SaveAsync(string clientId, ClockState state, CancellationToken cancellationToken)
    {
        // Kept as stored (UTC, whole milliseconds), so that the clock reads the same from this cache, after a restart
        // and from another instance: an offset such as +08:00 would otherwise change where P1M lands.
        state = new ClockState(
            TimeSpan.FromMilliseconds((long)state.Offset.TotalMilliseconds),
            state.FrozenAt is { } frozen ? DateTimeOffset.FromUnixTimeMilliseconds(frozen.ToUnixTimeMilliseconds()) : null,
            state.FrozenAt is null ? state.Rate : 1,
            state.FrozenAt is null && state.Rate != 1 && state.Anchor is { } anchor ? DateTimeOffset.FromUnixTimeMilliseconds(anchor.ToUnixTimeMilliseconds()) : null);
        // Only for a merchant that exists: a call that waited for its turn behind the merchant's delete (an advance
        // queued behind it) must not leave a clock that a merchant made again with that client id would start with.
        var saved = await database.WriteAsync(async work =>
        {
            var command = work.Command("""
                INSERT INTO clocks (client_id, offset_ms, frozen_at, rate, anchor_ms)
                SELECT @client, @offset, @frozen, @rate, @anchor WHERE EXISTS (SELECT 1 FROM merchants WHERE client_id = @client)
                ON CONFLICT (client_id) DO UPDATE SET offset_ms = excluded.offset_ms, frozen_at = excluded.frozen_at,
                    rate = excluded.rate, anchor_ms = excluded.anchor_ms
                """);
            command.Bind("@client", clientId);
            command.Bind("@offset", (long)state.Offset.TotalMilliseconds);
            command.Bind("@frozen", state.FrozenAt?.ToUnixTimeMilliseconds());
            command.Bind("@rate", state.Rate);
            command.Bind("@anchor", state.Anchor?.ToUnixTimeMilliseconds());
            return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
        }, cancellationToken);

        if (saved)
        {
            cache[clientId] = state;
        }
        else
        {
            cache.TryRemove(clientId, out _);
        }

        return state;
    }
}
