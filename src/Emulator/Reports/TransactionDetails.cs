using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Emulator.Domain;

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
        var rows = new List<TransactionRow>();
        foreach (var phase in phases)
        {
            if (phase.Succeeded && phase.PaymentTime is { } paid && paid >= from && paid < until && paid <= now)
            {
                rows.Add(new TransactionRow(phase.PaymentId, null, subscription.SubscriptionId, subscription.SubscriptionRequestId, method,
                    TransactionRow.Payment, paid, phase.Amount, description));
            }
        }

        foreach (var refund in refunds.Select(r => r.At(now)))
        {
            if (refund.CompletedAt is { } back && back >= from && back < until && back <= now)
            {
                rows.Add(new TransactionRow(refund.RefundId, refund.PaymentId, refund.RefundRequestId, refund.ReferenceRefundId, method,
                    TransactionRow.Refund, back, refund.Amount, description));
            }
        }

        return rows;
    }

    /// <summary>The report's text: <paramref name="rows"/> in time order (then by id), quoted as RFC 4180 says.</summary>
    public static string ToCsv(string clientId, IEnumerable<TransactionRow> rows)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        using (var csv = new CsvWriter(text, new CsvConfiguration(CultureInfo.InvariantCulture) { NewLine = "\n" }, leaveOpen: true))
        {
            foreach (var column in Columns)
            {
                csv.WriteField(column);
            }

            csv.NextRecord();
            foreach (var row in rows.OrderBy(r => r.TransactionTime).ThenBy(r => r.TransactionId, StringComparer.Ordinal))
            {
                var settlement = row.TransactionType == TransactionRow.Refund ? row.Amount with { Value = -row.Amount.Value } : row.Amount;
                csv.WriteField(clientId);
                csv.WriteField(row.PaymentMethodType);
                csv.WriteField(row.TransactionId);
                csv.WriteField(row.OriginalTransactionId ?? "");
                csv.WriteField(row.TransactionRequestId);
                csv.WriteField(row.ReferenceTransactionId ?? "");
                csv.WriteField(row.PaymentMethodType);
                csv.WriteField(row.TransactionType);
                csv.WriteField(row.TransactionTime.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture));
                csv.WriteField(row.Amount.MajorUnits());
                csv.WriteField(row.Amount.Currency);
                csv.WriteField(settlement.MajorUnits());
                csv.WriteField(settlement.Currency);
                csv.WriteField(row.OrderDescription);
                csv.NextRecord();
            }
        }

        text.Write("<END>\n");
        return text.ToString();
    }
}
