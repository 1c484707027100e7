using System.Collections.Concurrent;
using Emulator.Hosting;
using Emulator.Persistence;
using Microsoft.Extensions.Options;

namespace Emulator.Merchants;

/// <summary>
/// When each merchant was last used (an API call, a control call or dashboard page naming it), kept in memory and
/// written by the retention sweep, so that a call costs no write. Only while <see cref="EmulatorOptions.MerchantRetention"/>
/// is set.
/// </summary>
public sealed class MerchantActivity(IOptions<EmulatorOptions> options, TimeProvider time, MerchantStore store)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> uses = new(StringComparer.Ordinal);

    /// <summary>Whether uses are tracked: only for <see cref="EmulatorOptions.MerchantRetention"/>, which is what they are for.</summary>
    public bool Tracked => options.Value.MerchantRetention is not null;

    public void Used(string clientId)
    {
        if (Tracked)
        {
            // To the millisecond, as stored: the merchant's view shows the same instant before and after the sweep writes it.
            var now = DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
            uses.AddOrUpdate(clientId, now, (_, held) => held > now ? held : now);
        }
    }

    /// <summary>The merchant's latest use this instance holds, not written yet; null when it holds none.</summary>
    public DateTimeOffset? Held(string clientId) => uses.TryGetValue(clientId, out var at) ? at : null;

    /// <summary>Whether a use of the merchant is waiting to be written: one made since the sweep took the uses it wrote.</summary>
    public bool UsedSinceTaken(string clientId) => uses.ContainsKey(clientId);

    /// <summary>
    /// The uses waiting to be written. They are still held (and shown in the merchant's view) until <see cref="Written"/>:
    /// forgotten when taken, a merchant viewed while the sweep writes them would have shown an older use.
    /// </summary>
    public IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> Pending() => [.. uses];

    /// <summary>Forgets the uses <see cref="Pending"/> gave once they are written, but a merchant's later use made meanwhile.</summary>
    public void Written(IEnumerable<KeyValuePair<string, DateTimeOffset>> written)
    {
        foreach (var use in written)
        {
            uses.TryRemove(use);
        }
    }

    /// <summary>
    /// When the merchant was last used, before the call under way: <paramref name="heldBefore"/> (the use this instance
    /// held when the call came, <see cref="MerchantUseFilter.HeldBefore"/>) or the stored one (written by the sweep of
    /// this instance or of another sharing the database, once a minute), whichever is later. Null when uses are not
    /// tracked, or none was recorded yet.
    /// </summary>
    public async Task<DateTimeOffset?> LastUseAsync(string clientId, DateTimeOffset? heldBefore, CancellationToken cancellationToken)
    {
        if (!Tracked)
        {
            // Not counted here: a use stored earlier (retention was on, or is on another instance) would be out of date.
            return null;
        }

        var stored = await store.LastUsedAsync(clientId, cancellationToken);
        return (stored, heldBefore) switch
        {
            ({ } written, { } held) => written > held ? written : held,
            _ => stored ?? heldBefore,
        };
    }
}
