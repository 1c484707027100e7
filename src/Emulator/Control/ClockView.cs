namespace Emulator.Control;

public sealed record ClockView(DateTimeOffset Now, bool Frozen);
