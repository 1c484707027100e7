using System.Globalization;

namespace Emulator.Domain;

/// <summary>An amount in the currency's smallest unit (SPEC §2.1).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(AmountJsonConverter))]
public sealed record Amount(string Currency, long Value)
{
    public string ValueText => Value.ToString(CultureInfo.InvariantCulture);

    public override string ToString() => $"{ValueText} {Currency}";

    /// <summary>The value in major units, without grouping, as Antom's reports write amounts (SPEC §6.2): 19900 PHP is <c>199.00</c>.</summary>
    public string MajorUnits()
    {
        var digits = Currencies.MinorDigits(Currency);
        return ((decimal)Value / (decimal)Math.Pow(10, digits)).ToString("F" + digits, CultureInfo.InvariantCulture);
    }

    /// <summary>As a person reads it: the value in major units (19900 PHP is <c>199.00 PHP</c>, 500 JPY is <c>500 JPY</c>).</summary>
    public string ForPeople()
    {
        var digits = Currencies.MinorDigits(Currency);
        var major = Math.Abs((decimal)Value) / (decimal)Math.Pow(10, digits);
        return $"{(Value < 0 ? "-" : "")}{major.ToString("N" + digits, CultureInfo.InvariantCulture)} {Currency}";
    }
}
