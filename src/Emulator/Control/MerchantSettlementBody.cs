using System.Globalization;
using Emulator.Domain;
using Emulator.Merchants;

namespace Emulator.Control;

/// <summary>
/// Optional settlement settings of <c>PUT /_emulator/v1/merchants/{clientId}</c>:
/// <c>{"cycleDays":1,"feeRate":"0.029","quotes":{"PHP/USD":"0.0171"}}</c>, each part optional (docs/emulation.md "Reconciliation
/// reports"). Rates and prices are strings, as Antom writes amounts, so that no digit is lost to a binary number.
/// </summary>
public sealed record MerchantSettlementBody(int? CycleDays, string? FeeRate, Dictionary<string, string>? Quotes)
{
    /// <summary>The terms these settings make (absent parts: the defaults), or what to fix.</summary>
    public bool TryGetTerms(out SettlementTerms terms, out string error)
    {
        terms = SettlementTerms.Default;
        error = "";
        var cycleDays = CycleDays ?? SettlementTerms.Default.CycleDays;
        if (cycleDays is < 0 or > SettlementTerms.MaxCycleDays)
        {
            error = $"settlement.cycleDays must be a whole number of days from 0 to {SettlementTerms.MaxCycleDays}: the transactions of a day settle that many days later (got {cycleDays})";
            return false;
        }

        var feeRate = SettlementTerms.Default.FeeRate;
        if (FeeRate is not null && (!TryParse(FeeRate, out feeRate) || feeRate > 1m))
        {
            error = $"settlement.feeRate must be a decimal fraction from 0 to 1 written as a string, such as \"0.029\" for 2.9 % (got '{FeeRate}')";
            return false;
        }

        var quotes = new SortedDictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var (pair, text) in Quotes ?? [])
        {
            var parts = pair.Split('/');
            if (parts.Length != 2 || !parts.All(Currencies.IsKnown) || parts[0] == parts[1])
            {
                error = $"settlement.quotes keys must be pairs of two different ISO 4217 currency codes written TRANSACTION/SETTLEMENT, such as \"PHP/USD\" (got '{pair}')";
                return false;
            }

            if (text is null || !TryParse(text, out var price) || price == 0m)
            {
                error = $"settlement.quotes[\"{pair}\"] must be a positive decimal written as a string: how many {parts[1]} one {parts[0]} buys, such as \"0.0171\" (got '{text}')";
                return false;
            }

            quotes[pair] = price;
        }

        terms = new SettlementTerms(cycleDays, feeRate, new Dictionary<string, decimal>(quotes, StringComparer.Ordinal));
        return true;
    }

    // Digits with at most one decimal point: no sign, exponent or grouping, as Antom's amount strings are written.
    private static bool TryParse(string text, out decimal value) =>
        decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);

    /// <summary>The settings as the merchant view shows them (defaults filled in).</summary>
    public static MerchantSettlementBody From(SettlementTerms terms) => new(
        terms.CycleDays,
        terms.FeeRate.ToString(CultureInfo.InvariantCulture),
        terms.Quotes.OrderBy(q => q.Key, StringComparer.Ordinal).ToDictionary(q => q.Key, q => q.Value.ToString(CultureInfo.InvariantCulture), StringComparer.Ordinal));
}
