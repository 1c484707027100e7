using System.Runtime.CompilerServices;
using Emulator.Domain;
using Emulator.Notifications;
using Emulator.Persistence;

namespace Emulator.Control;

/// <summary>Builds the control API's view of a subscription: plan, phases and one timeline of everything that happened.</summary>
public sealed class SubscriptionViews(SubscriptionStore store, Outbox outbox)
{
    // Subscriptions whose rows one page of a list reads (each id is a parameter of the page's queries).
    private const int PageSize = 100;

    public async Task<SubscriptionView> BuildAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        var phases = await store.PhasesAsync(subscription.SubscriptionId, cancellationToken);
        var timeline = await store.TimelineAsync(subscription.SubscriptionId, cancellationToken);
        var notifications = await outbox.ListAsync(subscription.ClientId, null, subscription.SubscriptionId, null, cancellationToken);
        var attempts = await outbox.AttemptsOfAsync(notifications, cancellationToken);
        return Compose(subscription, phases, timeline, [.. notifications.Select(n => (n, (IReadOnlyList<AttemptRecord>)[.. attempts[n.NotificationId]]))]);
    }

    /// <summary>
    /// The views of some of one merchant's subscriptions, in their order, built a page of subscriptions at a time (four
    /// queries a page): a list of thousands is written out as it is built, never held whole.
    /// </summary>
    public async IAsyncEnumerable<SubscriptionView> BuildAllAsync(IReadOnlyList<Subscription> subscriptions, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var page in subscriptions.Chunk(PageSize))
        {
            var ids = page.Select(s => s.SubscriptionId).ToList();
            var phases = await store.PhasesOfAsync(ids, cancellationToken);
            var timelines = await store.TimelinesOfAsync(ids, cancellationToken);
            var notifications = await outbox.OfSubscriptionsAsync(ids, cancellationToken);
            var attempts = await outbox.AttemptsOfAsync(notifications.SelectMany(n => n), cancellationToken);
            foreach (var s in page)
            {
                yield return Compose(
                    s,
                    [.. phases[s.SubscriptionId]],
                    [.. timelines[s.SubscriptionId]],
                    [.. notifications[s.SubscriptionId].Select(n => (n, (IReadOnlyList<AttemptRecord>)[.. attempts[n.NotificationId]]))]);
            }
        }
    }

    private static SubscriptionView Compose(
        Subscription subscription, IReadOnlyList<Phase> phases, IReadOnlyList<TimelineEntry> stored, IReadOnlyList<(NotificationRecord Notification, IReadOnlyList<AttemptRecord> Attempts)> notifications)
    {
        var timeline = new List<TimelineEntry>(stored);
        foreach (var (notification, attempts) in notifications)
        {
            foreach (var attempt in attempts)
            {
                var http = attempt.HttpStatus is { } status ? $" (HTTP {status})" : "";
                var again = attempt.Redelivery ? " redelivery" : "";
                timeline.Add(new TimelineEntry(attempt.At, "notification", $"{notification.Kind} {notification.NotificationId} attempt {attempt.Attempt}{again}: {attempt.Outcome}{http}"));
            }
        }

        // Stable: at one instant, what the subscription did comes before the deliveries it caused.
        return SubscriptionView.From(subscription, phases, [.. timeline.Select((e, i) => (e, i)).OrderBy(x => x.e.At).ThenBy(x => x.i).Select(x => x.e)]);
    }
}
