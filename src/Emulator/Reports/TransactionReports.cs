using Emulator.Persistence;
using Emulator.Scheduling;

namespace Emulator.Reports;

/// <summary>Reads what a day's reconciliation report lists (README "Reconciliation reports").</summary>
public sealed class TransactionReports(Database database, SubscriptionStore subscriptions, MerchantClocks clocks)
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
        var from = new DateTimeOffset(of.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var rows = new List<TransactionRow>();
        foreach (var page in (await subscriptions.ListIdsAsync(clientId, null, null, cancellationToken)).Chunk(PageSize))
        {
            await using var snapshot = await database.SnapshotAsync(cancellationToken);
            var phases = await SubscriptionStore.PhasesOfAsync(snapshot, page, cancellationToken);
            var paid = phases.SelectMany(p => p).Where(p => p.Succeeded).Select(p => p.PaymentId).ToList();
            var refunds = (await RefundStore.OfPaymentsAsync(snapshot, paid, cancellationToken)).ToLookup(r => r.SubscriptionId, StringComparer.Ordinal);
            foreach (var subscription in await SubscriptionStore.ByIdsAsync(snapshot, page, cancellationToken))
            {
                rows.AddRange(TransactionDetails.Rows(subscription, phases[subscription.SubscriptionId], refunds[subscription.SubscriptionId], from, from.AddDays(1), now));
            }
        }

        return (of, TransactionDetails.ToCsv(clientId, rows));
    }
}
