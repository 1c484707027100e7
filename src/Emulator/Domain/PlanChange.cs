namespace Emulator.Domain;

/// <summary>What a change request asks to change (SPEC §3.2); absent parts keep their value.</summary>
public sealed record PlanChange(
    string? Description,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    PeriodRule? PeriodRule,
    Amount PaymentAmount,
    Amount? OrderAmount,
    Amount? PaymentAmountDifference);
