using System.Collections.Concurrent;
using System.Security.Cryptography;
using Emulator.Persistence;
using Emulator.Protocol;

namespace Emulator.Merchants;

/// <summary>
/// Looks merchants up for the gateway and keeps each one's public key parsed, so that no request pays for a key
/// import (importing costs more than verifying).
/// </summary>
public sealed class MerchantRegistry(MerchantStore store, Database database, ApiCallJournal journal)
{
    private readonly ConcurrentDictionary<string, Entry> cache = new(StringComparer.Ordinal);

    public async Task<(Merchant Merchant, RSA PublicKey)?> FindAsync(string clientId, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(clientId, out var hit) && !database.IsShared)
        {
            return (hit.Merchant, hit.Key);
        }

        // On a shared database another instance may have changed or deleted the merchant: the row is read every time,
        // and the parsed key kept while the row is unchanged.
        var merchant = await store.FindAsync(clientId, cancellationToken);
        if (merchant is null)
        {
            cache.TryRemove(clientId, out _);
            return null;
        }

        if (hit is not null && hit.Merchant == merchant)
        {
            return (hit.Merchant, hit.Key);
        }

        var entry = new Entry(merchant, RsaKeys.ImportPublicKey(merchant.PublicKey));
        cache[clientId] = entry;
        return (entry.Merchant, entry.Key);
    }

    /// <summary>Changes the merchant as <paramref name="change"/> makes of it as stored, in one write (<see cref="MerchantStore.ChangeAsync"/>).</summary>
    public async Task<(Merchant? Stored, Merchant? Now)> ChangeAsync(string clientId, Func<Merchant?, Merchant?> change, CancellationToken cancellationToken)
    {
        // Journal lines still queued of a merchant deleted before are dropped now, not shown to one made again.
        await journal.FlushAsync(cancellationToken);
        var changed = await store.ChangeAsync(clientId, change, cancellationToken);
        cache.TryRemove(clientId, out _);
        return changed;
    }

    public async Task<bool> DeleteAsync(string clientId, CancellationToken cancellationToken)
    {
        // Journal lines still queued would otherwise be written after the delete, and shown to a merchant created again
        // with the same client id.
        await journal.FlushAsync(cancellationToken);
        var deleted = await store.DeleteAsync(clientId, cancellationToken);
        await database.ForgetRunsAsync(clientId, cancellationToken);
        cache.TryRemove(clientId, out _);
        return deleted;
    }

    private sealed record Entry(Merchant Merchant, RSA Key);
}
