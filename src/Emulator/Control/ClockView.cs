namespace Emulator.Control;

/// <summary>A merchant's clock: its time, whether it stands still, and how many times as fast as the wall it runs when it ticks.</summary>
public sealed record ClockView(DateTimeOffset Now, bool Frozen, long Rate);
