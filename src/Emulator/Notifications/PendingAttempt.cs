namespace Emulator.Notifications;

/// <summary>An attempt made but not yet written to the ledger, with the notification's standing after it.</summary>
public sealed record PendingAttempt(NotificationRecord Notification, AttemptRecord Record, string Status, DateTimeOffset? NextAttemptAt, int AttemptCount);
