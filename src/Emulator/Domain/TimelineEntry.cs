namespace Emulator.Domain;

/// <summary>One line of a subscription's story: a state change, an API call or a notification.</summary>
public sealed record TimelineEntry(DateTimeOffset At, string Type, string Detail);
