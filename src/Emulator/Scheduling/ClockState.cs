namespace Emulator.Scheduling;

/// <summary>A merchant's clock: wall time plus an offset, or frozen at an instant.</summary>
public sealed record ClockState(TimeSpan Offset, DateTimeOffset? FrozenAt)
{
    public static ClockState Wall { get; } = new(TimeSpan.Zero, null);

    /// <summary>
    /// The merchant's time, in whole milliseconds as everything is stored (an approval is then due at the instant the
    /// store keeps for it); a clock moved to an end of the calendar stays there.
    /// </summary>
    public DateTimeOffset Now(DateTimeOffset wall)
    {
        var now = FrozenAt ?? (Offset > DateTimeOffset.MaxValue - wall ? DateTimeOffset.MaxValue
            : Offset < DateTimeOffset.MinValue - wall ? DateTimeOffset.MinValue
            : wall + Offset);
        return WholeMilliseconds(now);
    }

    /// <summary>The instant cut to whole milliseconds.</summary>
    public static DateTimeOffset WholeMilliseconds(DateTimeOffset at) => at.AddTicks(-(at.UtcTicks % TimeSpan.TicksPerMillisecond));
}
