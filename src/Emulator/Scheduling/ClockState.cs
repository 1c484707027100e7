namespace Emulator.Scheduling;

/// <summary>
/// A merchant's clock: frozen at an instant, or ticking. A ticking clock read <see cref="Offset"/> past the wall time at
/// the wall instant <see cref="Anchor"/> and has run <see cref="Rate"/> times as fast as the wall since (at rate 1 it is
/// wall time plus the offset, whatever the anchor).
/// </summary>
public sealed record ClockState(TimeSpan Offset, DateTimeOffset? FrozenAt, long Rate = 1, DateTimeOffset? Anchor = null)
{
    /// <summary>The fastest a clock may run: a year in about half a minute of wall time.</summary>
    public const long MaxRate = 1_000_000;

    /// <summary>Whether a clock may tick at <paramref name="rate"/> times the wall: a whole number from 1 to <see cref="MaxRate"/>.</summary>
    public static bool IsRate(long rate) => rate is >= 1 and <= MaxRate;

    public static ClockState Wall { get; } = new(TimeSpan.Zero, null);

    /// <summary>
    /// The merchant's time, in whole milliseconds as everything is stored (an approval is then due at the instant the
    /// store keeps for it); a clock moved to an end of the calendar stays there.
    /// </summary>
    public DateTimeOffset Now(DateTimeOffset wall)
    {
        if (FrozenAt is { } frozen)
        {
            return WholeMilliseconds(frozen);
        }

        // In ticks, wide enough that no rate or offset overflows before the calendar's ends clamp it. Before its anchor
        // (less than a millisecond after it was set) a faster clock stands still rather than run back.
        var anchor = Rate == 1 ? wall : Anchor ?? wall;
        var ticks = (Int128)anchor.UtcTicks + Offset.Ticks + Int128.Max(0, (Int128)wall.UtcTicks - anchor.UtcTicks) * Rate;
        var now = ticks >= DateTimeOffset.MaxValue.UtcTicks ? DateTimeOffset.MaxValue
            : ticks <= DateTimeOffset.MinValue.UtcTicks ? DateTimeOffset.MinValue
            : new DateTimeOffset((long)ticks, TimeSpan.Zero);
        return WholeMilliseconds(now);
    }

    /// <summary>
    /// A clock ticking at <paramref name="rate"/> that reads <paramref name="now"/> (whole milliseconds) at the wall
    /// instant <paramref name="wall"/>. Kept in whole milliseconds, as stored: at rate 1 the offset from the wall's
    /// millisecond (the reading cuts the wall's rest); faster, anchored at the wall's next whole millisecond, so that a
    /// wall between two milliseconds does not start it up to <paramref name="rate"/> milliseconds ahead.
    /// </summary>
    public static ClockState Ticking(DateTimeOffset now, DateTimeOffset wall, long rate)
    {
        now = WholeMilliseconds(now);
        if (rate == 1)
        {
            return new ClockState(now - WholeMilliseconds(wall), null);
        }

        var anchor = WholeMilliseconds(wall) == wall ? wall : WholeMilliseconds(wall).AddMilliseconds(1);
        return new ClockState(now - anchor, null, rate, anchor);
    }

    /// <summary>The instant cut to whole milliseconds.</summary>
    public static DateTimeOffset WholeMilliseconds(DateTimeOffset at) => at.AddTicks(-(at.UtcTicks % TimeSpan.TicksPerMillisecond));
}
