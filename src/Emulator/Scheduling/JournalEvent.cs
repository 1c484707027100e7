using Emulator.Domain;

namespace Emulator.Scheduling;

/// <summary>One line of what a run of the time machine did (CONTROL-API.md "Clock", <c>events</c>).</summary>
public sealed record JournalEvent(DateTimeOffset At, string Type, string SubscriptionId)
{
    public int? PhaseNo { get; init; }

    public Amount? Amount { get; init; }

    public string? ResultCode { get; init; }

    public string? ResultStatus { get; init; }

    public string? PaymentId { get; init; }

    public string? From { get; init; }

    public string? To { get; init; }

    public string? NotificationId { get; init; }

    public string? Kind { get; init; }

    public int? Attempt { get; init; }

    public string? Outcome { get; init; }

    public int? HttpStatus { get; init; }
}
