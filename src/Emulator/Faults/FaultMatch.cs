namespace Emulator.Faults;

/// <summary>
/// Narrows a fault rule to one subscription, request or phase. <see cref="FromPhaseNo"/> hits that phase and every
/// later one (renewals only: <c>2</c>).
/// </summary>
public sealed record FaultMatch(string? SubscriptionId, string? SubscriptionRequestId, int? PhaseNo, int? FromPhaseNo = null)
{
    public bool Accepts(FaultContext context) =>
        (SubscriptionId is null || SubscriptionId == context.SubscriptionId)
        && (SubscriptionRequestId is null || SubscriptionRequestId == context.SubscriptionRequestId)
        && (PhaseNo is null || PhaseNo == context.PhaseNo)
        && (FromPhaseNo is null || context.PhaseNo >= FromPhaseNo);
}
