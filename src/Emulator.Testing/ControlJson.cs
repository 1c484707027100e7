using System.Globalization;
using System.Text.Json.Nodes;

namespace Emulator.Testing;

/// <summary>Reads the members of the control API's JSON the typed views take (numbers may come as strings: <c>Emulator:NumbersAsStrings</c>).</summary>
internal static class ControlJson
{
    public static string? Text(JsonNode? node) => node is JsonValue value ? value.ToString() : null;

    public static int? Number(JsonNode? node) =>
        Text(node) is { } text && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : null;

    public static DateTimeOffset? Time(JsonNode? node) =>
        Text(node) is { } text ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture) : null;

    public static IEnumerable<JsonNode> Elements(JsonNode? node) => node is JsonArray array ? array.OfType<JsonNode>() : [];
}
