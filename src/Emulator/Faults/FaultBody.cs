
namespace Emulator.Faults;

/// <summary>The body of <c>POST …/faults</c> and of each fault in a scenario file.</summary>
/// <remarks>
/// A field it does not know is refused, not ignored, as in <see cref="FaultMatch"/>: a misspelt <c>match</c>,
/// <c>probability</c> or <c>times</c> ignored would widen the rule to every call, always, until deleted.
/// </remarks>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
public sealed record FaultBody(
    string? Target,
    string? ResultCode,
    string? Transport,
    string? Delivery,
    string? Delay,
    int? Times,
    int? Skip,
    FaultMatch? Match,
    string? Effect,
    double? Probability = null,
    int? Seed = null)
{
    /// <summary>The fields of a rule, as a refusal names them.</summary>
    private const string Fields = "target, resultCode, transport, delivery, delay, times, skip, match, effect, probability and seed";

    /// <summary>What to say of a body or scenario file naming a field a rule (or its <c>match</c>) does not have; null for any other problem.</summary>
    public static string? UnknownField(System.Text.Json.JsonException problem) =>
        FaultMatch.UnknownField(problem)
        ?? (Protocol.UnmappedMember.Of(problem, typeof(FaultBody)) is { } field
            ? $"{field} is not a field of a fault rule, which takes {Fields} (a field ignored would widen the rule)"
            : null);

    /// <summary>The longest wall-clock wait a transport delay may hold an answer.</summary>
    public static readonly TimeSpan MaxTransportDelay = TimeSpan.FromHours(1);

    /// <summary>Checks the rule and says what is allowed when it is not.</summary>
    public string? Validate(ResultCodeCatalogue catalogue)
    {
        if (Target is null || !FaultTargets.All.Contains(Target))
        {
            return $"target must be one of {string.Join(", ", FaultTargets.All)} (got '{Target}')";
        }

        var kinds = new[] { ResultCode, Transport, Delivery }.Count(k => k is not null);
        if (kinds != 1)
        {
            return "give exactly one of resultCode, transport or delivery";
        }

        var isApi = FaultTargets.Apis.Contains(Target);
        var isNotification = FaultTargets.Notifications.Contains(Target);
        if (ResultCode is not null)
        {
            if (isNotification)
            {
                return $"a {Target} fault is a delivery fault: delivery must be one of {string.Join(", ", FaultTargets.DeliveryFaults)}";
            }

            if (ResultCode == "SUCCESS")
            {
                // It would use up a call and shadow the rules after it, and change nothing.
                return "resultCode SUCCESS is not a fault: a call no rule hits succeeds; to let calls through before a fault, give the fault a skip";
            }

            if (catalogue.Find(Target, ResultCode) is null)
            {
                return $"resultCode '{ResultCode}' is not a result code of {Target}; allowed: {string.Join(", ", catalogue.CodesOf(Target))}";
            }
        }

        if (Transport is not null && (!isApi || !FaultTargets.TransportFaults.Contains(Transport)))
        {
            return $"transport applies to the APIs ({string.Join(", ", FaultTargets.Apis)}) and must be one of {string.Join(", ", FaultTargets.TransportFaults)}";
        }

        if (Delivery is not null && (!isNotification || !FaultTargets.DeliveryFaults.Contains(Delivery)))
        {
            return $"delivery applies to notifySubscription and notifyPayment and must be one of {string.Join(", ", FaultTargets.DeliveryFaults)}";
        }

        if ((Transport == "delay" || Delivery == "delay") && Delay is null)
        {
            return "a delay fault needs delay, an ISO-8601 duration such as PT5S or PT10M";
        }

        if (Delay is not null)
        {
            if (!Control.IsoDuration.TryAdd(DateTimeOffset.UnixEpoch, Delay, out var delayed))
            {
                return Control.IsoDuration.IsDuration(Delay)
                    ? $"delay is too long (got '{Delay}'): counted from 1970-01-01 it would pass the end of the calendar (the year 9999); P8000Y already delays a notification past that end, which holds it for good"
                    : $"delay must be an ISO-8601 duration such as PT5S, PT10M or P1M, not negative (got '{Delay}')";
            }

            var span = delayed - DateTimeOffset.UnixEpoch;
            if (Delivery == "delay" && span == TimeSpan.Zero)
            {
                // A notification delayed by nothing would be due again at once, and delayed again, forever.
                return "a delivery delay must be longer than zero";
            }

            if (Transport == "delay" && span == TimeSpan.Zero)
            {
                return "a transport delay must be longer than zero (a delay of nothing is no fault)";
            }

            if (Effect == FaultTargets.Processing && span == TimeSpan.Zero)
            {
                return Target == FaultTargets.Deduction
                    ? "a payment that processes for no time is one done at once: give a delay longer than zero, or none (it processes until settled)"
                    : "a refund that processes for no time is one done when answered: give a delay longer than zero, or none (it processes until settled)";
            }

            if (Transport != "delay" && Delivery != "delay" && Effect != FaultTargets.Processing)
            {
                return "delay applies to a delay fault (transport or delivery delay), and to a refund or a period's payment left processing (effect processing: how long it processes on the merchant's clock)";
            }

            if (Transport == "delay" && span > MaxTransportDelay)
            {
                return $"a transport delay holds the answer on the wall clock: at most {System.Xml.XmlConvert.ToString(MaxTransportDelay)} (got '{Delay}'); a client that should give up meanwhile is the timeout fault";
            }
        }

        if (Match is { } match && (match.PhaseNo is not null || match.FromPhaseNo is not null))
        {
            if (Target is not (FaultTargets.Deduction or "notifyPayment"))
            {
                return "match.phaseNo and match.fromPhaseNo apply to deduction and notifyPayment, which concern one phase";
            }

            if (match.PhaseNo is < 1 || match.FromPhaseNo is < 1)
            {
                return "match.phaseNo and match.fromPhaseNo count phases from 1";
            }
        }

        if (Match is { SubscriptionId: not null } or { SubscriptionRequestId: not null }
            && Target is Lifecycle.Apis.InquireSubscriptionList or Lifecycle.Apis.Refund or Lifecycle.Apis.InquiryRefund)
        {
            // Its request names no subscription: a rule that needs one would never act.
            return $"match.subscriptionId and match.subscriptionRequestId cannot apply to {Target}, whose request names no subscription";
        }

        if (Times < 0)
        {
            return "times must be 0 (until deleted) or more";
        }

        if (Skip < 0)
        {
            return "skip must be 0 or more";
        }

        if (Probability is { } share && (double.IsNaN(share) || share is < 0 or > 1))
        {
            return "probability must be between 0 and 1 (a share of the matching calls or deliveries)";
        }

        if (Effect is not null && !FaultTargets.Effects.Contains(Effect))
        {
            return "effect must be applied, notApplied or processing";
        }

        var unknownCode = ResultCode is not null && catalogue.Find(Target, ResultCode)?.ResultStatus == "U";
        if (Effect == FaultTargets.Processing && !(Target is Lifecycle.Apis.Refund or FaultTargets.Deduction && unknownCode))
        {
            return "effect processing applies to a U result code of refund (REFUND_IN_PROCESS: the refund is taken and stays PROCESSING for delay on the merchant's clock, or until POST …/refunds/{refundId}/settle) "
                + "and of deduction (PAYMENT_IN_PROCESS: the period's payment is under way for delay, or until POST …/payments/{paymentId}/settle)";
        }

        if (Target == FaultTargets.Deduction && unknownCode && Effect != FaultTargets.Processing)
        {
            // A period's payment ends S or F for notifyPayment; an unknown one is a payment under way.
            return $"a deduction answered {ResultCode} is a payment under way: give effect processing (and a delay, or settle it with POST …/payments/{{paymentId}}/settle)";
        }

        // notApplied is every rule's default (a rule read back from GET …/faults says so), so only applied is checked.
        if (Effect == FaultTargets.Applied && !(isApi && (Transport is "timeout" or "reset" or "http500" || (ResultCode is not null && catalogue.Find(Target, ResultCode)?.ResultStatus == "U"))))
        {
            return "effect says whether a call the client saw no outcome of took effect: it applies to a U result code or a timeout, reset or http500 transport fault of an API (create, change, update, cancel, refund, the inquiries)";
        }

        return null;
    }

    public FaultRule ToRule(string faultId, DateTimeOffset createdAt) => new()
    {
        FaultId = faultId,
        Target = Target!,
        ResultCode = ResultCode,
        Transport = Transport,
        Delivery = Delivery,
        Delay = Delay,
        Times = Times ?? 1,
        Skip = Skip ?? 0,
        Match = Match,
        Effect = Effect ?? FaultTargets.NotApplied,
        Probability = Probability,
        Seed = Seed ?? 0,
        CreatedAt = createdAt,
        Remaining = (Times ?? 1) == 0 ? null : Times ?? 1,
        SkipRemaining = Skip ?? 0,
    };
}
