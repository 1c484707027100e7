namespace Emulator.Domain;

/// <summary>Something that happened to a subscription and that the outside must hear of.</summary>
public abstract record SubscriptionEvent(DateTimeOffset At);

/// <summary>A state change (for the advance journal).</summary>
public sealed record StateChanged(DateTimeOffset At, SubscriptionStatus From, SubscriptionStatus To) : SubscriptionEvent(At);

/// <summary>notifySubscription is owed (SPEC §3.9).</summary>
public sealed record SubscriptionNotice(DateTimeOffset At, string NotificationType, string SubscriptionStatus) : SubscriptionEvent(At);

/// <summary>
/// A period was deducted; notifyPayment is owed (SPEC §3.10). <paramref name="Settled"/>: the payment was under way
/// (<see cref="PaymentProcessing"/>) and ended now, so its phase record exists already.
/// </summary>
public sealed record PhaseDeducted(DateTimeOffset At, Phase Phase, bool Settled = false) : SubscriptionEvent(At);

/// <summary>A period's payment was taken and is under way (a fault left it processing): no notifyPayment yet.</summary>
public sealed record PaymentProcessing(DateTimeOffset At, Phase Phase) : SubscriptionEvent(At);

/// <summary>The buyer let the authorization window pass.</summary>
public sealed record AuthorizationExpired(DateTimeOffset At) : SubscriptionEvent(At);
