using Emulator.Persistence;

namespace Emulator.Faults;

/// <summary>
/// The delivery fault rule chosen for one notification attempt (<see cref="DeliveryFaults.ChooseAsync"/>), and what
/// using it changes (its times, and the skips and draws of the rules met before it). The write that records what the
/// rule did to the attempt (the attempt, a delay, a hold) makes the changes (<see cref="UseAsync"/>) in its own
/// transaction: an attempt never recorded (the process died while it was out) has not used the rule.
/// </summary>
public sealed class DeliveryFaultUse
{
    private readonly IReadOnlyList<FaultChange> changes;

    internal DeliveryFaultUse(FaultRule? rule, IReadOnlyList<FaultChange> changes)
    {
        Rule = rule;
        this.changes = changes;
    }

    /// <summary>The rule that hits the attempt; null when none does, but a skip or a draw of a rule on the way counts it.</summary>
    public FaultRule? Rule { get; }

    public Task UseAsync(WriteTransaction work, CancellationToken cancellationToken) => FaultStore.ApplyAsync(work, changes, cancellationToken);
}
