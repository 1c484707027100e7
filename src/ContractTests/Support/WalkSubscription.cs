namespace ContractTests.Support;

/// <summary>
/// What a random walk knows of one subscription it created: what it asked for and what it did to it, against which the
/// emulator's own view is checked after every step.
/// </summary>
public sealed class WalkSubscription
{
    public required string RequestId { get; init; }

    public required string SubscriptionId { get; init; }

    public required string Currency { get; init; }

    /// <summary>The offset the create's times were written in (the merchant's time zone).</summary>
    public required TimeSpan Offset { get; init; }

    public required DateTimeOffset ExpiryTime { get; init; }

    /// <summary>The create's start, in the create's offset.</summary>
    public required DateTimeOffset StartTime { get; init; }

    public required string PeriodType { get; init; }

    public required int PeriodCount { get; init; }

    public required long Amount { get; init; }

    /// <summary>The create's trials: periods from, to, and their amount.</summary>
    public required IReadOnlyList<(int From, int To, long Amount)> Trials { get; init; }

    /// <summary>
    /// Changes and updates that took effect, in order: when, how many phases were charged before, the new amount,
    /// change's <c>paymentAmountDifference</c>, whether it was a change, and whether it brought a plan for the next phase
    /// (a change always; an update with an amount or another period rule), which replaces an earlier change's difference.
    /// </summary>
    public List<(DateTimeOffset At, int PhasesBefore, long? Amount, long? Difference, bool IsChange, bool Replans)> Plan { get; } = [];

    /// <summary>A deduction was left under way by a fault: what fell due meanwhile came later.</summary>
    public bool HadProcessing { get; set; }

    /// <summary>The status the control API showed after the last step.</summary>
    public string Status { get; set; } = "AWAITING_AUTHORIZATION";

    /// <summary>A change or update that moved the schedule (start, period rule, next date) succeeded: phases need not be contiguous.</summary>
    public bool Rescheduled { get; set; }

    /// <summary>A delivery fault was aimed at it: its notifications may come out of order.</summary>
    public bool DeliveryFaulted { get; set; }

    /// <summary>When the walk cancelled it with <c>CANCEL</c> (accepted): nothing is charged after that.</summary>
    public DateTimeOffset? CancelledAt { get; set; }

    /// <summary>When the walk terminated it: nothing is charged after that.</summary>
    public DateTimeOffset? TerminatedAt { get; set; }

    /// <summary>Cancelled before the buyer decided: ended with TERMINATE, never a CREATE.</summary>
    public bool CancelledWhilePending { get; set; }

    /// <summary>How many changes and updates took effect (each owes one notifySubscription CHANGE or UPDATE).</summary>
    public int Modifications { get; set; }

    /// <summary>A deduction fault was aimed at it since the last check of its schedule.</summary>
    public bool DeductionFaulted { get; set; }
}
