using System.Collections.Concurrent;
using System.Security.Cryptography;
using Emulator.Persistence;
using Emulator.Protocol;

namespace Emulator.Merchants;

/// <summary>
/// Looks merchants up for the gateway and keeps each one's public key parsed, so that no request pays for a key
/// import (importing costs more than verifying).
/// </summary>
public sealed class MerchantRegistry(MerchantStore store)
{
    private readonly ConcurrentDictionary<string, Entry> cache = new(StringComparer.Ordinal);

    public async Task<(Merchant Merchant, RSA PublicKey)?> FindAsync(string clientId, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(clientId, out var hit))
        {
            return (hit.Merchant, hit.Key);
        }

        var merchant = await store.FindAsync(clientId, cancellationToken);
        if (merchant is null)
        {
            return null;
        }

        var entry = cache.GetOrAdd(clientId, _ => new Entry(merchant, RsaKeys.ImportPublicKey(merchant.PublicKey)));
        return (entry.Merchant, entry.Key);
    }

    public async Task<Merchant> SaveAsync(Merchant merchant, CancellationToken cancellationToken)
    {
        await store.UpsertAsync(merchant, cancellationToken);
        cache.TryRemove(merchant.ClientId, out _);
        return merchant;
    }

    public async Task<bool> DeleteAsync(string clientId, CancellationToken cancellationToken)
    {
        var deleted = await store.DeleteAsync(clientId, cancellationToken);
        cache.TryRemove(clientId, out _);
        return deleted;
    }

    private sealed record Entry(Merchant Merchant, RSA Key);
}
