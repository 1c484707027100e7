using System.Text.Json.Serialization;
using Stateless;
using Stateless.Graph;

namespace Emulator.Domain;

/// <summary>
/// The subscription aggregate. Its lifecycle is a Stateless machine with external state storage (the
/// <see cref="Status"/> property the store persists); callers use intent methods, never triggers. An intent that the
/// state does not allow is refused with a reason naming the state (SPEC §4.2, §10). What the outside must hear of
/// collects in <see cref="Events"/> for the service to turn into outbox rows in the same transaction.
/// </summary>
public sealed class Subscription
{
    private enum Trigger
    {
        Approve,
        Decline,
        ExpireAuthorization,
        Change,
        Update,
        Cancel,
        Terminate,
        ReachEndTime,
        EndServedPeriod,
    }

    [JsonConstructor]
    public Subscription(
        string subscriptionId,
        string clientId,
        string subscriptionRequestId,
        string authorizationToken,
        DateTimeOffset createdAt,
        SubscriptionPlan plan,
        SubscriptionStatus status)
    {
        SubscriptionId = subscriptionId;
        ClientId = clientId;
        SubscriptionRequestId = subscriptionRequestId;
        AuthorizationToken = authorizationToken;
        CreatedAt = createdAt;
        Plan = plan;
        Status = status;
        AnchorTime = plan?.StartTime ?? default;
    }

    public string SubscriptionId { get; }

    public string ClientId { get; }

    public string SubscriptionRequestId { get; }

    /// <summary>The opaque part of the authorization page URL (<c>normalUrl</c>).</summary>
    public string AuthorizationToken { get; }

    public DateTimeOffset CreatedAt { get; }

    [JsonInclude]
    public SubscriptionPlan Plan { get; private set; }

    [JsonInclude]
    public SubscriptionStatus Status { get; private set; }

    [JsonInclude]
    public DateTimeOffset? AuthorizedAt { get; private set; }

    /// <summary><c>CANCEL</c> or <c>TERMINATE</c> once a cancel request was accepted.</summary>
    [JsonInclude]
    public string? CancellationType { get; private set; }

    [JsonInclude]
    public DateTimeOffset? CancelledAt { get; private set; }

    [JsonInclude]
    public DateTimeOffset? EndedAt { get; private set; }

    /// <summary>
    /// Charged for the next phase instead of the plan amount after a change (SPEC §10 change), unless an update brings
    /// another amount or period rule for that phase first.
    /// </summary>
    [JsonInclude]
    public Amount? NextPhaseAmountOverride { get; private set; }

    /// <summary>The number of the next phase to deduct.</summary>
    [JsonInclude]
    public int NextPhaseNo { get; private set; } = 1;

    /// <summary>Phase <see cref="AnchorPhaseNo"/> starts at <see cref="AnchorTime"/>; later ones follow by the period rule.</summary>
    [JsonInclude]
    public DateTimeOffset AnchorTime { get; private set; }

    [JsonInclude]
    public int AnchorPhaseNo { get; private set; } = 1;

    /// <summary>End of the last phase paid (deducted with success): a cancelled subscription serves at least until then.</summary>
    [JsonInclude]
    public DateTimeOffset? PaidUntil { get; private set; }

    /// <summary>
    /// Where the last charged phase started, as charged: a later change of the period rule re-anchors the phases after
    /// it, and counting back from the new anchor would put it elsewhere. Null in documents of earlier versions.
    /// </summary>
    [JsonInclude]
    public DateTimeOffset? LastPhaseStart { get; private set; }

    /// <summary>
    /// Where the last charged phase ends, paid or not: as charged, or where an update's <c>nextSubscriptionDate</c> moved
    /// it (a change's new start leaves it: the days between are not served). Null in documents of earlier versions.
    /// </summary>
    [JsonInclude]
    public DateTimeOffset? LastPhaseEnd { get; private set; }

    /// <summary>
    /// The period's payment under way, when a deduction fault left it processing (docs/faults.md "effect"): its phase is
    /// charged (the next one is the phase after) but not done, and nothing else of the subscription is due until it settles.
    /// </summary>
    [JsonInclude]
    public Phase? PaymentUnderWay { get; private set; }

    /// <summary>When <see cref="PaymentUnderWay"/> succeeds by itself (merchant clock); null: only when a test settles it.</summary>
    [JsonInclude]
    public DateTimeOffset? PaymentSettlesAt { get; private set; }

