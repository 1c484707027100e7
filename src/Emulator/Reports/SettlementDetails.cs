namespace Emulator.Reports;

/// <summary>
/// The settlement details report of one batch (SPEC §6.1, §6.4): one row per transaction settled in it, in time order
/// (then by id), laid out as the other reports are (<see cref="ReportCsv"/>). The confirmed leading columns come first,
/// then the transaction details' columns with the settlement time, the quote and the fees. Antom's fees other than the
/// one it keeps are not emulated: those columns are zero in the settlement currency, so that a job summing them reads
/// numbers.
/// </summary>
public static class SettlementDetails
{
    public const string FileKind = "settlementItems";

    public static readonly IReadOnlyList<string> Columns =
    [
        "settlementBatchId", "customerId", "PSP", "transactionId", "originalTransactionId", "transactionRequestId",
        "referenceTransactionId", "paymentMethodType", "transactionType", "transactionTime", "settlementTime",
        "transactionAmountValue", "transactionCurrency", "settlementAmountValue", "settlementCurrency", "quoteCurrencyPair",
        "quotePrice", "feeAmountValue", "feeCurrency", .. SettlementSummary.OtherFeeColumns, "orderDescription",
    ];

    public static string ToCsv(string clientId, SettlementBatch batch) => ReportCsv.Write(
        Columns,
        batch.Rows.OrderBy(r => r.Transaction.TransactionTime).ThenBy(r => r.Transaction.TransactionId, StringComparer.Ordinal).Select(settled =>
        {
            var row = settled.Transaction;
            return (IReadOnlyList<string>)
            [
                batch.BatchId, clientId, row.PaymentMethodType, row.TransactionId, row.OriginalTransactionId ?? "", row.TransactionRequestId,
                row.ReferenceTransactionId ?? "", row.PaymentMethodType, row.TransactionType, ReportCsv.Time(row.TransactionTime),
                ReportCsv.Time(batch.SettlementTime), row.Amount.MajorUnits(), row.Amount.Currency, settled.Settlement.MajorUnits(),
                settled.Settlement.Currency, settled.QuoteCurrencyPair ?? "",
                settled.QuotePrice?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", settled.Fee.MajorUnits(), settled.Fee.Currency,
                .. SettlementSummary.OtherFees(batch.Currency), row.OrderDescription,
            ];
        }));
}
