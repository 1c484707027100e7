using System.Runtime.CompilerServices;
using Emulator.Domain;
using Emulator.Notifications;
using Emulator.Persistence;

namespace Emulator.Control;

/// <summary>Builds the control API's view of a subscription: plan, phases, refunds and one timeline of everything that happened.</summary>
public sealed class SubscriptionViews(Database database, Scheduling.MerchantClocks clocks)
{
    // Subscriptions whose rows one page of a list reads (each id is a parameter of the page's queries).
    private const int PageSize = 100;

    /// <summary>The subscription's view, read again with everything it owns as of one instant (a list's page of one).</summary>
    public async Task<SubscriptionView> BuildAsync(Subscription subscription, CancellationToken cancellationToken) =>
        (await PageAsync(subscription.ClientId, [subscription.SubscriptionId], null, cancellationToken)) is [var view] ? view : Compose(subscription, [], [], [], []);

    /// <summary>
    /// The views of some of the merchant's subscriptions, in the order of <paramref name="subscriptionIds"/>, a page at a time: each page
    /// (subscriptions, phases, timelines, notifications and their attempts) is read as of one instant, so an element
    /// never contradicts itself, and a list of thousands is written out as it is read, never held whole. A subscription
    /// that no longer has <paramref name="status"/> when its page is read is left out.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<SubscriptionView>> PagesAsync(
        string clientId, IReadOnlyList<string> subscriptionIds, SubscriptionStatus? status, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var ids in subscriptionIds.Chunk(PageSize))
        {
            yield return await PageAsync(clientId, ids, status, cancellationToken);
        }
    }

    private async Task<IReadOnlyList<SubscriptionView>> PageAsync(string clientId, string[] ids, SubscriptionStatus? status, CancellationToken cancellationToken)
    {
        // A refund left processing is shown as it stands at the merchant's time.
        var now = await clocks.NowAsync(clientId, cancellationToken);
        await using var snapshot = await database.SnapshotAsync(cancellationToken);
        var subscriptions = (await SubscriptionStore.ByIdsAsync(snapshot, ids, cancellationToken)).ToDictionary(s => s.SubscriptionId, StringComparer.Ordinal);
        var phases = await SubscriptionStore.PhasesOfAsync(snapshot, ids, cancellationToken);
        var timelines = await SubscriptionStore.TimelinesOfAsync(snapshot, ids, cancellationToken);
        var refunds = (await RefundStore.OfPaymentsAsync(snapshot, [.. phases.SelectMany(p => p).Where(p => p.Succeeded).Select(p => p.PaymentId)], cancellationToken))
            .ToLookup(r => r.SubscriptionId, StringComparer.Ordinal);
        var notifications = await Outbox.OfSubscriptionsAsync(snapshot, ids, cancellationToken);
        var attempts = await Outbox.AttemptsOfAsync(snapshot, notifications.SelectMany(n => n), cancellationToken);
        return
        [
            .. ids.Select(id => subscriptions.GetValueOrDefault(id)).OfType<Subscription>().Where(s => status is null || s.Status == status).Select(s => Compose(
                s,
                [.. phases[s.SubscriptionId]],
                [.. refunds[s.SubscriptionId].Select(r => r.At(now))],
                [.. timelines[s.SubscriptionId], .. SettledByThemselves(refunds[s.SubscriptionId], now)],
                [.. notifications[s.SubscriptionId].Select(n => (n, (IReadOnlyList<AttemptRecord>)[.. attempts[n.NotificationId]]))])),
        ];
    }

    /// <summary>
    /// The refunds a fault left processing whose time is over by <paramref name="now"/>: they succeeded then, though
    /// nothing was written (their status is worked out when read), so their timeline line is made here.
    /// </summary>
    private static IEnumerable<TimelineEntry> SettledByThemselves(IEnumerable<Refund> stored, DateTimeOffset now) =>
        stored.Where(r => r.Status == Refund.Processing).Select(r => r.At(now)).Where(r => r.Status == Refund.Success).Select(r => new TimelineEntry(
            r.SettledAt!.Value, "refund", $"refund {r.RefundId} of {r.Amount} (phase {r.PhaseNo}, {r.PaymentId}) settled: {r.Status} (its processing time was over)", long.MaxValue));

    private static SubscriptionView Compose(
        Subscription subscription, IReadOnlyList<Phase> phases, IReadOnlyList<Refund> refunds, IReadOnlyList<TimelineEntry> stored, IReadOnlyList<(NotificationRecord Notification, IReadOnlyList<AttemptRecord> Attempts)> notifications)
    {
        // At one instant, an attempt goes after the rows written before it was sent (what the subscription did, which
        // caused it) and before those written while it was out (a webhook handler's cancel). Attempts of earlier
        // versions, which have no mark, go after all of that instant's rows.
        var timeline = new List<(TimelineEntry Entry, long Place, bool IsAttempt)>(stored.Select(e => (e, e.Seq, false)));
        foreach (var (notification, attempts) in notifications)
        {
            foreach (var attempt in attempts)
            {
                var http = attempt.HttpStatus is { } status ? $" (HTTP {status})" : "";
                var again = attempt.Redelivery ? " redelivery" : "";
                timeline.Add((
                    new TimelineEntry(attempt.At, "notification", $"{notification.Kind} {notification.NotificationId} attempt {attempt.Attempt}{again}: {attempt.Outcome}{http}"),
                    attempt.TimelineMark ?? long.MaxValue,
                    true));
            }
        }

        // OrderBy is stable: what ties stays in the order it was added (stored rows in order, attempts by notification).
        return SubscriptionView.From(subscription, phases, refunds, [.. timeline
            .OrderBy(x => x.Entry.At).ThenBy(x => x.Place).ThenBy(x => x.IsAttempt)
            .Select(x => x.Entry)]);
    }
}
