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
    IReadOnlyList<AttemptRecord> Attempts,
    bool HeldBack = false)
{
    public static NotificationView From(NotificationRecord n, IReadOnlyList<AttemptRecord> attempts) =>
        new(n.NotificationId, n.Kind, n.SubscriptionId, n.Url, n.Body, n.Status, n.CreatedAt, n.NextAttemptAt, attempts, IsHeldBack(n));

    /// <summary>Held by a <c>reorder</c> fault until its subscription's next notification (pending without a next attempt).</summary>
    public static bool IsHeldBack(NotificationRecord n) => n.Held && n.NextAttemptAt is null && n.Status == "pending";
}
