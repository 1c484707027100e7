namespace Emulator.Persistence;

/// <summary>A run of a merchant's time machine in another instance (<see cref="Database.OtherRunAsync"/>).</summary>
public sealed record OtherRun(DateTimeOffset? Reached, bool Advancing);
