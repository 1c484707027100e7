using Emulator.Merchants;
using Emulator.Notifications;
using Emulator.Scheduling;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Emulator.Control;

/// <summary>The notification ledger and redelivery (CONTROL-API.md "Notifications").</summary>
public static class NotificationsApi
{
    public static RouteGroupBuilder MapNotificationsApi(this RouteGroupBuilder merchant)
    {
        merchant.MapGet("/notifications", ListNotificationsAsync).WithName("ListNotifications");
        merchant.MapPost("/notifications/{notificationId}/redeliver", RedeliverAsync).WithName("RedeliverNotification");
        return merchant;
    }

    public static async Task<Results<Ok<List<NotificationView>>, ProblemHttpResult>> ListNotificationsAsync(
        string clientId, string? kind, string? subscriptionId, string? status, Outbox outbox, CancellationToken cancellationToken)
    {
        // A misspelt filter would match nothing and look like an empty ledger; an empty one (?kind=) is no filter.
        kind = string.IsNullOrEmpty(kind) ? null : kind;
        status = string.IsNullOrEmpty(status) ? null : status;
        if (kind is not (null or "notifySubscription" or "notifyPayment"))
        {
            return ControlProblems.BadRequest($"kind must be notifySubscription or notifyPayment (got '{kind}')");
        }

        if (status is not (null or "pending" or "acknowledged" or "exhausted"))
        {
            return ControlProblems.BadRequest($"status must be one of pending, acknowledged, exhausted (got '{status}')");
        }

        var notifications = await outbox.ListAsync(clientId, kind, subscriptionId, status, cancellationToken);
        var attempts = await outbox.AttemptsOfAsync(notifications, cancellationToken);
        return TypedResults.Ok(notifications.Select(n => NotificationView.From(n, [.. attempts[n.NotificationId]])).ToList());
    }

    /// <summary>One more attempt now, with the original body and a fresh request-time and signature; made before the 202.</summary>
    public static async Task<Results<Accepted<NotificationView>, ProblemHttpResult>> RedeliverAsync(
        string clientId, string notificationId, Outbox outbox, TimeMachine machine, CancellationToken cancellationToken)
    {
        if (await machine.RedeliverAsync(clientId, notificationId, cancellationToken) is not { } after)
        {
            return ControlProblems.NotFound($"merchant {clientId} has no notification {notificationId}");
        }

        return TypedResults.Accepted((string?)null, NotificationView.From(after, await outbox.AttemptsAsync(notificationId, cancellationToken)));
    }
}
