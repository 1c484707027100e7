using System.Text.Json.Nodes;

namespace Emulator.Testing;

/// <summary>
/// A notification the kit's inbox received, with its signature checked. <paramref name="Path"/> is the request target
/// it came to: path and query, escaped as sent (<c>/antom/caf%C3%A9/payment?tenant=acme</c>), which the signature covers.
/// </summary>
public sealed record ReceivedNotification(string Path, IReadOnlyDictionary<string, string> Headers, byte[] RawBody, bool SignatureValid)
{
    public JsonObject Json => JsonNode.Parse(RawBody)!.AsObject();

    public string NotificationId => Headers.GetValueOrDefault("emulator-notification-id", "");

    /// <summary><c>notifySubscription</c> or <c>notifyPayment</c> (sent to a URL whose path ends in <c>/payment</c>, whatever its query).</summary>
    public string Kind => Path.Split('?', 2)[0].EndsWith("/payment", StringComparison.Ordinal) ? "notifyPayment" : "notifySubscription";

    public bool IsPayment => Kind == "notifyPayment";

    public string? SubscriptionId => (string?)Json["subscriptionId"];

    /// <summary>notifySubscription's <c>subscriptionNotificationType</c> (<c>CREATE</c>, <c>CHANGE</c>, <c>UPDATE</c>, <c>CANCEL</c>, <c>TERMINATE</c>); null for notifyPayment.</summary>
    public string? SubscriptionNotificationType => ControlJson.Text(Json["subscriptionNotificationType"]);

    /// <summary>notifySubscription's <c>subscriptionStatus</c> (<c>ACTIVE</c>, <c>TERMINATED</c>); null for notifyPayment.</summary>
    public string? SubscriptionStatus => ControlJson.Text(Json["subscriptionStatus"]);

    /// <summary>notifyPayment's <c>paymentId</c> (what a refund names); null for notifySubscription.</summary>
    public string? PaymentId => ControlJson.Text(Json["paymentId"]);

    /// <summary>notifyPayment's <c>phaseNo</c> (1 for the first period; Antom sends it as a string); null for notifySubscription.</summary>
    public int? PhaseNo => ControlJson.Number(Json["phaseNo"]);

    /// <summary>notifyPayment's <c>result.resultCode</c> (<c>SUCCESS</c>, or why the period's payment failed); null for notifySubscription.</summary>
    public string? ResultCode => ControlJson.Text(Json["result"]?["resultCode"]);

    /// <summary>notifyPayment's <c>paymentAmount.value</c>, in minor units (<c>"19900"</c> for 199.00); null for notifySubscription.</summary>
    public string? AmountValue => ControlJson.Text(Json["paymentAmount"]?["value"]);

    /// <summary>1 for the first notification the inbox received, and so on.</summary>
    public int Order { get; init; }

    /// <summary>
    /// How a wait that timed out names it: its kind and what it says (<c>notifySubscription CREATE/ACTIVE</c>,
    /// <c>notifyPayment phase 2 USER_BALANCE_NOT_ENOUGH</c>), so that a test sees which one came instead of the one awaited.
    /// </summary>
    internal string Summary
    {
        get
        {
            try
            {
                var json = Json;
                return IsPayment
                    ? $"notifyPayment phase {json["phaseNo"]} {json["result"]?["resultCode"]}"
                    : $"notifySubscription {json["subscriptionNotificationType"]}/{json["subscriptionStatus"]}";
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
            {
                // Not a notification's JSON (a stray POST to the inbox): its path is all there is to say.
                return Path;
            }
        }
    }

    /// <summary>What the inbox's <see cref="NotificationInbox.Handler"/> threw on this delivery (answered HTTP 500, so the emulator retries it); null when it did not.</summary>
    public Exception? HandlerError { get; init; }
}
