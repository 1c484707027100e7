using System.Collections.Concurrent;
using Emulator.Hosting;
using Microsoft.Extensions.Options;

namespace Emulator.Merchants;

/// <summary>
/// When each merchant was last used (an API call, a control call or dashboard page naming it), kept in memory and
/// written by the retention sweep, so that a call costs no write. Only while <see cref="EmulatorOptions.MerchantRetention"/>
/// is set.
/// </summary>
public sealed class MerchantActivity(IOptions<EmulatorOptions> options, TimeProvider time)
{
    private ConcurrentDictionary<string, DateTimeOffset> uses = new(StringComparer.Ordinal);

    public void Used(string clientId)
    {
        if (options.Value.MerchantRetention is not null)
        {
            uses[clientId] = time.GetUtcNow();
        }
    }

    /// <summary>Whether a use of the merchant is waiting to be written.</summary>
    public bool UsedSinceTaken(string clientId) => uses.ContainsKey(clientId);

    /// <summary>The uses since the last call, which are then forgotten here.</summary>
    public IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> Take() =>
        [.. Interlocked.Exchange(ref uses, new ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal))];
}
