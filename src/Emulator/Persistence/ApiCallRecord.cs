namespace Emulator.Persistence;

/// <summary>One call to the emulated API: which request, what it answered.</summary>
public sealed record ApiCallRecord(
    string ClientId,
    DateTimeOffset At,
    string Api,
    string? RequestId,
    string? SubscriptionId,
    string ResultCode,
    string ResultStatus,
    string? ResultMessage,
    string? BodyHash);
