namespace Emulator.Faults;

/// <summary>The counts of a rule that a use moves (<see cref="FaultChange"/>).</summary>
internal enum FaultCount
{
    Draw,
    Skip,
    Times,
}
