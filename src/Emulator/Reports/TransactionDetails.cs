using System.Globalization;
using Emulator.Domain;
using Emulator.Merchants;

namespace Emulator.Reports;

/// <summary>
/// The transaction details report of one day (SPEC §6.1–6.4), as Antom lays it out: a header row of column names, one
/// row per transaction, and <c>&lt;END&gt;</c> as the last line; amounts in major units (SPEC §6.2), a refund's
/// settlement amount negative. The transactions of a day are the period payments that succeeded that day and the
/// refunds that went back to the buyer that day (a payment that failed moved no money). Antom's full column list and
/// fee columns are not known (SPEC §8.12): the report has the confirmed leading columns and the amounts, no fees.
/// </summary>
public static class TransactionDetails
{
    public static readonly IReadOnlyList<string> Columns =
    [
        "customerId", "PSP", "transactionId", "originalTransactionId", "transactionRequestId", "referenceTransactionId",
        "paymentMethodType", "transactionType", "transactionTime", "transactionAmountValue", "transactionCurrency",
        "settlementAmountValue", "settlementCurrency", "orderDescription",
    ];

    /// <summary>The report's default name (SPEC §6.1: <c>transactionItems_&lt;transactionDate&gt;_000.csv</c>).</summary>
    public static string FileName(DateOnly day) => $"transactionItems_{day.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}_000.csv";

    /// <summary>
    /// The day's rows, in time order: the successful payments of <paramref name="phases"/> and the refunds of them that
    /// had gone back by <paramref name="now"/> (one a fault left processing counts from when it succeeded).
    /// </summary>
    public static IReadOnlyList<TransactionRow> Rows(
        Subscription subscription, IEnumerable<Phase> phases, IEnumerable<Refund> refunds, DateTimeOffset from, DateTimeOffset until, DateTimeOffset now)
    {
        var method = subscription.Plan.PaymentMethod.PaymentMethodType;
        var description = subscription.Plan.Description;
        var settlementCurrency = subscription.Plan.SettlementCurrency;
        var rows = new List<TransactionRow>();
        foreach (var phase in phases)
        {
            if (phase.Succeeded && phase.PaymentTime is { } paid && paid >= from && paid < until && paid <= now)
            {
                rows.Add(new TransactionRow(phase.PaymentId, null, subscription.SubscriptionId, subscription.SubscriptionRequestId, method,
                    TransactionRow.Payment, paid, phase.Amount, description, settlementCurrency));
            }
        }

        // A refund's share of its payment counts what the refunds of the payment before it took back (SettledTransaction).
        var paidAmounts = phases.ToDictionary(p => p.PaymentId, p => p.Amount, StringComparer.Ordinal);
        var back = refunds.Select(r => r.At(now)).Where(r => r.CompletedAt is { } at && at <= now)
            .OrderBy(r => r.CompletedAt).ThenBy(r => r.RefundId, StringComparer.Ordinal).ToList();
        var refundedBefore = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var refund in back)
        {
            var before = refundedBefore.GetValueOrDefault(refund.PaymentId);
            refundedBefore[refund.PaymentId] = before + refund.Amount.Value;
            if (refund.CompletedAt is { } completed && completed >= from && completed < until)
            {
                rows.Add(new TransactionRow(refund.RefundId, refund.PaymentId, refund.RefundRequestId, refund.ReferenceRefundId, method,
                    TransactionRow.Refund, completed, refund.Amount, description, settlementCurrency,
                    paidAmounts.GetValueOrDefault(refund.PaymentId) ?? refund.Amount, before));
            }
        }

        return rows;
    }

    /// <summary>
    /// The report's text: <paramref name="rows"/> in time order (then by id); the settlement columns as the merchant's
    /// <paramref name="terms"/> settle each row (<see cref="SettledTransaction"/>), the same amounts as the settlement details.
    /// </summary>
    public static string ToCsv(string clientId, IEnumerable<TransactionRow> rows, SettlementTerms terms) => ReportCsv.Write(
        Columns,
        rows.OrderBy(r => r.TransactionTime).ThenBy(r => r.TransactionId, StringComparer.Ordinal).Select(row =>
        {
            var settled = SettledTransaction.Of(row, terms);
            return (IReadOnlyList<string>)
            [
                clientId, row.PaymentMethodType, row.TransactionId, row.OriginalTransactionId ?? "", row.TransactionRequestId,
                row.ReferenceTransactionId ?? "", row.PaymentMethodType, row.TransactionType, ReportCsv.Time(row.TransactionTime),
                row.Amount.MajorUnits(), row.Amount.Currency, settled.Settlement.MajorUnits(), settled.Settlement.Currency, row.OrderDescription,
            ];
        }));
}
