using Emulator.Domain;
using Emulator.Faults;
using Emulator.Hosting;
using Microsoft.Extensions.Options;

namespace Emulator.Notifications;

/// <summary>
/// Notification bodies told by the emulator itself, for events no real subscription had: a subscription lives through
/// the emulator's own aggregate (approval or decline, deductions with a free period or a failed one, change, update,
/// cancel, terminate), and each notification is the body the emulator sends for that event
/// (<see cref="NotificationBodies"/>, as the outbox writes it). A failed payment therefore lacks <c>paymentTime</c>
/// because the emulator's lacks it (SPEC §4.9), and a status is the one the emulator gives that notification type
/// (SPEC §3.9). The conformance suite sends them, and so does a test notification (CONTROL-API.md "Notifications").
/// </summary>
/// <param name="clientId">The merchant the subscription belongs to.</param>
/// <param name="start">When the subscription starts and the buyer decides (phase 1 is charged then); its offset is the one the bodies' times are written in.</param>
/// <param name="requestIdPrefix">Put before the subscription id to make its <c>subscriptionRequestId</c>.</param>
/// <param name="deductionLead">How long before a later phase begins its deduction runs (<c>Emulator:DeductionLeadTime</c>).</param>
/// <param name="catalogue">Where a failure code's message comes from; null: the catalogue of <c>fixtures/</c> beside the emulator's assembly, read when a failed payment is first told.</param>
public sealed class SampleNotifications(
    string clientId, DateTimeOffset start, string requestIdPrefix = "sample-", TimeSpan? deductionLead = null, ResultCodeCatalogue? catalogue = null)
{
    /// <summary>The notifySubscription types, in the order Antom's documents list them (SPEC §3.9).</summary>
    public static readonly IReadOnlyList<string> SubscriptionTypes = ["CREATE", "CHANGE", "CANCEL", "TERMINATE", "UPDATE"];

    private static readonly Amount Price = new("PHP", 19900);

    private readonly TimeSpan lead = deductionLead ?? new EmulatorOptions().DeductionLeadTime;

    // Read only when a failed payment is told: the suite's other checks need no file beside the keys.
    private readonly Lazy<ResultCodeCatalogue> codes = new(() => catalogue ?? new ResultCodeCatalogue(Options.Create(new EmulatorOptions())));

    /// <summary>
    /// notifySubscription of <paramref name="type"/> (<c>CREATE</c>, <c>CHANGE</c>, <c>UPDATE</c>, <c>CANCEL</c>,
    /// <c>TERMINATE</c>) for an approved subscription; <paramref name="declined"/>: the <c>CREATE</c> of a request the
    /// buyer declined (<c>TERMINATED</c>; one whose authorization expired has the same body).
    /// </summary>
    public string Subscription(string subscriptionId, string type, bool declined = false)
    {
        var subscription = New(subscriptionId, trial: null);
        var outcome = declined ? subscription.Decline(start) : subscription.Approve(start);
        var later = start.AddDays(10);
        outcome = type switch
        {
            "CREATE" => outcome,
            "CHANGE" => subscription.Change(new PlanChange(null, null, null, null, new Amount(Price.Currency, 29900), null, null), later),
            "UPDATE" => subscription.Update(new PlanChange("Sample plan, updated", null, null, null, null, null, null), lead, later),
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
    /// <paramref name="failureCode"/> (an <c>F</c> code of <c>deduction</c> in the catalogue) when one is given.
    /// </summary>
    public string Payment(string subscriptionId, string paymentId, int phaseNo, long? trialAmount = null, string? failureCode = null)
    {
        var subscription = New(subscriptionId, trialAmount is { } free ? new Trial(phaseNo, phaseNo, new Amount(Price.Currency, free)) : null);
        subscription.Approve(start);
        var result = failureCode is null
            ? DeductionResult.Success
            : codes.Value.Find(FaultTargets.Deduction, failureCode) is { ResultStatus: "F" } row
                ? new DeductionResult(row.ResultStatus, row.Code, row.Message)
                : throw new ArgumentOutOfRangeException(nameof(failureCode), failureCode, "not a deduction failure code of the catalogue");

        // The phases before it go as usual, then this one is charged when the emulator charges it.
        var charged = 0;
        var chargedAt = phaseNo == 1 ? start : subscription.Plan.PeriodRule.Add(start, phaseNo - 1) - lead;
        while (subscription.RunDue(chargedAt, lead, () => ++charged == phaseNo ? paymentId : $"{paymentId}-{charged}", n => n == phaseNo ? result : DeductionResult.Success))
        {
        }

        var phase = subscription.Events.OfType<PhaseDeducted>().Select(d => d.Phase).SingleOrDefault(p => p.PhaseNo == phaseNo)
            ?? throw new InvalidOperationException($"the emulator's subscription charged no phase {phaseNo}");
        return NotificationBodies.Payment(subscription, phase);
    }

    private Subscription New(string subscriptionId, Trial? trial) => new(subscriptionId, clientId, requestIdPrefix + subscriptionId, "", start.AddMinutes(-5), new SubscriptionPlan
    {
        Description = "Sample plan",
        RedirectUrl = "https://merchant.example/done",
        StartTime = start,
        PeriodRule = new PeriodRule("MONTH", 1),
        ExpiryTime = start.AddMinutes(30),
        PaymentMethod = new PaymentMethod("GCASH", null, null),
        PaymentAmount = Price,
        OrderAmount = Price,
        Trials = trial is null ? [] : [trial],
        SubscriptionNotificationUrl = "https://merchant.example/antom/notify/subscription",
        PaymentNotificationUrl = "https://merchant.example/antom/notify/payment",
        TerminalType = "WEB",
    }, SubscriptionStatus.AwaitingAuthorization);
}
