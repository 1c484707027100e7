namespace Emulator.Notifications;

/// <summary>The result of one attempt, for the advance journal.</summary>
public sealed record DeliveryAttempt(NotificationRecord Notification, int Attempt, DateTimeOffset At, string Outcome, int? HttpStatus);
