using Emulator.Merchants;
using Emulator.Persistence;
using Emulator.Scheduling;

namespace Emulator.Reports;

/// <summary>Reads what a day's reconciliation reports list (docs/emulation.md "Reconciliation reports").</summary>
public sealed class TransactionReports(Database database, SubscriptionStore subscriptions, MerchantClocks clocks, MerchantRegistry merchants)
{
    // Subscriptions whose rows one read takes (each id is a parameter of its queries), as the control API's lists do.
    private const int PageSize = 100;

    /// <summary>
    /// The merchant's transaction details of <paramref name="day"/> (UTC; null: today on its clock) as they stand on its
    /// clock: what happened later that day on its clock is not there yet, as Antom's report of a day is made the day after.
    /// </summary>
    public async Task<(DateOnly Day, string Csv)> TransactionDetailsAsync(string clientId, DateOnly? day, CancellationToken cancellationToken)
    {
        var now = await clocks.NowAsync(clientId, cancellationToken);
        var of = day ?? DateOnly.FromDateTime(now.UtcDateTime);
        var terms = await TermsAsync(clientId, cancellationToken);
        return (of, TransactionDetails.ToCsv(clientId, await RowsAsync(clientId, of, now, cancellationToken), terms));
    }

    /// <summary>
    /// The batches that settle on <paramref name="settlementDate"/> (null: today on the merchant's clock), one per
    /// settlement currency, in currency order: the transactions of the UTC day the merchant's settlement cycle before
    /// that happened by now on its clock (SPEC §6.1).
    /// </summary>
    public async Task<(DateOnly SettlementDate, IReadOnlyList<SettlementBatch> Batches)> SettlementBatchesAsync(
        string clientId, DateOnly? settlementDate, CancellationToken cancellationToken)
    {
        var now = await clocks.NowAsync(clientId, cancellationToken);
        var date = settlementDate ?? DateOnly.FromDateTime(now.UtcDateTime);
        var terms = await TermsAsync(clientId, cancellationToken);
        if (date.DayNumber - terms.CycleDays < DateOnly.MinValue.DayNumber)
        {
            return (date, []);
        }

        var rows = await RowsAsync(clientId, date.AddDays(-terms.CycleDays), now, cancellationToken);
        var batches = rows.Select(r => SettledTransaction.Of(r, terms))
            .GroupBy(r => r.Settlement.Currency, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new SettlementBatch(date, g.Key, SettlementBatch.IdOf(clientId, date, g.Key), [.. g]))
            .ToList();
        return (date, batches);
    }

    private async Task<SettlementTerms> TermsAsync(string clientId, CancellationToken cancellationToken) =>
        (await merchants.FindAsync(clientId, cancellationToken))?.Merchant.Terms ?? SettlementTerms.Default;

    /// <summary>The transactions of the UTC day <paramref name="day"/> that happened by <paramref name="now"/>: what every report lists.</summary>
    private async Task<List<TransactionRow>> RowsAsync(string clientId, DateOnly day, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var from = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

        // The calendar's last day has no next one: it runs to the calendar's end (times are kept in whole milliseconds,
        // so none is that end itself).
        var until = day == DateOnly.MaxValue ? DateTimeOffset.MaxValue : from.AddDays(1);
        var rows = new List<TransactionRow>();
        foreach (var page in (await subscriptions.ListIdsAsync(clientId, null, null, cancellationToken)).Chunk(PageSize))
        {
            await using var snapshot = await database.SnapshotAsync(cancellationToken);
            var phases = await SubscriptionStore.PhasesOfAsync(snapshot, page, cancellationToken);
            var paid = phases.SelectMany(p => p).Where(p => p.Succeeded).Select(p => p.PaymentId).ToList();
            var refunds = (await RefundStore.OfPaymentsAsync(snapshot, paid, cancellationToken)).ToLookup(r => r.SubscriptionId, StringComparer.Ordinal);
            foreach (var subscription in await SubscriptionStore.ByIdsAsync(snapshot, page, cancellationToken))
            {
                rows.AddRange(TransactionDetails.Rows(subscription, phases[subscription.SubscriptionId], refunds[subscription.SubscriptionId], from, until, now));
            }
        }

        return rows;
    }
}
