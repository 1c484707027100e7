namespace Emulator.Faults;

/// <summary>
/// Narrows a fault rule to one subscription, request or phase. <see cref="FromPhaseNo"/> hits that phase and every
/// later one (renewals only: <c>2</c>).
/// </summary>
/// <remarks>
/// A field it does not know is refused, not ignored: a misspelt <c>phaseNo</c> ignored would widen the rule to every
/// call or phase.
/// </remarks>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
public sealed record FaultMatch(string? SubscriptionId, string? SubscriptionRequestId, int? PhaseNo, int? FromPhaseNo = null)
{
    /// <summary>What to say of a body or scenario file whose <c>match</c> names a field it does not have; null for any other problem.</summary>
    public static string? UnknownField(System.Text.Json.JsonException problem) =>
        Protocol.UnmappedMember.Of(problem, typeof(FaultMatch)) is { } field
            ? $"{field} is not a field of match, which takes subscriptionId, subscriptionRequestId, phaseNo and fromPhaseNo (a field ignored would widen the rule)"
            : null;

    public bool Accepts(FaultContext context) =>
        (SubscriptionId is null || SubscriptionId == context.SubscriptionId)
        && (SubscriptionRequestId is null || SubscriptionRequestId == context.SubscriptionRequestId)
        && (PhaseNo is null || PhaseNo == context.PhaseNo)
        && (FromPhaseNo is null || context.PhaseNo >= FromPhaseNo);
}
