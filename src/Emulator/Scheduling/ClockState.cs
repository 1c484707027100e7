namespace Emulator.Scheduling;

/// <summary>A merchant's clock: wall time plus an offset, or frozen at an instant.</summary>
public sealed record ClockState(TimeSpan Offset, DateTimeOffset? FrozenAt)
{
    public static ClockState Wall { get; } = new(TimeSpan.Zero, null);

    public DateTimeOffset Now(DateTimeOffset wall) => FrozenAt ?? wall + Offset;
}
