using System.Globalization;
using System.Text;
using Emulator.Domain;
using Emulator.Reports;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Emulator.Control;

/// <summary>Reconciliation reports (SPEC §6), for a merchant's settlement jobs to read as they read Antom's.</summary>
public static class ReportsApi
{
    public static RouteGroupBuilder MapReportsApi(this RouteGroupBuilder merchant)
    {
        merchant.MapGet("/reports/transactions", GetTransactionDetailsAsync).WithName("GetTransactionDetails")
            .Produces<string>(StatusCodes.Status200OK, "text/csv");
        merchant.MapGet("/reports/settlements", GetSettlementDetailsAsync).WithName("GetSettlementDetails")
            .Produces<string>(StatusCodes.Status200OK, "text/csv");
        merchant.MapGet("/reports/settlement-summary", GetSettlementSummaryAsync).WithName("GetSettlementSummary")
            .Produces<string>(StatusCodes.Status200OK, "text/csv");
        return merchant;
    }

    /// <summary>
    /// The transaction details report of a day (UTC; default: today on the merchant's clock) as a CSV file named as
    /// Antom names it; 400 for a day not written <c>yyyy-MM-dd</c>.
    /// </summary>
    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetTransactionDetailsAsync(
        string clientId, string? date, TransactionReports reports, CancellationToken cancellationToken)
    {
        if (!TryParseDay(date, out var day, out var problem))
        {
            return problem;
        }

        var (of, csv) = await reports.TransactionDetailsAsync(clientId, day, cancellationToken);
        return Csv(csv, TransactionDetails.FileName(of));
    }

    /// <summary>
    /// The settlement details of the batch that settles on a day (default: today on the merchant's clock) in a
    /// currency, as a CSV file named as Antom names it (<c>settlementItems_&lt;currency&gt;_&lt;batchId&gt;_000.csv</c>).
    /// <c>currency</c> picks the batch; it may be left out unless the day has batches in more than one currency (400
    /// naming them). A day without a batch (in that currency) gives the header alone and batch id <c>0000000000000000000</c>.
    /// </summary>
    public static Task<Results<FileContentHttpResult, ProblemHttpResult>> GetSettlementDetailsAsync(
        string clientId, string? date, string? currency, TransactionReports reports, CancellationToken cancellationToken) =>
        BatchFileAsync(clientId, date, currency, reports, SettlementDetails.FileKind, SettlementDetails.ToCsv, cancellationToken);

    /// <summary>The settlement summary of the same batch as <see cref="GetSettlementDetailsAsync"/> picks, with the same rules.</summary>
    public static Task<Results<FileContentHttpResult, ProblemHttpResult>> GetSettlementSummaryAsync(
        string clientId, string? date, string? currency, TransactionReports reports, CancellationToken cancellationToken) =>
        BatchFileAsync(clientId, date, currency, reports, SettlementSummary.FileKind, SettlementSummary.ToCsv, cancellationToken);

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> BatchFileAsync(
        string clientId, string? date, string? currency, TransactionReports reports, string kind, Func<string, SettlementBatch, string> write, CancellationToken cancellationToken)
    {
        if (!TryParseDay(date, out var day, out var problem))
        {
            return problem;
        }

        // The dashboard's form sends an empty currency when none is chosen.
        currency = string.IsNullOrEmpty(currency) ? null : currency;
        if (currency is not null && !Currencies.IsKnown(currency))
        {
            return ControlProblems.BadRequest($"currency must be an ISO 4217 currency code in capitals, such as USD (got '{currency}')");
        }

        var (settlementDate, batches) = await reports.SettlementBatchesAsync(clientId, day, cancellationToken);
        if (currency is null && batches.Count > 1)
        {
            var currencies = string.Join(", ", batches.Select(b => b.Currency));
            return ControlProblems.BadRequest(
                $"{settlementDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} has a settlement batch in each of {currencies}: name one with currency=, such as currency={batches[0].Currency}");
        }

        // Without a currency, the day's only batch (or none).
        var batch = batches.FirstOrDefault(b => currency is null || b.Currency == currency)
            ?? new SettlementBatch(settlementDate, currency ?? SettlementBatch.NoCurrency, SettlementBatch.NoBatchId, []);
        return Csv(write(clientId, batch), batch.FileName(kind));
    }

    private static bool TryParseDay(string? date, out DateOnly? day, out ProblemHttpResult problem)
    {
        day = null;
        problem = null!;
        if (date is null)
        {
            return true;
        }

        if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            problem = ControlProblems.BadRequest($"date must be a day written yyyy-MM-dd, such as 2027-02-28 (got '{date}')");
            return false;
        }

        day = parsed;
        return true;
    }

    private static FileContentHttpResult Csv(string csv, string fileName) => TypedResults.File(Encoding.UTF8.GetBytes(csv), "text/csv; charset=utf-8", fileName);
}
