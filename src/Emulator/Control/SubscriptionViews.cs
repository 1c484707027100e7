using Emulator.Domain;
using Emulator.Notifications;
using Emulator.Persistence;

namespace Emulator.Control;

/// <summary>Builds the control API's view of a subscription: plan, phases and one timeline of everything that happened.</summary>
public sealed class SubscriptionViews(SubscriptionStore store, Outbox outbox)
{
    // Up to this many subscriptions, a list reads each one's rows through their indexes; beyond it, the merchant's rows
    // are read in four queries and grouped, instead of a few queries per subscription and one per notification.
    private const int ReadOneByOneUpTo = 8;

    public async Task<SubscriptionView> BuildAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        var phases = await store.PhasesAsync(subscription.SubscriptionId, cancellationToken);
        var timeline = await store.TimelineAsync(subscription.SubscriptionId, cancellationToken);
        var notifications = await outbox.ListAsync(subscription.ClientId, null, subscription.SubscriptionId, null, cancellationToken);
        var attempts = await outbox.AttemptsOfAsync(notifications, cancellationToken);
        return Compose(subscription, phases, timeline, [.. notifications.Select(n => (n, (IReadOnlyList<AttemptRecord>)[.. attempts[n.NotificationId]]))]);
    }

    /// <summary>The views of some of one merchant's subscriptions, in their order.</summary>
    public async Task<List<SubscriptionView>> BuildAllAsync(string clientId, IReadOnlyList<Subscription> subscriptions, CancellationToken cancellationToken)
    {
        var views = new List<SubscriptionView>(subscriptions.Count);
        if (subscriptions.Count <= ReadOneByOneUpTo)
        {
            foreach (var subscription in subscriptions)
            {
                views.Add(await BuildAsync(subscription, cancellationToken));
            }

            return views;
        }

        var phases = await store.PhasesOfMerchantAsync(clientId, cancellationToken);
        var timelines = await store.TimelineOfMerchantAsync(clientId, cancellationToken);
        var attempts = await outbox.AttemptsOfMerchantAsync(clientId, cancellationToken);
        var notifications = (await outbox.ListAsync(clientId, null, null, null, cancellationToken))
            .ToLookup(n => n.SubscriptionId, n => (n, (IReadOnlyList<AttemptRecord>)[.. attempts[n.NotificationId]]), StringComparer.Ordinal);
        foreach (var s in subscriptions)
        {
            views.Add(Compose(s, [.. phases[s.SubscriptionId]], [.. timelines[s.SubscriptionId]], [.. notifications[s.SubscriptionId]]));
        }

        return views;
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
