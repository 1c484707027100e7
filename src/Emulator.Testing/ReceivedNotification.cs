using System.Text.Json.Nodes;

namespace Emulator.Testing;

/// <summary>A notification the kit's inbox received, with its signature checked.</summary>
public sealed record ReceivedNotification(string Path, IReadOnlyDictionary<string, string> Headers, byte[] RawBody, bool SignatureValid)
{
    public JsonObject Json => JsonNode.Parse(RawBody)!.AsObject();

    public string NotificationId => Headers.GetValueOrDefault("emulator-notification-id", "");

    /// <summary><c>notifySubscription</c> or <c>notifyPayment</c>.</summary>
    public string Kind => Path.EndsWith("/payment", StringComparison.Ordinal) ? "notifyPayment" : "notifySubscription";

    public bool IsPayment => Kind == "notifyPayment";

    public string? SubscriptionId => (string?)Json["subscriptionId"];

    /// <summary>1 for the first notification the inbox received, and so on.</summary>
    public int Order { get; init; }

    /// <summary>What the inbox's <see cref="NotificationInbox.Handler"/> threw on this delivery (answered HTTP 500, so the emulator retries it); null when it did not.</summary>
    public Exception? HandlerError { get; init; }
}
