namespace Emulator.Domain;

/// <summary>
/// What a change (SPEC §3.2) or an update (SPEC §3.4) asks to change; absent parts keep their value. change always
/// names an amount; update may name none, and may move the next phase's start (<see cref="NextSubscriptionDate"/>).
/// </summary>
public sealed record PlanChange(
    string? Description,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    PeriodRule? PeriodRule,
    Amount? PaymentAmount,
    Amount? OrderAmount,
    Amount? PaymentAmountDifference,
    DateTimeOffset? NextSubscriptionDate = null,
    Proration? Proration = null);

/// <summary>update's <c>prorationSettings</c>: the difference the merchant computed, charged or refunded now.</summary>
public sealed record Proration(string Mode, Amount CustomAmount)
{
    public const string Pay = "IMMEDIATE_PAY_CUSTOM_AMOUNT";
    public const string Refund = "IMMEDIATE_REFUND_CUSTOM_AMOUNT";

    public static IReadOnlyList<string> Modes { get; } = [Pay, Refund];
}
