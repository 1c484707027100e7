namespace Emulator.Control;

public sealed record ScenarioView(string Name, string Description, int Faults, string? Problem);
