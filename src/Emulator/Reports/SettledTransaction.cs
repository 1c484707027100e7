using Emulator.Domain;
using Emulator.Merchants;

namespace Emulator.Reports;

/// <summary>
/// A transaction as it settles under the merchant's <see cref="SettlementTerms"/> (docs/emulation.md "Reconciliation reports"):
/// in the create's settlement currency when a quote for the pair is configured (else in its own currency), its fee
/// negative (kept by Antom), a refund's settlement negative and its fee positive (returned), as SPEC §6.2 says.
/// </summary>
/// <remarks>
/// A refund settles, and returns of the fee, its share of the payment it refunds, counted from what the refunds of the
/// payment before it took back: the rounded share after it less the rounded share before it. A payment refunded in
/// parts therefore never gives back more than it settled or was charged, and one refunded in full gives back exactly that.
/// </remarks>
public sealed record SettledTransaction(TransactionRow Transaction, Amount Settlement, Amount Fee, string? QuoteCurrencyPair, decimal? QuotePrice)
{
    public static SettledTransaction Of(TransactionRow row, SettlementTerms terms)
    {
        var currency = row.Amount.Currency;
        var price = row.SettlementCurrency is { } wanted && wanted != currency ? terms.QuoteOf(currency, wanted) : null;
        var target = price is null ? currency : row.SettlementCurrency!;
        Amount Settle(Amount amount) => price is { } p ? SettlementTerms.Convert(amount, target, p) : amount;
        var pair = price is null ? null : SettlementTerms.Pair(currency, target);

        if (row.TransactionType != TransactionRow.Refund || row.OriginalAmount is not { Value: > 0 } paid)
        {
            var settled = Settle(row.Amount);
            return new SettledTransaction(row, settled, new Amount(target, -terms.FeeOf(settled.Value)), pair, price);
        }

        var paidSettled = Settle(paid).Value;
        var paidFee = terms.FeeOf(paidSettled);
        var before = row.RefundedBefore;
        var after = before + row.Amount.Value;
        long Share(long whole, long refunded) => (long)Math.Round((decimal)whole * refunded / paid.Value, MidpointRounding.AwayFromZero);
        return new SettledTransaction(
            row,
            new Amount(target, -(Share(paidSettled, after) - Share(paidSettled, before))),
            new Amount(target, Share(paidFee, after) - Share(paidFee, before)),
            pair,
            price);
    }
}
