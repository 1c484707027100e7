namespace Emulator.Control;

public sealed record HealthView(string Status, string Version);
