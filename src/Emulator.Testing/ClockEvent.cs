using System.Globalization;
using System.Text.Json.Nodes;

namespace Emulator.Testing;

/// <summary>
/// One line of what an advance did (the control API's <c>events</c>), typed: <see cref="Type"/> is
/// <c>deduction</c>, <c>paymentProcessing</c>, <c>stateChanged</c>, <c>notificationAttempt</c> or
/// <c>authorizationExpired</c>; the other members are set for the types that have them, else null.
/// </summary>
public sealed record ClockEvent(DateTimeOffset At, string Type, string? SubscriptionId)
{
    public int? PhaseNo { get; init; }

    /// <summary>A deduction's amount in minor units, as Antom writes it (<c>"19900"</c> for 199.00).</summary>
    public string? AmountValue { get; init; }

    public string? Currency { get; init; }

    public string? ResultCode { get; init; }

    public string? ResultStatus { get; init; }

    public string? PaymentId { get; init; }

    /// <summary>A state change's states (<c>ACTIVE</c>, <c>CANCELLED</c>, …).</summary>
    public string? From { get; init; }

    public string? To { get; init; }

    public string? NotificationId { get; init; }

    /// <summary>A notification attempt's kind: <c>notifySubscription</c> or <c>notifyPayment</c>.</summary>
    public string? Kind { get; init; }

    public int? Attempt { get; init; }

    /// <summary>A notification attempt's outcome: <c>acknowledged</c>, <c>rejected</c>, <c>unreachable</c> or <c>timeout</c>.</summary>
    public string? Outcome { get; init; }

    public int? HttpStatus { get; init; }

    /// <summary>Reads one element of an advance's <c>events</c>.</summary>
    public static ClockEvent Read(JsonNode node)
    {
        var amount = node["amount"];
        return new ClockEvent(DateTimeOffset.Parse((string)node["at"]!, CultureInfo.InvariantCulture), (string)node["type"]!, Text(node["subscriptionId"]))
        {
            PhaseNo = Number(node["phaseNo"]),
            AmountValue = Text(amount?["value"]),
            Currency = Text(amount?["currency"]),
            ResultCode = Text(node["resultCode"]),
            ResultStatus = Text(node["resultStatus"]),
            PaymentId = Text(node["paymentId"]),
            From = Text(node["from"]),
            To = Text(node["to"]),
            NotificationId = Text(node["notificationId"]),
            Kind = Text(node["kind"]),
            Attempt = Number(node["attempt"]),
            Outcome = Text(node["outcome"]),
            HttpStatus = Number(node["httpStatus"]),
        };
    }

    // Numbers may come as strings (Emulator:NumbersAsStrings writes them so); either reads the same.
    internal static string? Text(JsonNode? node) => node is JsonValue value ? value.ToString() : null;

    internal static int? Number(JsonNode? node) =>
        Text(node) is { } text && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : null;
}
