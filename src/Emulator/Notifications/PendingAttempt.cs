namespace Emulator.Notifications;

/// <summary>An attempt made but not yet written to the ledger, with the notification's standing after it.</summary>
public sealed record PendingAttempt(NotificationRecord Notification, AttemptRecord Record, string Status, DateTimeOffset? NextAttemptAt, int AttemptCount)
{
    /// <summary>The delivery fault rules chosen for the attempt, used by the write that records it (none: null).</summary>
    public Faults.DeliveryFaultUse? Fault { get; init; }
}
