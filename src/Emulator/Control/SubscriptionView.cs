using Emulator.Domain;

namespace Emulator.Control;

/// <summary>A subscription as the control API shows it (CONTROL-API.md "Subscriptions").</summary>
public sealed record SubscriptionView(
    string SubscriptionId,
    string SubscriptionRequestId,
    string Status,
    string Description,
    PeriodRule PeriodRule,
    Amount PaymentAmount,
    IReadOnlyList<Trial> Trials,
    DateTimeOffset SubscriptionStartTime,
    DateTimeOffset? SubscriptionEndTime,
    DateTimeOffset SubscriptionExpiryTime,
    string PaymentMethodType,
    string SubscriptionNotificationUrl,
    string PaymentNotificationUrl,
    DateTimeOffset CreatedAt,
    DateTimeOffset? AuthorizedAt,
    string? CancellationType,
    DateTimeOffset? PaidUntil,
    IReadOnlyList<Phase> Phases,
    IReadOnlyList<Refund> Refunds,
    IReadOnlyList<TimelineEntry> Timeline)
{
    public static SubscriptionView From(Subscription s, IReadOnlyList<Phase> phases, IReadOnlyList<Refund> refunds, IReadOnlyList<TimelineEntry> timeline) => new(
        s.SubscriptionId,
        s.SubscriptionRequestId,
        s.Status.ToWire(),
        s.Plan.Description,
        s.Plan.PeriodRule,
        s.Plan.PaymentAmount,
        s.Plan.Trials,
        s.Plan.StartTime,
        s.Plan.EndTime,
        s.Plan.ExpiryTime,
        s.Plan.PaymentMethod.PaymentMethodType,
        s.Plan.SubscriptionNotificationUrl,
        s.Plan.PaymentNotificationUrl,
        s.CreatedAt,
        s.AuthorizedAt,
        s.CancellationType,
        s.PaidUntil,
        phases,
        refunds,
        timeline);
}