    /// <summary>When the last payment under way settled: nothing that fell due while it was under way is done before then.</summary>
    [JsonInclude]
    public DateTimeOffset? PaymentSettledAt { get; private set; }

    /// <summary>When the last change was made: nothing it moved is due before it (the clock never reads backwards).</summary>
    [JsonInclude]
    public DateTimeOffset? ChangedAt { get; private set; }

    /// <summary>The start time the create asked for, kept here once a change moves the plan's start.</summary>
    [JsonInclude]
    public DateTimeOffset? StartTimeBeforeChanges { get; private set; }

    /// <summary>The start time the create asked for, whatever changes came after: what inquireSubscriptionList filters on (SPEC §3.7).</summary>
    [JsonIgnore]
    public DateTimeOffset InitialStartTime => StartTimeBeforeChanges ?? Plan.StartTime;

    /// <summary>Timeline entries of this unit of work; the store appends them to the subscription's timeline.</summary>
    [JsonIgnore]
    public List<TimelineEntry> Timeline { get; } = [];

    /// <summary>What happened in this unit of work; not stored.</summary>
    [JsonIgnore]
    public List<SubscriptionEvent> Events { get; } = [];

    public static Subscription Create(string subscriptionId, string clientId, string requestId, string authorizationToken, SubscriptionPlan plan, DateTimeOffset now)
    {
        var subscription = new Subscription(subscriptionId, clientId, requestId, authorizationToken, now, plan, SubscriptionStatus.AwaitingAuthorization);
        subscription.Timeline.Add(new TimelineEntry(now, "stateChanged", "created, AWAITING_AUTHORIZATION until " + plan.ExpiryTime.ToOffset(plan.StartTime.Offset).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture)));
        return subscription;
    }

    /// <summary>True when the request ended because the buyer let the authorization window pass.</summary>
    [JsonIgnore]
    public bool AuthorizationExpired => Status == SubscriptionStatus.Terminated && AuthorizedAt is null && CancellationType is null && EndedAt == Plan.ExpiryTime;

    /// <summary>The buyer approves on the authorization page (or through the control API).</summary>
    public Outcome Approve(DateTimeOffset now)
    {
        if (ExpireIfDue(now) || AuthorizationExpired)
        {
            return Outcome.Refused($"the authorization window closed at {Plan.ExpiryTime:O}");
        }

        var outcome = Fire(Trigger.Approve, now, "approve");
        if (outcome.Changed)
        {
            AuthorizedAt = now;
            Events.Add(new SubscriptionNotice(now, "CREATE", "ACTIVE"));
        }

        return outcome;
    }

    public Outcome Decline(DateTimeOffset now)
    {
        if (ExpireIfDue(now) || AuthorizationExpired)
        {
            return Outcome.Refused($"the authorization window closed at {Plan.ExpiryTime:O}");
        }

        var outcome = Fire(Trigger.Decline, now, "decline");
        if (outcome.Changed)
        {
            Events.Add(new SubscriptionNotice(now, "CREATE", "TERMINATED"));
        }

        return outcome;
    }

    /// <summary>
    /// The buyer did not act before <c>subscriptionExpiryTime</c>: the request ends with notifySubscription
    /// CREATE/TERMINATED (SPEC §10). True when this call ended it.
    /// </summary>
    public bool ExpireIfDue(DateTimeOffset now)
    {
        if (Status != SubscriptionStatus.AwaitingAuthorization || now < Plan.ExpiryTime)
        {
            return false;
        }

        Events.Add(new AuthorizationExpired(Plan.ExpiryTime));
        Fire(Trigger.ExpireAuthorization, Plan.ExpiryTime, "expire the authorization of");
        Events.Add(new SubscriptionNotice(Plan.ExpiryTime, "CREATE", "TERMINATED"));
        return true;
    }

    /// <summary>
    /// change (SPEC §10): only while ACTIVE. The new amount applies from the next phase; a new period rule or start
    /// time re-anchors the phases that are not deducted yet.
    /// </summary>
    /// <remarks>
    /// Refused while a period's payment is under way, as update is (SPEC §3.4): a change could re-plan a phase whose money
    /// is in flight. Antom's change page lists no code for it (SPEC §3.14), so it is <c>PROCESS_FAIL</c>, saying why.
    /// </remarks>
    public Outcome Change(PlanChange change, DateTimeOffset now) =>
        RefusedWhilePaymentUnderWay(now, "change", "subscriptionChangeRequestId", resultCode: null)
        ?? Modify(change, now, Trigger.Change, "change", "CHANGE");

    /// <summary>
    /// update (SPEC §3.4, docs/emulation.md "update"): only while ACTIVE, in force at once for what is not charged yet, as change.
    /// <c>nextSubscriptionDate</c> moves the start of the next phase not charged (ending the last charged phase early,
    /// or later): at least the deduction lead after now, since that phase is charged a lead time before it starts, and
    /// within one period of the date it had. A proration is recorded in the timeline; the emulator moves no money for it.
    /// </summary>
    public Outcome Update(PlanChange update, TimeSpan deductionLead, DateTimeOffset now)
    {
        // SPEC §3.4: Antom refuses an update while a deduction runs; here one runs only when a fault left it processing.
        if (RefusedWhilePaymentUnderWay(now, "update", "subscriptionUpdateRequestId", "UPDATE_FORBIDDEN_DURING_PAYMENT") is { } refused)
        {
            return refused;
        }

        // Only an ACTIVE subscription is checked here; Modify expires a request whose authorization window closed.
        if (Status == SubscriptionStatus.Active && update.NextSubscriptionDate is { } next)
        {
            var scheduled = PhaseStart(NextPhaseNo);
            if ((update.EndTime ?? Plan.EndTime) is { } end && next >= end)
            {
                return Outcome.Refused($"nextSubscriptionDate {next:O} is at or after the subscription's end ({end:O}): no phase starts there");
            }

            if (PaidPhaseNotStarted(now) is var (paidNo, paidStart) && next < scheduled)
            {
                // Phase k+1 charged within its lead time and not started: an earlier next phase would charge the buyer
                // again within a day for a period cut short.
                return Outcome.Refused(
                    $"phase {paidNo}, which starts at {paidStart:O}, is already charged; nextSubscriptionDate may not cut it short: the earliest is its end, {scheduled:O}");
            }

            // Less than a lead time before the end of the calendar, no date is late enough.
            var soonest = DateTimeOffset.MaxValue - now < deductionLead ? (DateTimeOffset?)null : now + deductionLead;
            if (soonest is null || next < soonest)
            {
                return Outcome.Refused(
                    $"nextSubscriptionDate {next:O} is less than {Hours(deductionLead)} after the time of the request ({now:O}): a phase is charged {Hours(deductionLead)} before it starts, so the earliest is "
                    + (soonest is { } at ? $"{at:O}" : $"past the end of the calendar ({DateTimeOffset.MaxValue:O})"));
            }

            // One period either way, from the phase's place in the schedule being served, whatever rule the update brings
            // for the phases after (a Jan 31 plan may move Feb 28 to Mar 31).
            var (earliest, latest) = (PhaseStart(NextPhaseNo - 1), PhaseStart(NextPhaseNo + 1));
            if (next > latest || next < earliest)
            {
                return Outcome.Refused(
                    $"nextSubscriptionDate {next:O} moves phase {NextPhaseNo} by more than one period ({Plan.PeriodRule}) from {scheduled:O}, the date it has; the allowed range is {earliest:O} to {latest:O}");
            }
        }

        return Modify(update, now, Trigger.Update, "update", "UPDATE");
    }

    /// <summary>
    /// A change or update of an active subscription whose period's payment is still under way at <paramref name="now"/>
    /// (one whose time is over is settled first) is refused: final for its request id (an F is), so the caller sends it
    /// again under a new one once the payment is done. Null when nothing is under way.
    /// </summary>
    private Outcome? RefusedWhilePaymentUnderWay(DateTimeOffset now, string verb, string requestIdField, string? resultCode)
    {
        SettleIfDue(now);
        return Status == SubscriptionStatus.Active && PaymentUnderWay is { } underWay
            ? Outcome.Refused(
                $"the payment of phase {underWay.PhaseNo} ({underWay.PaymentId}), taken at {underWay.PaymentCreateTime:O}, is still being processed"
                + (PaymentSettlesAt is { } settles ? $" (until {settles:O})" : "") + $"; {verb} again once it is done, with a new {requestIdField}",
                resultCode)
            : null;
    }

    private static string Hours(TimeSpan span) => span.TotalHours == 1 ? "1 hour" : $"{span.TotalHours:0.##} hours";

    private Outcome Modify(PlanChange change, DateTimeOffset now, Trigger trigger, string verb, string notificationType)
    {
        ExpireIfDue(now);
        SettleIfDue(now);
        if (Status == SubscriptionStatus.Active && change.EndTime is { } newEnd && PaidPhaseNotStarted(now) is var (phaseNo, phaseStart) && newEnd <= phaseStart)
        {
            // Phases are charged ahead of their start (SPEC §10): ending the subscription at or before the start of one
            // already paid would take the buyer's money for a period never served.
            return Outcome.Refused(
                $"phase {phaseNo}, which starts at {phaseStart:O}, is already charged (a phase is charged ahead of its start); subscriptionEndTime must be after that start, or cancel with CANCEL to end the subscription when its paid service ends");
        }

        if (Status == SubscriptionStatus.Active && change.StartTime is { } changedStart && PaidPhaseNotStarted(now) is var (paidNo, paidStart)
            && (LastPhaseEnd ?? PhaseStart(NextPhaseNo)) is var paidEnd && changedStart < paidEnd)
        {
            // As for update's nextSubscriptionDate: the next phase would start inside one already paid and be charged at
            // once, the buyer paying twice within a day for the same days (and phases no longer in order).
            return Outcome.Refused(
                $"phase {paidNo}, which starts at {paidStart:O}, is already charged (a phase is charged ahead of its start); subscriptionStartTime may not start the next phase inside it: the earliest is its end, {paidEnd:O}");
        }

        if (Status == SubscriptionStatus.Active && change.StartTime is { } earlyStart && NextPhaseNo > 1
            && (LastPhaseStart ?? PhaseStart(NextPhaseNo - 1)) is var chargedStart && earlyStart < chargedStart)
        {
            // A start in the past (allowed by less than a period) may not go back before the phase last charged, paid or
            // not: the next phase would come before it, charged at once for days that phase already covers.
            return Outcome.Refused(
                $"phase {NextPhaseNo - 1}, which starts at {chargedStart:O}, is already charged; subscriptionStartTime may not start the next phase before it: the earliest is {chargedStart:O}");
        }

        var outcome = Fire(trigger, now, verb);
        if (!outcome.Succeeded)
        {
            return outcome;
        }

        ChangedAt = now;
        var nextStart = PhaseStart(NextPhaseNo);

        // The same period rule sent again changes nothing: re-anchoring on the next phase's start would move month-end
        // dates for good (Jan 31 → Feb 28 → Mar 28 instead of Mar 31).
        var moved = change.NextSubscriptionDate is { } date && date != nextStart ? date : (DateTimeOffset?)null;
        var newRule = change.PeriodRule is not null && change.PeriodRule != Plan.PeriodRule;
        if (newRule || change.StartTime is not null || moved is not null)
        {
            AnchorTime = change.StartTime ?? moved ?? nextStart;
            AnchorPhaseNo = NextPhaseNo;
        }

        // A moved next phase moves the end of the paid one before it: it ends early, or serves on to the new date.
        if (moved is { } newStart)
        {
            Timeline.Add(new TimelineEntry(now, "phaseMoved", NextPhaseNo == 1
                ? $"phase 1 moved from {nextStart:O} to {newStart:O}"
                : $"phase {NextPhaseNo} moved from {nextStart:O} to {newStart:O}: phase {NextPhaseNo - 1} ends then"));
            if (PaidUntil == nextStart)
            {
                PaidUntil = newStart;
            }

            if (LastPhaseEnd == nextStart)
            {
                LastPhaseEnd = newStart;
            }
        }

        StartTimeBeforeChanges ??= change.StartTime is null ? null : Plan.StartTime;
        Plan = Plan with
        {
            Description = change.Description ?? Plan.Description,
            StartTime = change.StartTime ?? Plan.StartTime,
            EndTime = change.EndTime ?? Plan.EndTime,
            PeriodRule = change.PeriodRule ?? Plan.PeriodRule,
            PaymentAmount = change.PaymentAmount ?? Plan.PaymentAmount,
            OrderAmount = change.OrderAmount ?? Plan.OrderAmount,
        };
        Amount? dropped = null;
        if (trigger == Trigger.Change)
        {
            NextPhaseAmountOverride = change.PaymentAmountDifference;
        }
        else if (change.PaymentAmount is not null || newRule)
        {
            // A change's difference is the top-up for the plan that change brought (SPEC §4.7); an update that brings
            // another amount or period for the same phase replaces that plan, top-up included. A description, an end
            // time, a moved date or the rule in force sent again leave it.
            (dropped, NextPhaseAmountOverride) = (NextPhaseAmountOverride, null);
        }

        if (change.PaymentAmount is not null || change.PeriodRule is not null || change.StartTime is not null || moved is not null)
        {
            // Which phase the new plan starts from: a phase already charged (24 h ahead) keeps the old one.
            Timeline.Add(new TimelineEntry(now, "planChanged",
                $"from phase {NextPhaseNo}, starting {PhaseStart(NextPhaseNo):O}: {Plan.PaymentAmount} {Plan.PeriodRule}"
                + (NextPhaseAmountOverride is { } first ? $" (phase {NextPhaseNo} charged {first})" : "")
                + (dropped is { } gone ? $" (the change's paymentAmountDifference {gone} no longer applies)" : "")));
        }

        if (change.Proration is { } proration)
        {
            Timeline.Add(new TimelineEntry(now, "proration", proration.Mode == Proration.Pay
                ? $"{proration.Mode} {proration.CustomAmount}: Antom charges this difference now; the emulator records it and sends no notifyPayment for it"
                : $"{proration.Mode} {proration.CustomAmount}: Antom refunds this difference now; the emulator records it and makes no refund for it"));
        }

        Events.Add(new SubscriptionNotice(now, notificationType, "ACTIVE"));
        return outcome;
    }

    /// <summary>
    /// cancel (SPEC §10): <c>CANCEL</c> stops renewals and keeps service to the end of the paid phase;
    /// <c>TERMINATE</c> ends it now; either ends a request the buyer has not authorized yet. Repeating the same
    /// cancellation succeeds without changing anything or notifying again.
    /// </summary>
    public Outcome Cancel(string cancellationType, DateTimeOffset now)
    {
        ExpireIfDue(now);
        SettleIfDue(now);
        var terminate = cancellationType == "TERMINATE";
        if ((Status == SubscriptionStatus.Cancelled && !terminate)
            || (Status == SubscriptionStatus.Terminated && (terminate || CancellationType == "CANCEL")))
        {
            return Outcome.AlreadyDone;
        }

        var wasPending = Status == SubscriptionStatus.AwaitingAuthorization;
        var outcome = Fire(terminate ? Trigger.Terminate : Trigger.Cancel, now, terminate ? "terminate" : "cancel");
        if (outcome.Changed)
        {
            CancellationType = cancellationType;
            CancelledAt = now;
            Events.Add(terminate || wasPending
                ? new SubscriptionNotice(now, "TERMINATE", "TERMINATED")
                : new SubscriptionNotice(now, "CANCEL", "ACTIVE"));
        }

        return outcome;
    }

    /// <summary>
    /// Where a <c>CANCEL</c> made at <paramref name="at"/> ends the service (SPEC §4.8, §10): at the end of the period
    /// running then, whether its deduction succeeded or failed (a merchant that cancels after a failed payment gets the
    /// same as any other), or at the end of a phase already paid that has not started. Nothing charged yet: at once.
    /// </summary>
    private DateTimeOffset ServedUntilAfterCancel(DateTimeOffset at)
    {
        var periodEnd = at;
        if (LastChargedPhaseEnd is { } lastEnd)
        {
            // The last charged phase has started: it is the one running. Charged ahead and not started: the one before
            // it is running, and ends where it starts.
            var lastStart = LastPhaseStart ?? PhaseStart(NextPhaseNo - 1);
            periodEnd = lastStart <= at ? lastEnd : lastStart;
        }

        return Max(Max(PaidUntil ?? at, periodEnd), at);
    }

    /// <summary>
    /// Where the last charged phase ends as it is served (inquireSubscription's current period, a cancel's service):
    /// a paid one where its paid service ends; an unpaid one at its end, or where the next phase starts if that comes
    /// first. Null before the first charge, and in documents of earlier versions.
    /// </summary>
    public DateTimeOffset? LastChargedPhaseEnd =>
        NextPhaseNo < 2 || LastPhaseEnd is not { } end ? null
        : PaidUntil == end ? end
        : Min(end, PhaseStart(NextPhaseNo));

    /// <summary>
    /// The last phase charged with success, or with its payment under way, when it has not started yet (charged within
    /// the lead time before its start).
    /// </summary>
    private (int PhaseNo, DateTimeOffset Start)? PaidPhaseNotStarted(DateTimeOffset now)
    {
        var last = NextPhaseNo - 1;
        // Paid: the paid service ends where that phase ends (a change's new start may have moved the next phase away).
        if (last < 1 || (PaidUntil != (LastPhaseEnd ?? PhaseStart(NextPhaseNo)) && PaymentUnderWay?.PhaseNo != last))
        {
            return null;
        }

        var start = LastPhaseStart ?? PhaseStart(last);
        return start > now ? (last, start) : null;
    }

    /// <summary>Start of phase <paramref name="phaseNo"/> with calendar arithmetic from the anchor (SPEC §10).</summary>
    public DateTimeOffset PhaseStart(int phaseNo) => Plan.PeriodRule.Add(AnchorTime, phaseNo - AnchorPhaseNo);

    /// <summary>
    /// When this subscription next needs the time machine, or null when it never will again (or not before a test
    /// settles its payment under way).
    /// </summary>
    public DateTimeOffset? NextEventAt(TimeSpan deductionLead)
    {
        if (PaymentUnderWay is not null)
        {
            // The payment settles first; nothing else is due until then (the next phase, the end of the service).
            return PaymentSettlesAt;
        }

        var next = NextEventAfterPayment(deductionLead);
        return next is { } at && PaymentSettledAt is { } settled && settled > at ? settled : next;
    }

    private DateTimeOffset? NextEventAfterPayment(TimeSpan deductionLead)
    {
        switch (Status)
        {
            case SubscriptionStatus.AwaitingAuthorization:
                return Plan.ExpiryTime;
            case SubscriptionStatus.Active:
                var start = PhaseStart(NextPhaseNo);
                // Nothing is due before the authorization or the last change: a change that moves the start or the end
                // acts from the time it was made.
                var notBefore = Max(AuthorizedAt!.Value, ChangedAt ?? AuthorizedAt!.Value);
                if (Plan.EndTime is { } end && start >= end)
                {
                    return Max(end, notBefore);
                }

                if (start == DateTimeOffset.MaxValue)
                {
                    // A phase that would start after the year 9999 never starts: nothing is due again (the time machine
                    // charged it again and again, at the end of the calendar).
                    return null;
                }

                // SPEC §10: phase 1 at authorization (or at a future start); later phases a lead time before they begin.
                var due = NextPhaseNo == 1 ? start : start - deductionLead;
                return Max(due, notBefore);
            case SubscriptionStatus.Cancelled:
                var servedUntil = ServedUntilAfterCancel(CancelledAt!.Value);
                return Plan.EndTime is { } stop && stop < servedUntil ? Max(stop, CancelledAt!.Value) : servedUntil;
            default:
                return null;
        }
    }

    /// <summary>Whether what is due at <paramref name="now"/> is a period's deduction (which a fault may fail).</summary>
    public bool DeductionDue(DateTimeOffset now, TimeSpan deductionLead) =>
        Status == SubscriptionStatus.Active
        && PaymentUnderWay is null
        && NextEventAt(deductionLead) <= now
        && !(Plan.EndTime is { } end && PhaseStart(NextPhaseNo) >= end);

    /// <summary>
    /// Does what is due at <paramref name="now"/>: the authorization expiry, the next phase's deduction, the end of
    /// the subscription. Returns false when nothing was due.
    /// </summary>
    public bool RunDue(DateTimeOffset now, TimeSpan deductionLead, Func<string> newPaymentId, Func<int, DeductionResult> deduct)
    {
        if (NextEventAt(deductionLead) is not { } due || due > now)
        {
            return false;
        }

        if (PaymentUnderWay is not null)
        {
            SettlePayment(due, DeductionResult.Success);
            return true;
        }

        switch (Status)
        {
            case SubscriptionStatus.AwaitingAuthorization:
                ExpireIfDue(due);
                break;
            case SubscriptionStatus.Active when Plan.EndTime is { } end && PhaseStart(NextPhaseNo) >= end:
                // At the end time, or later when a payment under way held it (due is then when that payment settled).
                Fire(Trigger.ReachEndTime, due, "end");
                break;
            case SubscriptionStatus.Active:
                Deduct(due, newPaymentId(), deduct(NextPhaseNo));
                break;
            case SubscriptionStatus.Cancelled:
                Fire(Plan.EndTime is { } stop && stop <= due ? Trigger.ReachEndTime : Trigger.EndServedPeriod, due, "close");
                break;
        }

        return true;
    }

    /// <summary>A call in the timeline: its outcome, and the code the caller was answered with when a fault put another.</summary>
    public void RecordApiCall(DateTimeOffset now, string api, string requestId, string resultCode, string? answeredWith = null, string? detail = null, string effect = "applied") =>
        Timeline.Add(new TimelineEntry(now, "apiCall", (answeredWith is null
            ? $"{api} {requestId} → {resultCode}"
            : $"{api} {requestId} → {resultCode}, answered {answeredWith} by a fault (effect {effect})") + (detail is null ? "" : $": {detail}")));

    /// <summary>A refund of one of its payments that was processing succeeded or failed (settled through the control API).</summary>
    public void RecordRefundSettled(DateTimeOffset now, Refund refund) =>
        Timeline.Add(new TimelineEntry(now, "refund", $"refund {refund.RefundId} of {refund.Amount} (phase {refund.PhaseNo}, {refund.PaymentId}) settled: {refund.Status}"));

    /// <summary>Every transition of the machine, read from the machine itself (for the dashboard's diagram).</summary>
    public static IReadOnlyList<(SubscriptionStatus From, SubscriptionStatus To, string Trigger)> Transitions()
    {
        var probe = new Subscription("", "", "", "", default, null!, SubscriptionStatus.AwaitingAuthorization);
        return [.. probe.BuildMachine().GetInfo().States.SelectMany(state => state.FixedTransitions.Select(t =>
            ((SubscriptionStatus)state.UnderlyingState, (SubscriptionStatus)t.DestinationState.UnderlyingState, t.Trigger.UnderlyingTrigger.ToString()!)))];
    }

    /// <summary>The lifecycle diagram, generated from the machine itself.</summary>
    public static string MermaidDiagram()
    {
        var probe = new Subscription("", "", "", "", default, null!, SubscriptionStatus.AwaitingAuthorization);
        return MermaidGraph.Format(probe.BuildMachine().GetInfo());
    }

    private void Deduct(DateTimeOffset at, string paymentId, DeductionResult result)
    {
        var phaseNo = NextPhaseNo;
        var amount = NextPhaseAmountOverride
            ?? Plan.Trials.FirstOrDefault(t => t.Covers(phaseNo))?.Amount
            ?? Plan.PaymentAmount;
        var start = PhaseStart(phaseNo);
        var end = PhaseStart(phaseNo + 1);
        var phase = new Phase(phaseNo, start, end, amount, paymentId, at, result.ResultStatus, result.ResultCode, result.ResultMessage, result.ResultStatus == "S" ? at : null);
        NextPhaseNo++;
        LastPhaseStart = start;
        LastPhaseEnd = end;
        NextPhaseAmountOverride = null;
        if (result.Processing)
        {
            PaymentUnderWay = phase;
            PaymentSettlesAt = result.SettlesAt;
            Timeline.Add(new TimelineEntry(at, "deduction", $"phase {phaseNo} {amount} {result.ResultStatus} {result.ResultCode} ({paymentId}): processing "
                + (result.SettlesAt is { } settles ? $"until {settles:O}, then SUCCESS" : "until settled through the control API")));
            Events.Add(new PaymentProcessing(at, phase));
            return;
        }

        if (result.ResultStatus == "S")
        {
            // Where the paid service ends (a cancel also serves the period running, paid or not).
            PaidUntil = end;
        }

        Timeline.Add(new TimelineEntry(at, "deduction", $"phase {phaseNo} {amount} {result.ResultStatus} {result.ResultCode} ({paymentId})"));
        Events.Add(new PhaseDeducted(at, phase));
    }

    /// <summary>
    /// A payment under way whose processing time is over at <paramref name="now"/> has succeeded (at that time), whether
    /// or not the time machine has run since: an intent settles it first, as the run would. True when this call did.
    /// </summary>
    public bool SettleIfDue(DateTimeOffset now)
    {
        if (PaymentUnderWay is null || PaymentSettlesAt is not { } at || at > now)
        {
            return false;
        }

        SettlePayment(at, DeductionResult.Success);
        return true;
    }

    /// <summary>
    /// The payment under way ends now, as <paramref name="result"/> says: by itself when its time came, or as a test
    /// settles it. notifyPayment is owed then, with <c>paymentTime</c> now when it succeeded.
    /// </summary>
    public Outcome SettlePayment(DateTimeOffset now, DeductionResult result)
    {
        if (PaymentUnderWay is not { } underWay)
        {
            return Outcome.Refused("no payment of this subscription is being processed");
        }

        // A clock frozen back since the payment was taken (docs/control-api.md: do that on a merchant without subscriptions) does not
        // make it end before it began.
        now = Max(now, underWay.PaymentCreateTime);
        var settled = underWay with
        {
            ResultStatus = result.ResultStatus,
            ResultCode = result.ResultCode,
            ResultMessage = result.ResultMessage,
            PaymentTime = result.ResultStatus == "S" ? now : null,
        };
        PaymentUnderWay = null;
        PaymentSettlesAt = null;
        PaymentSettledAt = now;
        if (result.ResultStatus == "S")
        {
            PaidUntil = LastPhaseEnd ?? underWay.PeriodEndTime;
        }

        Timeline.Add(new TimelineEntry(now, "deduction", $"phase {settled.PhaseNo} {settled.Amount} {result.ResultStatus} {result.ResultCode} ({settled.PaymentId}): settled, processing since {underWay.PaymentCreateTime:O}"));
        Events.Add(new PhaseDeducted(now, settled, Settled: true));
        return Outcome.Done;
    }

    private Outcome Fire(Trigger trigger, DateTimeOffset now, string verb)
    {
        var machine = BuildMachine();
        var withTime = machine.SetTriggerParameters<DateTimeOffset>(trigger);
        if (!machine.CanFire(trigger))
        {
            return Outcome.Refused($"cannot {verb} a subscription that is {Status.ToWire()}");
        }

        machine.Fire(withTime, now);
        if (Status is SubscriptionStatus.Terminated)
        {
            EndedAt ??= now;
        }

        return Outcome.Done;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    // A machine is not thread-safe and is cheap to configure: one per operation (STYLE.md).
    private StateMachine<SubscriptionStatus, Trigger> BuildMachine()
    {
        var machine = new StateMachine<SubscriptionStatus, Trigger>(() => Status, s => Status = s);

        machine.Configure(SubscriptionStatus.AwaitingAuthorization)
            .Permit(Trigger.Approve, SubscriptionStatus.Active)
            .Permit(Trigger.Decline, SubscriptionStatus.Terminated)
            .Permit(Trigger.ExpireAuthorization, SubscriptionStatus.Terminated)
            .Permit(Trigger.Cancel, SubscriptionStatus.Terminated)
            .Permit(Trigger.Terminate, SubscriptionStatus.Terminated);

        machine.Configure(SubscriptionStatus.Active)
            .PermitReentry(Trigger.Change)
            .PermitReentry(Trigger.Update)
            .Permit(Trigger.Cancel, SubscriptionStatus.Cancelled)
            .Permit(Trigger.Terminate, SubscriptionStatus.Terminated)
            .Permit(Trigger.ReachEndTime, SubscriptionStatus.Terminated);

        machine.Configure(SubscriptionStatus.Cancelled)
            .Permit(Trigger.Terminate, SubscriptionStatus.Terminated)
            .Permit(Trigger.EndServedPeriod, SubscriptionStatus.Terminated)
            .Permit(Trigger.ReachEndTime, SubscriptionStatus.Terminated);

        machine.Configure(SubscriptionStatus.Terminated);

        machine.OnTransitioned(t =>
        {
            var at = t.Parameters.Length > 0 && t.Parameters[0] is DateTimeOffset time ? time : default;
            Timeline.Add(new TimelineEntry(at, "stateChanged", $"{t.Source.ToWire()} → {t.Destination.ToWire()} ({t.Trigger})"));
            if (t.Source != t.Destination)
            {
                Events.Add(new StateChanged(at, t.Source, t.Destination));
            }
        });

        return machine;
    }
}
