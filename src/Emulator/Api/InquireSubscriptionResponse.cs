using Emulator.Domain;
using Emulator.Notifications;
using Emulator.Protocol;

namespace Emulator.Api;

/// <summary>inquireSubscription's answer (SPEC §3.6): the subscription as Antom describes it (SPEC §2.9).</summary>
public sealed record InquireSubscriptionResponse(AntomResult Result, SubscriptionInfo? Subscription = null) : AntomResponse(Result);

/// <summary>
/// A subscription as inquireSubscription describes it (SPEC §2.9). Strings, but for the numbers the SDK models parse as
/// numbers (<c>periodCount</c>, <c>currentPhaseNo</c>, SPEC §10); times in the offset of the create's start time.
/// </summary>
public sealed record SubscriptionInfo(
    string SubscriptionId,
    string SubscriptionRequestId,
    string SubscriptionDescription,
    string Status,
    string SubscriptionStartTime,
    string? SubscriptionEndTime,
    SubscriptionInfo.Period PeriodRule,
    string? CurrentPeriodStart,
    string? CurrentPeriodEnd,
    int? CurrentPhaseNo,
    SubscriptionInfo.Method PaymentMethod,
    Amount PaymentAmount,
    string LastUpdateTime)
{
    public sealed record Period(string PeriodType, int PeriodCount);

    public sealed record Method(string PaymentMethodType, string? PaymentMethodId);

    /// <summary>
    /// What the merchant sees of the subscription at <paramref name="now"/>: the current period is the one that holds
    /// <paramref name="now"/> (the first one before the start), none once the subscription has ended or if it never
    /// began (declined, expired).
    /// </summary>
    /// <param name="lastUpdate">When its timeline last moved (a change, a cancel, a deduction).</param>
    public static SubscriptionInfo Of(Subscription subscription, DateTimeOffset now, DateTimeOffset lastUpdate)
    {
        var plan = subscription.Plan;
        var offset = plan.StartTime.Offset;
        string Time(DateTimeOffset t) => NotificationBodies.Time(t, offset);
        int? current = null;
        if (subscription.AuthorizedAt is not null && subscription.Status != SubscriptionStatus.Terminated)
        {
            current = 1;
            while (subscription.PhaseStart(current.Value + 1) <= now)
            {
                current++;
            }
        }

        return new SubscriptionInfo(
            subscription.SubscriptionId,
            subscription.SubscriptionRequestId,
            plan.Description,
            subscription.Status.ToWire(),
            Time(plan.StartTime),
            plan.EndTime is { } end ? Time(end) : null,
            new Period(plan.PeriodRule.PeriodType, plan.PeriodRule.PeriodCount),
            current is { } k ? Time(subscription.PhaseStart(k)) : null,
            current is { } n ? Time(subscription.PhaseStart(n + 1)) : null,
            current,
            new Method(plan.PaymentMethod.PaymentMethodType, plan.PaymentMethod.PaymentMethodId),
            plan.PaymentAmount,
            Time(lastUpdate));
    }
}
