using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Emulator.Domain;

/// <summary>Writes an amount as Antom does, <c>{"currency":"PHP","value":"19900"}</c> (SPEC §2.1).</summary>
public sealed class AmountJsonConverter : JsonConverter<Amount>
{
    public override Amount Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        var currency = root.GetProperty("currency").GetString() ?? throw new JsonException("amount without currency");
        var value = root.GetProperty("value");
        return new Amount(currency, value.ValueKind == JsonValueKind.Number ? value.GetInt64() : long.Parse(value.GetString()!, CultureInfo.InvariantCulture));
    }

    public override void Write(Utf8JsonWriter writer, Amount value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("currency", value.Currency);
        writer.WriteString("value", value.ValueText);
        writer.WriteEndObject();
    }
}
