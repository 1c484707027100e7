namespace Emulator.Protocol;

/// <summary>
/// Whether an API call went into its subscription's timeline. The service records a call that reached the
/// subscription; the gateway puts there one refused before (a fault rule, a broken field rule) that names an existing
/// subscription, so that the timeline shows every create, change and cancel made about it.
/// </summary>
public sealed class CallInTimeline
{
    public bool Recorded { get; set; }

    /// <summary>The subscription a call reached that names none itself (a refund names a payment), for the API-call journal.</summary>
    public string? SubscriptionId { get; set; }
}
