using System.Text.Json.Nodes;

namespace Emulator.Testing;

/// <summary>
/// A notification in the emulator's ledger (what <see cref="EmulatorMerchant.NotificationLedgerAsync"/> returns, read with
/// <see cref="ControlViews.AsNotifications"/>): what was sent, where, and every delivery attempt with the answer it got.
/// <see cref="Status"/> is <c>pending</c> (more attempts to come), <c>acknowledged</c> or <c>exhausted</c> (Antom's
/// retries ran out).
/// </summary>
public sealed record SentNotification(string NotificationId, string Kind, string SubscriptionId, string Url, string Status)
{
    /// <summary>The exact JSON sent (the same body on every attempt).</summary>
    public string Body { get; init; } = "";

    /// <summary>When the next attempt is due on the merchant's clock; null once acknowledged or exhausted.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>
    /// Held by a <c>reorder</c> fault until its subscription's next notification: <c>pending</c> with no
    /// <see cref="NextAttemptAt"/>, it goes out right after that one (or when the subscription ends).
    /// </summary>
    public bool HeldBack { get; init; }

    /// <summary>The attempts made, the first first.</summary>
    public IReadOnlyList<DeliveryAttempt> Attempts { get; init; } = [];

    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();

    public bool IsPayment => Kind == "notifyPayment";

    /// <summary>notifySubscription's <c>subscriptionNotificationType</c>; null for notifyPayment.</summary>
    public string? SubscriptionNotificationType => ControlJson.Text(Json["subscriptionNotificationType"]);

    /// <summary>notifyPayment's <c>phaseNo</c>; null for notifySubscription.</summary>
    public int? PhaseNo => ControlJson.Number(Json["phaseNo"]);

    /// <summary>notifyPayment's <c>result.resultCode</c>; null for notifySubscription.</summary>
    public string? ResultCode => ControlJson.Text(Json["result"]?["resultCode"]);

    public bool Acknowledged => Status == "acknowledged";

    public static SentNotification Read(JsonNode node) =>
        new(
            ControlJson.Text(node["notificationId"]) ?? "",
            ControlJson.Text(node["kind"]) ?? "",
            ControlJson.Text(node["subscriptionId"]) ?? "",
            ControlJson.Text(node["url"]) ?? "",
            ControlJson.Text(node["status"]) ?? "")
        {
            Body = ControlJson.Text(node["body"]) ?? "",
            NextAttemptAt = ControlJson.Time(node["nextAttemptAt"]),
            HeldBack = node["heldBack"] is JsonValue held && held.TryGetValue<bool>(out var isHeld) && isHeld,
            Attempts = [.. ControlJson.Elements(node["attempts"]).Select(DeliveryAttempt.Read)],
        };
}

/// <summary>
/// One delivery attempt: <see cref="Outcome"/> <c>acknowledged</c>, <c>rejected</c> (an answer that is not Antom's
/// acknowledgement), <c>unreachable</c> (<see cref="Error"/> says why) or <c>timeout</c>.
/// </summary>
public sealed record DeliveryAttempt(int Attempt, DateTimeOffset At, string Outcome)
{
    public int? HttpStatus { get; init; }

    /// <summary>The first 2 KiB of what the endpoint answered.</summary>
    public string? ResponseBody { get; init; }

    public string? Error { get; init; }

    /// <summary>Outside Antom's schedule: made by a redeliver call, or the second copy of a <c>duplicate</c> fault.</summary>
    public bool Redelivery { get; init; }

    public static DeliveryAttempt Read(JsonNode node) =>
        new(ControlJson.Number(node["attempt"]) ?? 0, ControlJson.Time(node["at"]) ?? default, ControlJson.Text(node["outcome"]) ?? "")
        {
            HttpStatus = ControlJson.Number(node["httpStatus"]),
            ResponseBody = ControlJson.Text(node["responseBody"]),
            Error = ControlJson.Text(node["error"]),
            Redelivery = node["redelivery"] is JsonValue value && value.TryGetValue<bool>(out var redelivery) && redelivery,
        };
}
