using Emulator.Domain;
using Emulator.Notifications;
using Emulator.Protocol;

namespace Emulator.Api;

/// <summary>inquireSubscription's answer (SPEC §3.6): the subscription as Antom describes it (SPEC §2.9).</summary>
public sealed record InquireSubscriptionResponse(AntomResult Result, SubscriptionInfo? Subscription = null) : AntomResponse(Result);

/// <summary>
/// A subscription as inquireSubscription describes it (SPEC §2.9). Strings, but for the numbers the SDK models parse as
/// numbers (<c>periodCount</c>, <c>currentPhaseNo</c>, SPEC §10); times in the offset of the create's start time. The
/// SDK models declare the description and the period both ways (<c>description</c> beside
/// <c>subscriptionDescription</c>, <c>periodType</c> and <c>periodCount</c> beside <c>periodRule</c>): both are filled.
/// </summary>
public sealed record SubscriptionInfo(
    string SubscriptionId,
    string SubscriptionRequestId,
    string SubscriptionDescription,
    string Description,
    string Status,
    string SubscriptionStartTime,
    string? SubscriptionEndTime,
    string PeriodType,
    int PeriodCount,
    SubscriptionInfo.Period PeriodRule,
    string? CurrentPeriodStart,
    string? CurrentPeriodEnd,
    int? CurrentPhaseNo,
    SubscriptionInfo.Method PaymentMethod,
    Amount PaymentAmount,
    IReadOnlyList<SubscriptionInfo.TrialInfo>? Trials,
    string SubscriptionExpiryTime,
    string LastUpdateTime,
    string? SubscriptionNotifyUrl)
{
    public sealed record TrialInfo(int TrialStartPeriod, int TrialEndPeriod, Amount TrialAmount);

    public sealed record Period(string PeriodType, int PeriodCount);

    public sealed record Method(string PaymentMethodType, string? PaymentMethodId)
    {
        public static Method Of(PaymentMethod method) => new(method.PaymentMethodType, method.PaymentMethodId);
    }

    /// <summary>
    /// What the merchant sees of the subscription at <paramref name="now"/>: the current period is the charged phase
    /// that holds <paramref name="now"/> (or the last one charged; phase 1 of the plan before any charge), none once the
    /// subscription has ended or if it never began (declined, expired).
    /// </summary>
    /// <param name="phases">The phases charged so far.</param>
    /// <param name="lastUpdate">When its state last changed (created, approved, changed, cancelled, ended).</param>
    public static SubscriptionInfo Of(Subscription subscription, IReadOnlyList<Phase> phases, DateTimeOffset now, DateTimeOffset lastUpdate)
    {
        var plan = subscription.Plan;
        var offset = plan.StartTime.Offset;
        string Time(DateTimeOffset t) => NotificationBodies.Time(t, offset);
        (int No, DateTimeOffset Start, DateTimeOffset End)? current = null;
        if (subscription.AuthorizedAt is not null && subscription.Status != SubscriptionStatus.Terminated)
        {
            // The last charged phase that has started. Its record keeps the end its notifyPayment announced; an update's
            // nextSubscriptionDate moves that end (earlier or later, paid or not: LastChargedPhaseEnd, which a cancel
            // serves to), and a phase that starts earlier ends it there.
            if (phases.Where(p => p.PeriodStartTime <= now).MaxBy(p => p.PhaseNo) is { } last)
            {
                var periodEnd = last.PeriodEndTime;
                if (phases.FirstOrDefault(p => p.PhaseNo == last.PhaseNo + 1) is { } following)
                {
                    periodEnd = following.PeriodStartTime < periodEnd ? following.PeriodStartTime : periodEnd;
                }
                else if (last.PhaseNo + 1 == subscription.NextPhaseNo)
                {
                    periodEnd = subscription.LastChargedPhaseEnd
                        ?? (last.Succeeded && subscription.PaidUntil is { } paidUntil ? paidUntil
                            : subscription.PhaseStart(subscription.NextPhaseNo) is var next && next < periodEnd ? next : periodEnd);
                }

                current = (last.PhaseNo, last.PeriodStartTime, periodEnd);
            }
            else
            {
                current = (1, subscription.PhaseStart(1), subscription.PhaseStart(2));
            }
        }

        return new SubscriptionInfo(
            subscription.SubscriptionId,
            subscription.SubscriptionRequestId,
            plan.Description,
            plan.Description,
            subscription.Status.ToWire(),
            Time(plan.StartTime),
            plan.EndTime is { } end ? Time(end) : null,
            plan.PeriodRule.PeriodType,
            plan.PeriodRule.PeriodCount,
            new Period(plan.PeriodRule.PeriodType, plan.PeriodRule.PeriodCount),
            current is { } a ? Time(a.Start) : null,
            current is { } b ? Time(b.End) : null,
            current?.No,
            Method.Of(plan.PaymentMethod),
            plan.PaymentAmount,
            plan.Trials.Count == 0 ? null : [.. plan.Trials.Select(t => new TrialInfo(t.StartPeriod, t.EndPeriod, t.Amount))],
            Time(plan.ExpiryTime),
            Time(lastUpdate),
            plan.SubscriptionNotificationUrl);
    }
}

/// <summary>inquireSubscriptionList's answer (SPEC §3.7): one page of the merchant's subscriptions.</summary>
public sealed record InquireSubscriptionListResponse(AntomResult Result, IReadOnlyList<SubscriptionInfo> Subscriptions, Paginator Paginator) : AntomResponse(Result);
