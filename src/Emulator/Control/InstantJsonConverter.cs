using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Emulator.Control;

/// <summary>
/// Instants in control API bodies must carry their offset (CONTROL-API.md: "times are ISO-8601 with offset"):
/// <c>2027-01-01T00:00:00</c> would otherwise be read in the server's own time zone, silently, and a clock advanced
/// <c>to</c> it would land hours away from what a test in another zone meant. Written as the framework writes them.
/// </summary>
public sealed partial class InstantJsonConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString()! : null;
        if (text is null || !HasOffset(text) || !reader.TryGetDateTimeOffset(out var instant))
        {
            throw new JsonException(text is not null && OutsideTheCalendar(text) is { } outside
                ? $"'{text}' {outside}"
                : $"an instant must be ISO-8601 with an offset, such as 2027-01-31T09:00:00Z or 2027-01-31T17:00:00+08:00 (got {(text is null ? reader.TokenType.ToString() : $"'{text}'")})");
        }

        return instant;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    /// <summary>A <c>Z</c> or a <c>±hh:mm</c> after the time of day.</summary>
    private static bool HasOffset(string text)
    {
        var time = text.IndexOf('T', StringComparison.OrdinalIgnoreCase);
        return time > 0 && (text.EndsWith('Z') || text.EndsWith('z') || text.IndexOfAny(['+', '-'], time) > 0);
    }

    /// <summary>
    /// Why a well-formed instant cannot be read when its offset moves it out of the calendar (<c>9999-12-31T23:00:00-01:00</c>
    /// is in the year 10000 in UTC), or null when it is not that.
    /// </summary>
    private static string? OutsideTheCalendar(string text)
    {
        if (WithOffset().Match(text) is not { Success: true } match
            || !DateTime.TryParse(match.Groups["local"].Value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return null;
        }

        var offset = match.Groups["offset"].Value is "Z" or "z" ? TimeSpan.Zero
            : TimeSpan.FromMinutes((match.Groups["offset"].Value[0] == '-' ? -1 : 1) * ((int.Parse(match.Groups["hh"].Value, CultureInfo.InvariantCulture) * 60) + int.Parse(match.Groups["mm"].Value, CultureInfo.InvariantCulture)));
        var utc = local.Ticks - offset.Ticks;
        return utc > DateTimeOffset.MaxValue.UtcTicks
            ? $"lies past the end of the calendar ({DateTimeOffset.MaxValue:O} in UTC): the clock cannot go past it"
            : utc < DateTimeOffset.MinValue.UtcTicks
                ? $"lies before the start of the calendar ({DateTimeOffset.MinValue:O} in UTC)"
                : null;
    }

    // ASCII digits only, to the very end; an offset as the reader takes it (hh:mm, at most 14:00), so that an instant the
    // reader refuses for its form is not blamed on the calendar.
    [GeneratedRegex(@"^(?<local>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,7})?)?)(?<offset>[Zz]|[+-](?:(?<hh>0[0-9]|1[0-3]):(?<mm>[0-5][0-9])|(?<hh>14):(?<mm>00)))\z")]
    private static partial Regex WithOffset();
}
