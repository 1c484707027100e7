
namespace Emulator.Faults;

/// <summary>The body of <c>POST …/faults</c> and of each fault in a scenario file.</summary>
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

            if (catalogue.Find(Target, ResultCode) is null)
            {
                return $"resultCode '{ResultCode}' is not a result code of {Target}; allowed: {string.Join(", ", catalogue.CodesOf(Target))}";
            }
        }

        if (Transport is not null && (!isApi || !FaultTargets.TransportFaults.Contains(Transport)))
        {
            return $"transport applies to create, change and cancel and must be one of {string.Join(", ", FaultTargets.TransportFaults)}";
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
                return $"delay must be an ISO-8601 duration such as PT5S, PT10M or P1M, not negative (got '{Delay}')";
            }

            if (Delivery == "delay" && delayed == DateTimeOffset.UnixEpoch)
            {
                // A notification delayed by nothing would be due again at once, and delayed again, forever.
                return "a delivery delay must be longer than zero";
            }
        }

        if (Times < 0)
        {
            return "times must be 0 (until deleted) or more";
        }

        if (Skip < 0)
        {
            return "skip must be 0 or more";
        }

        if (Probability is < 0 or > 1)
        {
            return "probability must be between 0 and 1 (a share of the matching calls or deliveries)";
        }

        if (Effect is not null && !FaultTargets.Effects.Contains(Effect))
        {
            return "effect must be applied or notApplied";
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
