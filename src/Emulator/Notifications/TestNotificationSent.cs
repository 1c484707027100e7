namespace Emulator.Notifications;

/// <summary>A test notification as it went out: its id, the merchant's time it was signed at, the exact body, and the attempt.</summary>
public sealed record TestNotificationSent(string NotificationId, string Kind, string Url, DateTimeOffset At, string Body, NotificationPost Post);
