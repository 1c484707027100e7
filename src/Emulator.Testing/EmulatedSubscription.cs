using System.Text.Json.Nodes;

namespace Emulator.Testing;

/// <summary>
/// A subscription as the emulator holds it (the control API's view; what <see cref="EmulatorMerchant.SubscriptionAsync"/>
/// and <see cref="EmulatorMerchant.ApproveAsync"/> return, read with <see cref="ControlViews.AsSubscription"/>): its
/// state, plan, the phases charged (or failed, or under way) and the refunds of their payments. Amounts are in minor
/// units, as Antom writes them (<c>"19900"</c> for 199.00 PHP).
/// </summary>
public sealed record EmulatedSubscription(string SubscriptionId, string SubscriptionRequestId, string Status)
{
    public string? Description { get; init; }

    /// <summary><c>DAY</c>, <c>WEEK</c>, <c>MONTH</c> or <c>YEAR</c>.</summary>
    public string? PeriodType { get; init; }

    public int? PeriodCount { get; init; }

    /// <summary>The plan's amount per period, in minor units.</summary>
    public string? AmountValue { get; init; }

    public string? Currency { get; init; }

    public DateTimeOffset? StartTime { get; init; }

    /// <summary>Null when it renews until cancelled.</summary>
    public DateTimeOffset? EndTime { get; init; }

    /// <summary><c>CANCEL</c> or <c>TERMINATE</c> once cancelled; null before.</summary>
    public string? CancellationType { get; init; }

    /// <summary>Where the service paid for ends (a <c>CANCEL</c>led subscription serves until then); null before any payment.</summary>
    public DateTimeOffset? PaidUntil { get; init; }

    /// <summary>The periods deducted, phase 1 first.</summary>
    public IReadOnlyList<EmulatedPhase> Phases { get; init; } = [];

    /// <summary>The refunds of its payments, oldest first.</summary>
    public IReadOnlyList<EmulatedRefund> Refunds { get; init; } = [];

    /// <summary>The phase numbered <paramref name="phaseNo"/>, or null when it has not been deducted.</summary>
    public EmulatedPhase? Phase(int phaseNo) => Phases.FirstOrDefault(p => p.PhaseNo == phaseNo);

    /// <summary>Reads the control API's JSON of one subscription.</summary>
    public static EmulatedSubscription Read(JsonNode node)
    {
        var amount = node["paymentAmount"];
        return new EmulatedSubscription(ControlJson.Text(node["subscriptionId"]) ?? "", ControlJson.Text(node["subscriptionRequestId"]) ?? "", ControlJson.Text(node["status"]) ?? "")
        {
            Description = ControlJson.Text(node["description"]),
            PeriodType = ControlJson.Text(node["periodRule"]?["periodType"]),
            PeriodCount = ControlJson.Number(node["periodRule"]?["periodCount"]),
            AmountValue = ControlJson.Text(amount?["value"]),
            Currency = ControlJson.Text(amount?["currency"]),
            StartTime = ControlJson.Time(node["subscriptionStartTime"]),
            EndTime = ControlJson.Time(node["subscriptionEndTime"]),
            CancellationType = ControlJson.Text(node["cancellationType"]),
            PaidUntil = ControlJson.Time(node["paidUntil"]),
            Phases = [.. ControlJson.Elements(node["phases"]).Select(EmulatedPhase.Read)],
            Refunds = [.. ControlJson.Elements(node["refunds"]).Select(EmulatedRefund.Read)],
        };
    }
}

/// <summary>
/// One period's deduction: <see cref="ResultStatus"/> <c>S</c> (paid: <see cref="PaymentId"/> is what a refund names),
/// <c>F</c> (failed, <see cref="ResultCode"/> says why) or <c>U</c> (under way: a deduction fault left it processing).
/// </summary>
public sealed record EmulatedPhase(int PhaseNo, DateTimeOffset PeriodStartTime, DateTimeOffset PeriodEndTime, string AmountValue, string Currency, string PaymentId)
{
    public string ResultStatus { get; init; } = "";

    public string ResultCode { get; init; } = "";

    /// <summary>When the money was taken; null for a failed payment and one under way.</summary>
    public DateTimeOffset? PaymentTime { get; init; }

    public bool Succeeded => ResultStatus == "S";

    public static EmulatedPhase Read(JsonNode node) =>
        new(
            ControlJson.Number(node["phaseNo"]) ?? 0,
            ControlJson.Time(node["periodStartTime"]) ?? default,
            ControlJson.Time(node["periodEndTime"]) ?? default,
            ControlJson.Text(node["amount"]?["value"]) ?? "",
            ControlJson.Text(node["amount"]?["currency"]) ?? "",
            ControlJson.Text(node["paymentId"]) ?? "")
        {
            ResultStatus = ControlJson.Text(node["resultStatus"]) ?? "",
            ResultCode = ControlJson.Text(node["resultCode"]) ?? "",
            PaymentTime = ControlJson.Time(node["paymentTime"]),
        };
}

/// <summary>A refund of one of the subscription's payments: <see cref="Status"/> <c>SUCCESS</c>, <c>PROCESSING</c> or <c>FAIL</c>.</summary>
public sealed record EmulatedRefund(string RefundId, string RefundRequestId, string PaymentId, int PhaseNo, string AmountValue, string Currency, string Status)
{
    /// <summary>When the refund was taken.</summary>
    public DateTimeOffset RefundTime { get; init; }

    public static EmulatedRefund Read(JsonNode node) =>
        new(
            ControlJson.Text(node["refundId"]) ?? "",
            ControlJson.Text(node["refundRequestId"]) ?? "",
            ControlJson.Text(node["paymentId"]) ?? "",
            ControlJson.Number(node["phaseNo"]) ?? 0,
            ControlJson.Text(node["amount"]?["value"]) ?? "",
            ControlJson.Text(node["amount"]?["currency"]) ?? "",
            ControlJson.Text(node["status"]) ?? "")
        {
            RefundTime = ControlJson.Time(node["refundTime"]) ?? default,
        };
}
