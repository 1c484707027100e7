using Emulator.Domain;

namespace Emulator.Merchants;

/// <summary>
/// How a merchant's money is settled (docs/emulation.md "Reconciliation reports"; SPEC §6): the transactions of a UTC day settle
/// <see cref="CycleDays"/> days later, Antom keeps <see cref="FeeRate"/> of each payment, and a transaction settles in
/// another currency at the price <see cref="Quotes"/> gives for the pair <c>TRANSACTION/SETTLEMENT</c> (units of the
/// settlement currency one unit of the transaction currency buys).
/// </summary>
public sealed record SettlementTerms(int CycleDays, decimal FeeRate, IReadOnlyDictionary<string, decimal> Quotes)
{
    public const int MaxCycleDays = 30;

    /// <summary>What a merchant without settings of its own has: settled the next day, no fee, no quotes.</summary>
    public static SettlementTerms Default { get; } = new(1, 0m, new Dictionary<string, decimal>(StringComparer.Ordinal));

    /// <summary>The pair's name as the settlement details' <c>quoteCurrencyPair</c> writes it.</summary>
    public static string Pair(string from, string to) => $"{from}/{to}";

    /// <summary>The price of <paramref name="from"/> in <paramref name="to"/>; null when none is configured.</summary>
    public decimal? QuoteOf(string from, string to) => Quotes.TryGetValue(Pair(from, to), out var price) ? price : null;

    /// <summary>
    /// <paramref name="amount"/> converted at <paramref name="price"/>, rounded half away from zero to the target
    /// currency's minor digits (SPEC §2.1).
    /// </summary>
    public static Amount Convert(Amount amount, string to, decimal price)
    {
        var major = amount.Value / Pow10(Currencies.MinorDigits(amount.Currency)) * price;
        return new Amount(to, (long)Math.Round(major * Pow10(Currencies.MinorDigits(to)), MidpointRounding.AwayFromZero));
    }

    /// <summary>The fee Antom keeps of a payment that settles as <paramref name="settlement"/>: positive here, written negative.</summary>
    public long FeeOf(long settlement) => (long)Math.Round(FeeRate * settlement, MidpointRounding.AwayFromZero);

    private static decimal Pow10(int digits) => digits switch { 0 => 1m, 2 => 100m, 3 => 1000m, _ => (decimal)Math.Pow(10, digits) };

    // The quotes are compared by content: a merchant read again must equal the one cached (MerchantRegistry).
    public bool Equals(SettlementTerms? other) =>
        other is not null && CycleDays == other.CycleDays && FeeRate == other.FeeRate
        && Quotes.Count == other.Quotes.Count && Quotes.All(q => other.Quotes.TryGetValue(q.Key, out var p) && p == q.Value);

    public override int GetHashCode() => HashCode.Combine(CycleDays, FeeRate, Quotes.Count);
}
