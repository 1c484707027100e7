namespace Emulator.Faults;

/// <summary>What one use of the rules changes in one rule: a seeded draw counted, a skip let through, a time hit.</summary>
internal sealed record FaultChange(string FaultId, FaultCount Count);
