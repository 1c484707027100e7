namespace Emulator.Domain;

/// <summary>The billing period: <c>periodCount</c> units of <c>periodType</c> (SPEC §2.3).</summary>
public sealed record PeriodRule(string PeriodType, int PeriodCount)
{
    /// <summary>The period types wallet and card subscriptions accept (SPEC §2.3).</summary>
    public static IReadOnlyList<string> Types { get; } = ["DAY", "WEEK", "MONTH", "YEAR"];

    /// <summary>
    /// Adds <paramref name="periods"/> periods to <paramref name="start"/> with calendar arithmetic: a month after
    /// 31 January is the last day of February (SPEC §10 "Later phases").
    /// </summary>
    public DateTimeOffset Add(DateTimeOffset start, int periods)
    {
        var units = checked(PeriodCount * periods);
        return PeriodType switch
        {
            "DAY" => start.AddDays(units),
            "WEEK" => start.AddDays(7 * units),
            "MONTH" => start.AddMonths(units),
            "YEAR" => start.AddYears(units),
            _ => throw new InvalidOperationException($"unknown period type {PeriodType}"),
        };
    }

    public override string ToString() => PeriodCount == 1 ? $"every {PeriodType.ToLowerInvariant()}" : $"every {PeriodCount} {PeriodType.ToLowerInvariant()}s";
}
