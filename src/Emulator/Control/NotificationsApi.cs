using System.Runtime.CompilerServices;
using Emulator.Merchants;
using Emulator.Notifications;
using Emulator.Scheduling;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Emulator.Control;

/// <summary>The notification ledger, redelivery and test notifications (CONTROL-API.md "Notifications").</summary>
public static class NotificationsApi
{
    public static RouteGroupBuilder MapNotificationsApi(this RouteGroupBuilder merchant)
    {
        merchant.MapGet("/notifications", ListNotificationsAsync).WithName("ListNotifications");
        merchant.MapPost("/notifications/{notificationId}/redeliver", RedeliverAsync).WithName("RedeliverNotification");
        merchant.MapPost("/notifications/test", SendTestNotificationAsync).WithName("SendTestNotification");
        return merchant;
    }

    public static async Task<Results<Ok<IAsyncEnumerable<NotificationView>>, ProblemHttpResult>> ListNotificationsAsync(
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

        return TypedResults.Ok(await StreamedList.StartAsync(PagesAsync(outbox, clientId, kind, subscriptionId, status, cancellationToken), cancellationToken));
    }

    /// <summary>The ledger a page at a time, each page with its attempts as of one instant.</summary>
    private static async IAsyncEnumerable<IReadOnlyList<NotificationView>> PagesAsync(
        Outbox outbox, string clientId, string? kind, string? subscriptionId, string? status, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        const int pageSize = 500;
        for (var after = 0L; ;)
        {
            var page = await outbox.ListPageAsync(clientId, kind, subscriptionId, status, after, pageSize, cancellationToken);
            yield return [.. page.Select(n => NotificationView.From(n.Notification, n.Attempts))];
            if (page.Count < pageSize)
            {
                yield break;
            }

            after = page[^1].Notification.Seq;
        }
    }

    /// <summary>
    /// One more attempt now, with the original body and a fresh request-time and signature; made before the 202, except
    /// while a run of the merchant has notifications out (here or in another instance): the call may come from a webhook
    /// handler that run waits for, so it answers at once and the attempt follows the run.
    /// </summary>
    public static async Task<Results<Accepted<NotificationView>, ProblemHttpResult>> RedeliverAsync(
        string clientId, string notificationId, Outbox outbox, TimeMachine machine, CancellationToken cancellationToken)
    {
        if (await machine.MayBeAwaitedByARunAsync(clientId, cancellationToken))
        {
            if (await outbox.FindAsync(clientId, notificationId, cancellationToken) is not { } now)
            {
                return NoSuchNotification(clientId, notificationId);
            }

            machine.RedeliverAfterCurrentRun(clientId, notificationId);
            return TypedResults.Accepted((string?)null, NotificationView.From(now, await outbox.AttemptsAsync(notificationId, cancellationToken)));
        }

        if (await machine.RedeliverAsync(clientId, notificationId, cancellationToken) is not { } after)
        {
            return NoSuchNotification(clientId, notificationId);
        }

        return TypedResults.Accepted((string?)null, NotificationView.From(after, await outbox.AttemptsAsync(notificationId, cancellationToken)));
    }

    /// <summary>
    /// One simulated notification, signed as a real one (or forged, for an endpoint that must refuse it), sent once now
    /// (Antom Dashboard's notification Test tab): 200 with the request, the endpoint's answer, whatever that answer was (an
    /// endpoint that cannot be reached is an outcome, not a failure of the call), and whether it was the one expected.
    /// </summary>
    public static async Task<Results<Ok<TestNotificationView>, ProblemHttpResult>> SendTestNotificationAsync(
        string clientId, TestNotificationBody body, MerchantRegistry merchants, TestNotifications tests, CancellationToken cancellationToken)
    {
        if (body.Validate(tests.FailureCodes) is { } error)
        {
            return ControlProblems.BadRequest(error);
        }

        if (await merchants.FindAsync(clientId, cancellationToken) is not var (merchant, _))
        {
            return ControlProblems.UnknownMerchant(clientId);
        }

        if (body.UrlFor(merchant) is not { } url)
        {
            return ControlProblems.BadRequest(body.NoUrl(clientId));
        }

        var sent = await tests.SendAsync(clientId, body.Kind!, url, body.Body, body.SubscriptionNotificationType, body.Declined ?? false, body.ResultCode, body.Forgery, cancellationToken);
        return TypedResults.Ok(TestNotificationView.From(sent));
    }

    private static ProblemHttpResult NoSuchNotification(string clientId, string notificationId) =>
        ControlProblems.NotFound($"merchant {clientId} has no notification {notificationId}");
}
