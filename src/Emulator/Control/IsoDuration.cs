using System.Globalization;
using System.Text.RegularExpressions;

namespace Emulator.Control;

/// <summary>
/// ISO-8601 durations applied with calendar arithmetic (<c>P1M</c> after 31 January is the end of February):
/// <c>PnYnMnWnDTnHnMnS</c>, each part optional, seconds may have a fraction.
/// </summary>
public static partial class IsoDuration
{
    /// <summary>Whether <paramref name="text"/> is written as a duration, however long (it may not fit the calendar).</summary>
    public static bool IsDuration(string? text) => Pattern().Match(text ?? "") is { Success: true } && text!.Length > 1 && !text.EndsWith('T');

    /// <summary>
    /// <paramref name="start"/> plus the duration; false when <paramref name="text"/> is not one (<see cref="IsDuration"/>)
    /// or the sum lies past the end of the calendar (the year 9999).
    /// </summary>
    public static bool TryAdd(DateTimeOffset start, string text, out DateTimeOffset result)
    {
        result = start;
        if (!IsDuration(text))
        {
            return false;
        }

        var match = Pattern().Match(text);
        // Each part as a long: a count of minutes beyond int (PT3000000000M, about 5,700 years) still fits the calendar.
        long Part(string name) => match.Groups[name].Success ? long.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        try
        {
            result = start.AddYears(checked((int)Part("y"))).AddMonths(checked((int)Part("mo"))).AddDays(7.0 * Part("w") + Part("d"))
                .AddHours(Part("h")).AddMinutes(Part("mi"));
            if (match.Groups["s"].Success)
            {
                result = result.AddSeconds(double.Parse(match.Groups["s"].Value, CultureInfo.InvariantCulture));
            }

            return true;
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or OverflowException)
        {
            // A part too large for a number (so for the calendar), or a time past the calendar (year 9999).
            return false;
        }
    }

    // ASCII digits only (\d takes every script's digits, which int.Parse then refused: an HTTP 500), to the very end.
    [GeneratedRegex(@"^P(?:(?<y>[0-9]+)Y)?(?:(?<mo>[0-9]+)M)?(?:(?<w>[0-9]+)W)?(?:(?<d>[0-9]+)D)?(?:T(?:(?<h>[0-9]+)H)?(?:(?<mi>[0-9]+)M)?(?:(?<s>[0-9]+(?:\.[0-9]+)?)S)?)?\z")]
    private static partial Regex Pattern();
}
