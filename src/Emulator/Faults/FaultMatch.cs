namespace Emulator.Faults;

/// <summary>Narrows a fault rule to one subscription, request or phase.</summary>
public sealed record FaultMatch(string? SubscriptionId, string? SubscriptionRequestId, int? PhaseNo)
{
    public bool Accepts(FaultContext context) =>
        (SubscriptionId is null || SubscriptionId == context.SubscriptionId)
        && (SubscriptionRequestId is null || SubscriptionRequestId == context.SubscriptionRequestId)
        && (PhaseNo is null || PhaseNo == context.PhaseNo);
}
