namespace Emulator.Domain;

/// <summary>The billing period: <c>periodCount</c> units of <c>periodType</c> (SPEC §2.3).</summary>
public sealed record PeriodRule(string PeriodType, int PeriodCount)
{
    /// <summary>The period types wallet and card subscriptions accept (SPEC §2.3).</summary>
    public static IReadOnlyList<string> Types { get; } = ["DAY", "WEEK", "MONTH", "YEAR"];

    /// <summary>
    /// Adds <paramref name="periods"/> periods to <paramref name="start"/> with calendar arithmetic: a month after
    /// 31 January is the last day of February (SPEC §10 "Later phases"). A time past the end of the calendar (the year
    /// 9999) is <see cref="DateTimeOffset.MaxValue"/>: a phase that never starts (before the year 1, the minimum).
    /// </summary>
    public DateTimeOffset Add(DateTimeOffset start, int periods)
    {
        var units = (long)PeriodCount * periods;
        try
        {
            return PeriodType switch
            {
                "DAY" => start.AddDays(units),
                "WEEK" => start.AddDays(7.0 * units),
                "MONTH" => start.AddMonths(checked((int)units)),
                "YEAR" => start.AddYears(checked((int)units)),
                _ => throw new InvalidOperationException($"unknown period type {PeriodType}"),
            };
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or ArgumentException or OverflowException)
        {
            return units > 0 ? DateTimeOffset.MaxValue : DateTimeOffset.MinValue;
        }
    }

    /// <summary>Whether one period from <paramref name="start"/> ends within the calendar (before the year 10000).</summary>
    public bool FitsAfter(DateTimeOffset start) => Add(start, 1) != DateTimeOffset.MaxValue;

    public override string ToString() => PeriodCount == 1 ? $"every {PeriodType.ToLowerInvariant()}" : $"every {PeriodCount} {PeriodType.ToLowerInvariant()}s";
}
