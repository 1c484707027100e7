namespace Emulator.Faults;

/// <summary>What a call, deduction or delivery is about, for matching fault rules.</summary>
public sealed record FaultContext(string? SubscriptionId, string? SubscriptionRequestId, int? PhaseNo);
