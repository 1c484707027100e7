using Emulator.Domain;
using Emulator.Faults;
using Emulator.Hosting;
using Emulator.Notifications;
using Microsoft.Extensions.Options;

namespace Emulator.Testing.Conformance;

/// <summary>
/// The suite's notification bodies, told by the emulator itself: a subscription lives through the emulator's own
/// aggregate (approval or decline, deductions with a free period or a failed one, change, update, cancel, terminate),
/// and each notification is the body the emulator sends for that event (<see cref="NotificationBodies"/>, as the
/// outbox writes it). A failed payment therefore lacks <c>paymentTime</c> because the emulator's lacks it (SPEC §4.9),
/// and a status is the one the emulator gives that notification type (SPEC §3.9).
/// </summary>
internal sealed class EmulatedNotifications(string clientId)
{
    /// <summary>The member <see cref="WithUnknownMember"/> adds.</summary>
    public const string UnknownMember = "conformanceNewField";

    /// <summary>Every subscription of the suite starts here: its bodies are the same run after run.</summary>
    private static readonly DateTimeOffset Start = new(2027, 1, 1, 0, 0, 0, TimeSpan.FromHours(8));

    /// <summary>Later phases are charged this long before they start (docs/emulation.md "Phases").</summary>
    private static readonly TimeSpan DeductionLead = TimeSpan.FromHours(24);

    private static readonly Amount Price = new("PHP", 19900);

    // Read only when a failed payment is told: the suite's other checks need no file beside the keys.
    private readonly Lazy<ResultCodeCatalogue> catalogue = new(() => new ResultCodeCatalogue(Options.Create(new EmulatorOptions())));

    /// <summary>
    /// notifySubscription of <paramref name="type"/> (<c>CREATE</c>, <c>CHANGE</c>, <c>UPDATE</c>, <c>CANCEL</c>,
    /// <c>TERMINATE</c>) for an approved subscription; <paramref name="declined"/>: the <c>CREATE</c> of a request the
    /// buyer declined (<c>TERMINATED</c>).
    /// </summary>
    public string Subscription(string subscriptionId, string type, bool declined = false)
    {
        var subscription = New(subscriptionId, trial: null);
        var outcome = declined ? subscription.Decline(Start) : subscription.Approve(Start);
        var later = Start.AddDays(10);
        outcome = type switch
        {
            "CREATE" => outcome,
            "CHANGE" => subscription.Change(new PlanChange(null, null, null, null, new Amount(Price.Currency, 29900), null, null), later),
            "UPDATE" => subscription.Update(new PlanChange("Conformance plan, updated", null, null, null, null, null, null), DeductionLead, later),
            "CANCEL" => subscription.Cancel("CANCEL", later),
            "TERMINATE" => subscription.Cancel("TERMINATE", later),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a notifySubscription type"),
        };
        var notice = subscription.Events.OfType<SubscriptionNotice>().LastOrDefault(n => n.NotificationType == type);
        return outcome.Changed && notice is not null
            ? NotificationBodies.Subscription(subscription, notice)
            : throw new InvalidOperationException($"the emulator's subscription told no {type} notification ({outcome.Reason})");
    }

    /// <summary>
    /// notifyPayment of phase <paramref name="phaseNo"/>, as <paramref name="paymentId"/>: a success of the plan's
    /// amount; of <paramref name="trialAmount"/> when the phase is in a trial; a failure with
    /// <paramref name="failureCode"/> (a deduction code of the emulator's catalogue) when one is given.
    /// </summary>
    public string Payment(string subscriptionId, string paymentId, int phaseNo, long? trialAmount = null, string? failureCode = null)
    {
        var subscription = New(subscriptionId, trialAmount is { } free ? new Trial(phaseNo, phaseNo, new Amount(Price.Currency, free)) : null);
        subscription.Approve(Start);
        var result = failureCode is null
            ? DeductionResult.Success
            : catalogue.Value.Find(FaultTargets.Deduction, failureCode) is { ResultStatus: "F" } row
                ? new DeductionResult(row.ResultStatus, row.Code, row.Message)
                : throw new ArgumentOutOfRangeException(nameof(failureCode), failureCode, "not a deduction failure code of the catalogue");

        // The phases before it go as usual, then this one is charged when the emulator charges it.
        var charged = 0;
        var chargedAt = phaseNo == 1 ? Start : subscription.Plan.PeriodRule.Add(Start, phaseNo - 1) - DeductionLead;
        while (subscription.RunDue(chargedAt, DeductionLead, () => ++charged == phaseNo ? paymentId : $"{paymentId}-{charged}", n => n == phaseNo ? result : DeductionResult.Success))
        {
        }

        var phase = subscription.Events.OfType<PhaseDeducted>().Select(d => d.Phase).SingleOrDefault(p => p.PhaseNo == phaseNo)
            ?? throw new InvalidOperationException($"the emulator's subscription charged no phase {phaseNo}");
        return NotificationBodies.Payment(subscription, phase);
    }

    /// <summary>
    /// <paramref name="body"/> with a member no integration knows, after the others (Antom adds fields over time: an
    /// integration must ignore what it does not know). Inserted into the text, so the rest is byte for byte the emulator's.
    /// </summary>
    public static string WithUnknownMember(string body) =>
        body[..body.LastIndexOf('}')] + $",\"{UnknownMember}\":{{\"note\":\"a member this integration does not know\"}}}}";

    private Subscription New(string subscriptionId, Trial? trial) => new(subscriptionId, clientId, "conformance-" + subscriptionId, "", Start.AddMinutes(-5), new SubscriptionPlan
    {
        Description = "Conformance plan",
        RedirectUrl = "https://merchant.example/done",
        StartTime = Start,
        PeriodRule = new PeriodRule("MONTH", 1),
        ExpiryTime = Start.AddMinutes(30),
        PaymentMethod = new PaymentMethod("GCASH", null, null),
        PaymentAmount = Price,
        OrderAmount = Price,
        Trials = trial is null ? [] : [trial],
        SubscriptionNotificationUrl = "https://merchant.example/antom/notify/subscription",
        PaymentNotificationUrl = "https://merchant.example/antom/notify/payment",
        TerminalType = "WEB",
    }, SubscriptionStatus.AwaitingAuthorization);
}
