using System.Globalization;
using System.Text;
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
        return merchant;
    }

    /// <summary>
    /// The transaction details report of a day (UTC; default: today on the merchant's clock) as a CSV file named as
    /// Antom names it; 400 for a day not written <c>yyyy-MM-dd</c>.
    /// </summary>
    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetTransactionDetailsAsync(
        string clientId, string? date, TransactionReports reports, CancellationToken cancellationToken)
    {
        DateOnly? day = null;
        if (date is not null)
        {
            if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
            {
                return ControlProblems.BadRequest($"date must be a day written yyyy-MM-dd, such as 2027-02-28 (got '{date}')");
            }

            day = parsed;
        }

        var (of, csv) = await reports.TransactionDetailsAsync(clientId, day, cancellationToken);
        return TypedResults.File(Encoding.UTF8.GetBytes(csv), "text/csv; charset=utf-8", TransactionDetails.FileName(of));
    }
}
