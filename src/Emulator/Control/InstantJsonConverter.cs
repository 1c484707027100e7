using System.Text.Json;
using System.Text.Json.Serialization;

namespace Emulator.Control;

/// <summary>
/// Instants in control API bodies must carry their offset (CONTROL-API.md: "times are ISO-8601 with offset"):
/// <c>2027-01-01T00:00:00</c> would otherwise be read in the server's own time zone, silently, and a clock advanced
/// <c>to</c> it would land hours away from what a test in another zone meant. Written as the framework writes them.
/// </summary>
public sealed class InstantJsonConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString()! : null;
        if (text is null || !HasOffset(text) || !reader.TryGetDateTimeOffset(out var instant))
        {
            throw new JsonException($"an instant must be ISO-8601 with an offset, such as 2027-01-31T09:00:00Z or 2027-01-31T17:00:00+08:00 (got {(text is null ? reader.TokenType.ToString() : $"'{text}'")})");
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
}
