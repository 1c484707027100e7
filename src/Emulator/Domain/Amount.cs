using System.Globalization;

namespace Emulator.Domain;

/// <summary>An amount in the currency's smallest unit (SPEC §2.1).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(AmountJsonConverter))]
public sealed record Amount(string Currency, long Value)
{
    public string ValueText => Value.ToString(CultureInfo.InvariantCulture);

    public override string ToString() => $"{ValueText} {Currency}";
}
