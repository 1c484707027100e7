using Emulator.Domain;
using Emulator.Notifications;
using Emulator.Persistence;

namespace Emulator.Control;

/// <summary>Builds the control API's view of a subscription: plan, phases and one timeline of everything that happened.</summary>
public sealed class SubscriptionViews(SubscriptionStore store, Outbox outbox)
{
    public async Task<SubscriptionView> BuildAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        var phases = await store.PhasesAsync(subscription.SubscriptionId, cancellationToken);
        var timeline = new List<TimelineEntry>(await store.TimelineAsync(subscription.SubscriptionId, cancellationToken));
        foreach (var notification in await outbox.ListAsync(subscription.ClientId, null, subscription.SubscriptionId, null, cancellationToken))
        {
            foreach (var attempt in await outbox.AttemptsAsync(notification.NotificationId, cancellationToken))
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
