using System.Text.Json.Serialization;
using Stateless;
using Stateless.Graph;

namespace Emulator.Domain;

/// <summary>
/// The subscription aggregate. Its lifecycle is a Stateless machine with external state storage (the
/// <see cref="Status"/> property the store persists); callers use intent methods, never triggers. An intent that the
/// state does not allow is refused with a reason naming the state (SPEC §4.2, §10).
/// </summary>
public sealed class Subscription
{
    private enum Trigger
    {
        Approve,
        Decline,
        ExpireAuthorization,
        Change,
        Cancel,
        Terminate,
        ReachEndTime,
        EndLastPaidPhase,
    }

    [JsonConstructor]
    public Subscription(
        string subscriptionId,
        string clientId,
        string subscriptionRequestId,
        string authorizationToken,
        DateTimeOffset createdAt,
        SubscriptionPlan plan,
        SubscriptionStatus status,
        List<TimelineEntry>? timeline = null)
    {
        SubscriptionId = subscriptionId;
        ClientId = clientId;
        SubscriptionRequestId = subscriptionRequestId;
        AuthorizationToken = authorizationToken;
        CreatedAt = createdAt;
        Plan = plan;
        Status = status;
        Timeline = timeline ?? [];
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
    public DateTimeOffset? EndedAt { get; private set; }

    /// <summary>Charged for the next phase instead of the plan amount after a change (SPEC §10 change).</summary>
    [JsonInclude]
    public Amount? NextPhaseAmountOverride { get; private set; }

    [JsonInclude]
    public List<TimelineEntry> Timeline { get; private set; }

    public static Subscription Create(string subscriptionId, string clientId, string requestId, string authorizationToken, SubscriptionPlan plan, DateTimeOffset now)
    {
        var subscription = new Subscription(subscriptionId, clientId, requestId, authorizationToken, now, plan, SubscriptionStatus.AwaitingAuthorization);
        subscription.Timeline.Add(new TimelineEntry(now, "stateChanged", "created, AWAITING_AUTHORIZATION until " + plan.ExpiryTime.ToString("O")));
        return subscription;
    }

    /// <summary>The buyer approves on the authorization page (or through the control API).</summary>
    public Outcome Approve(DateTimeOffset now)
    {
        if (ExpireIfDue(now))
        {
            return Outcome.Refused($"the authorization window closed at {Plan.ExpiryTime:O}");
        }

        var outcome = Fire(Trigger.Approve, now, "approve");
        if (outcome.Changed)
        {
            AuthorizedAt = now;
        }

        return outcome;
    }

    public Outcome Decline(DateTimeOffset now)
    {
        if (ExpireIfDue(now))
        {
            return Outcome.Refused($"the authorization window closed at {Plan.ExpiryTime:O}");
        }

        return Fire(Trigger.Decline, now, "decline");
    }

    /// <summary>
    /// The buyer did not act before <c>subscriptionExpiryTime</c>: the request ends (SPEC §10). True when this call
    /// ended it, or it had already expired and was just closed now.
    /// </summary>
    public bool ExpireIfDue(DateTimeOffset now)
    {
        if (Status != SubscriptionStatus.AwaitingAuthorization || now < Plan.ExpiryTime)
        {
            return false;
        }

        Fire(Trigger.ExpireAuthorization, Plan.ExpiryTime, "expire the authorization of");
        return true;
    }

    /// <summary>change (SPEC §10): only while ACTIVE; the new amount applies from the next phase.</summary>
    public Outcome Change(PlanChange change, DateTimeOffset now)
    {
        ExpireIfDue(now);
        var outcome = Fire(Trigger.Change, now, "change");
        if (!outcome.Succeeded)
        {
            return outcome;
        }

        Plan = Plan with
        {
            Description = change.Description ?? Plan.Description,
            StartTime = change.StartTime ?? Plan.StartTime,
            EndTime = change.EndTime ?? Plan.EndTime,
            PeriodRule = change.PeriodRule ?? Plan.PeriodRule,
            PaymentAmount = change.PaymentAmount,
            OrderAmount = change.OrderAmount ?? Plan.OrderAmount,
        };
        NextPhaseAmountOverride = change.PaymentAmountDifference;
        return outcome;
    }

    /// <summary>
    /// cancel (SPEC §10): <c>CANCEL</c> stops renewals and keeps service to the end of the paid phase;
    /// <c>TERMINATE</c> ends it now; either ends a request the buyer has not authorized yet. Repeating the same
    /// cancellation succeeds without changing anything.
    /// </summary>
    public Outcome Cancel(string cancellationType, DateTimeOffset now)
    {
        ExpireIfDue(now);
        var terminate = cancellationType == "TERMINATE";
        if ((Status == SubscriptionStatus.Cancelled && !terminate)
            || (Status == SubscriptionStatus.Terminated && (terminate || CancellationType == "CANCEL")))
        {
            return Outcome.AlreadyDone;
        }

        var outcome = Fire(terminate ? Trigger.Terminate : Trigger.Cancel, now, terminate ? "terminate" : "cancel");
        if (outcome.Changed)
        {
            CancellationType = cancellationType;
        }

        return outcome;
    }

    /// <summary>No phase starts at or after <c>subscriptionEndTime</c>: the subscription ends without notification.</summary>
    public Outcome ReachEndTime(DateTimeOffset now) => Fire(Trigger.ReachEndTime, now, "end");

    /// <summary>A cancelled subscription ends when its last paid phase does.</summary>
    public Outcome EndLastPaidPhase(DateTimeOffset now) => Fire(Trigger.EndLastPaidPhase, now, "close");

    public void RecordApiCall(DateTimeOffset now, string api, string requestId, string resultCode) =>
        Timeline.Add(new TimelineEntry(now, "apiCall", $"{api} {requestId} → {resultCode}"));

    /// <summary>The lifecycle diagram, generated from the machine itself.</summary>
    public static string MermaidDiagram()
    {
        var probe = new Subscription("", "", "", "", default, null!, SubscriptionStatus.AwaitingAuthorization);
        return MermaidGraph.Format(probe.BuildMachine().GetInfo());
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
            .Permit(Trigger.Cancel, SubscriptionStatus.Cancelled)
            .Permit(Trigger.Terminate, SubscriptionStatus.Terminated)
            .Permit(Trigger.ReachEndTime, SubscriptionStatus.Terminated);

        machine.Configure(SubscriptionStatus.Cancelled)
            .Permit(Trigger.Terminate, SubscriptionStatus.Terminated)
            .Permit(Trigger.EndLastPaidPhase, SubscriptionStatus.Terminated)
            .Permit(Trigger.ReachEndTime, SubscriptionStatus.Terminated);

        machine.Configure(SubscriptionStatus.Terminated);

        machine.OnTransitioned(t =>
        {
            var at = t.Parameters.Length > 0 && t.Parameters[0] is DateTimeOffset time ? time : default;
            Timeline.Add(new TimelineEntry(at, "stateChanged", $"{t.Source.ToWire()} → {t.Destination.ToWire()} ({t.Trigger})"));
        });

        return machine;
    }
}
