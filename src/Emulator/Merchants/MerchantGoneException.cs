namespace Emulator.Merchants;

/// <summary>
/// The merchant an API call authenticated as was deleted (and perhaps registered again) before the call's write: the
/// write is undone, so that nothing of the call outlives the merchant, and the call is answered as one of an unknown client.
/// </summary>
public sealed class MerchantGoneException(string clientId)
    : Exception($"merchant {clientId} was deleted while the call was under way")
{
    public string ClientId { get; } = clientId;
}
