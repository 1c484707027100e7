namespace Emulator.Notifications;

/// <summary>
/// A test notification as it went out: its id, the merchant's time it was signed at, the exact body sent, the
/// <see cref="NotificationForgeries"/> it was forged as (null: signed as Antom signs), and the attempt.
/// </summary>
public sealed record TestNotificationSent(string NotificationId, string Kind, string Url, DateTimeOffset At, string Body, string? Forgery, NotificationPost Post)
{
    /// <summary>What Antom's rules expect of the endpoint (SPEC §1.5, §4.3).</summary>
    public const string ExpectAcknowledged = "acknowledged";

    /// <summary>What Antom's rules expect of the endpoint for a forged notification: a merchant must not trust it.</summary>
    public const string ExpectNotAcknowledged = "notAcknowledged";

    /// <summary><see cref="ExpectAcknowledged"/> for a genuine notification, <see cref="ExpectNotAcknowledged"/> for a forged one.</summary>
    public string Expected => Forgery is null ? ExpectAcknowledged : ExpectNotAcknowledged;

    /// <summary>
    /// Whether the endpoint did what is expected: acknowledged a genuine notification, or answered a forged one without
    /// acknowledging it. An endpoint that could not be reached or did not answer in time said nothing about the
    /// signature, so it did not pass either way.
    /// </summary>
    public bool Passed => Post.Outcome == (Forgery is null ? DeliveryOutcomes.Acknowledged : DeliveryOutcomes.Rejected);
}
