namespace Emulator.Notifications;

/// <summary>
/// One notification in the outbox: the exact body to send and where its delivery stands. Read to be sent, it also
/// carries <see cref="TimelineMark"/>: the last timeline row written by then, which places its attempt in the timeline,
/// and <see cref="MarkTicket"/>, which tells whether the mark is still current (<see cref="Persistence.TimelineWrites"/>).
/// </summary>
public sealed record NotificationRecord(
    long Seq,
    string NotificationId,
    string ClientId,
    string SubscriptionId,
    string Kind,
    string Url,
    string Body,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? NextAttemptAt,
    int AttemptCount,
    bool Held = false,
    bool Delayed = false,
    long? TimelineMark = null,
    long? MarkTicket = null);
