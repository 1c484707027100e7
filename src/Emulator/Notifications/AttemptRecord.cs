namespace Emulator.Notifications;

/// <summary>
/// One delivery attempt: when, what the merchant answered, and how it counted. <see cref="TimelineMark"/> (not shown) is
/// the last timeline row written before it was sent: rows after it were written while it was out, or later.
/// </summary>
public sealed record AttemptRecord(
    int Attempt,
    DateTimeOffset At,
    int? HttpStatus,
    string? ResponseBody,
    string Outcome,
    string? Error,
    bool Redelivery,
    [property: System.Text.Json.Serialization.JsonIgnore] long? TimelineMark = null);
