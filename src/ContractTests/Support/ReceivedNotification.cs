using System.Text.Json.Nodes;

namespace ContractTests.Support;

/// <summary>One request the test receiver got, with its signature checked independently.</summary>
public sealed record ReceivedNotification(
    int Order,
    string Path,
    IReadOnlyDictionary<string, string> Headers,
    byte[] RawBody,
    bool SignatureValid)
{
    public JsonObject Json => JsonNode.Parse(RawBody)!.AsObject();

    public string NotificationId => Headers.GetValueOrDefault("emulator-notification-id", "");

    public bool IsPayment => Path.EndsWith("/payment", StringComparison.Ordinal);

    public string? SubscriptionId => (string?)Json["subscriptionId"];
}
