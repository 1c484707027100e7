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
        return new ClockEvent(DateTimeOffset.Parse((string)node["at"]!, CultureInfo.InvariantCulture), (string)node["type"]!, ControlJson.Text(node["subscriptionId"]))
        {
            PhaseNo = ControlJson.Number(node["phaseNo"]),
            AmountValue = ControlJson.Text(amount?["value"]),
            Currency = ControlJson.Text(amount?["currency"]),
            ResultCode = ControlJson.Text(node["resultCode"]),
            ResultStatus = ControlJson.Text(node["resultStatus"]),
            PaymentId = ControlJson.Text(node["paymentId"]),
            From = ControlJson.Text(node["from"]),
            To = ControlJson.Text(node["to"]),
            NotificationId = ControlJson.Text(node["notificationId"]),
            Kind = ControlJson.Text(node["kind"]),
            Attempt = ControlJson.Number(node["attempt"]),
            Outcome = ControlJson.Text(node["outcome"]),
            HttpStatus = ControlJson.Number(node["httpStatus"]),
        };
    }

    internal static int? Number(JsonNode? node) =>
        ControlJson.Text(node) is { } text && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : null;
}
