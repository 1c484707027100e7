using Emulator.Notifications;

namespace Emulator.Control;

/// <summary>A notification as CONTROL-API.md "Notifications" shows it.</summary>
public sealed record NotificationView(
    string NotificationId,
    string Kind,
    string SubscriptionId,
    string Url,
    string Body,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? NextAttemptAt,
    IReadOnlyList<AttemptRecord> Attempts)
{
    public static NotificationView From(NotificationRecord n, IReadOnlyList<AttemptRecord> attempts) =>
        new(n.NotificationId, n.Kind, n.SubscriptionId, n.Url, n.Body, n.Status, n.CreatedAt, n.NextAttemptAt, attempts);
}
