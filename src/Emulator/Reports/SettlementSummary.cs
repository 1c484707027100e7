using Emulator.Domain;

namespace Emulator.Reports;

/// <summary>
/// The settlement summary report of one batch (SPEC §6.1, §6.3), in SPEC §6.3's column order: a <c>TOTAL</c> row, then
/// one row per transaction type the batch has (<c>PAYMENT</c>, <c>REFUND</c>), each with its count and its settlement
/// and fee sums apart (gross settlement; the net is their sum), as Antom's sample shows. A batch without transactions
/// has the header alone (SPEC §6.1).
/// </summary>
public static class SettlementSummary
{
    public const string FileKind = "settlementSummary";

    /// <summary>The fee columns beside <c>feeAmountValue</c> (SPEC §6.3), each value followed by its currency.</summary>
    public static readonly IReadOnlyList<string> OtherFeeColumns =
    [
        "taxFeeAmountValue", "taxFeeCurrency", "processingFeeAmountValue", "processingFeeCurrency", "nonGuaranteeCouponValue",
        "nonGuaranteeCouponCurrency", "disputeHandlingFee", "disputeHandlingFeeCurrency", "disputeReverseFee",
        "disputeReverseFeeCurrency", "interchangeFeeAmountValue", "interchangeFeeCurrency", "schemeFeeAmountValue",
        "schemeFeeCurrency", "acquirerMarkupAmountValue", "acquirerMarkupCurrency",
    ];

    public static readonly IReadOnlyList<string> Columns =
    [
        "settlementBatchId", "customerId", "PSP", "summaryType", "settlementTime", "count", "settlementAmountValue",
        "settlementCurrency", "feeAmountValue", "feeCurrency", .. OtherFeeColumns,
    ];

    public const string Total = "TOTAL";

    public const string MixedPsp = "CONNECTWALLET";

    /// <summary>The fees Antom may charge besides its own that the emulator does not: zero, in <paramref name="currency"/>.</summary>
    public static IEnumerable<string> OtherFees(string currency)
    {
        var zero = new Amount(currency, 0).MajorUnits();
        return Enumerable.Range(0, OtherFeeColumns.Count / 2).SelectMany(_ => new[] { zero, currency });
    }

    public static string ToCsv(string clientId, SettlementBatch batch)
    {
        var groups = new List<(string Type, IReadOnlyList<SettledTransaction> Rows)>();
        if (batch.Rows.Count > 0)
        {
            groups.Add((Total, batch.Rows));
            foreach (var type in new[] { Reports.TransactionRow.Payment, Reports.TransactionRow.Refund })
            {
                if (batch.Rows.Where(r => r.Transaction.TransactionType == type).ToList() is { Count: > 0 } ofType)
                {
                    groups.Add((type, ofType));
                }
            }
        }

        // The PSP of a batch: the payment method its transactions went through; when a batch mixes wallets, the name
        // Antom gives Alipay+ wallets settled together (SPEC §6.1).
        var methods = batch.Rows.Select(r => r.Transaction.PaymentMethodType).Distinct(StringComparer.Ordinal).ToList();
        var psp = methods.Count == 1 ? methods[0] : MixedPsp;
        return ReportCsv.Write(Columns, groups.Select(g => (IReadOnlyList<string>)
        [
            batch.BatchId, clientId, psp, g.Type, ReportCsv.Time(batch.SettlementTime), g.Rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            new Amount(batch.Currency, g.Rows.Sum(r => r.Settlement.Value)).MajorUnits(), batch.Currency,
            new Amount(batch.Currency, g.Rows.Sum(r => r.Fee.Value)).MajorUnits(), batch.Currency,
            .. OtherFees(batch.Currency),
        ]));
    }
}
