namespace Emulator.Notifications;

/// <summary>One delivery attempt: when, what the merchant answered, and how it counted.</summary>
public sealed record AttemptRecord(
    int Attempt,
    DateTimeOffset At,
    int? HttpStatus,
    string? ResponseBody,
    string Outcome,
    string? Error,
    bool Redelivery);
