using Emulator.Persistence;

namespace Emulator.Faults;

/// <summary>
/// The fault rule chosen for one API call (<see cref="FaultStore.ChooseAsync"/>), not used up yet. The call's write
/// uses it (<see cref="UseAsync"/>) in the transaction that stores the call's effect and its kept answer, so the rule
/// counts the call exactly when the call's outcome is stored: a write that fails, or a process that dies before it,
/// leaves the rule for the retry. A call that stores nothing of its own (an answer that is not kept) uses it in a
/// write of its own just before it is answered. A transport delay's use is held for its call while it waits (another
/// call does not take it), until the call's write uses it or the call ends (<see cref="Release"/>).
/// </summary>
public sealed class FaultUse
{
    private readonly FaultStore store;
    private readonly string clientId;
    private readonly string target;
    private readonly FaultContext context;
    private readonly Func<FaultRule, bool>? applies;
    private WriteTransaction? usingIn;
    private string? holds;

    internal FaultUse(FaultStore store, string clientId, string target, FaultContext context, Func<FaultRule, bool>? applies, FaultRule? rule, string? holds)
    {
        this.store = store;
        this.clientId = clientId;
        this.target = target;
        this.context = context;
        this.applies = applies;
        this.holds = holds;
        Rule = rule;
    }

    /// <summary>The rule that hits the call; null when none does, but a skip or a draw of a rule on the way counts it.</summary>
    public FaultRule? Rule { get; }

    /// <summary>Whether a committed write used it.</summary>
    public bool Used { get; private set; }

    /// <summary>
    /// Uses the rule in <paramref name="work"/> (its times, and the skips and draws of the rules met before it), once
    /// per call: a unit that is undone (a twin's answer given instead) leaves it for the next. Throws
    /// <see cref="FaultRuleTakenException"/>, undoing the unit, when the rules changed since the choice so that another
    /// rule, or none, hits the call now (a concurrent call took the rule's last use, or it was deleted).
    /// </summary>
    public async Task UseAsync(WriteTransaction work, CancellationToken cancellationToken)
    {
        if (Used || ReferenceEquals(usingIn, work))
        {
            return;
        }

        var hit = await FaultStore.TakeInAsync(work, clientId, target, context, applies, cancellationToken, store.HeldBy(Volatile.Read(ref holds)));
        if (hit?.FaultId != Rule?.FaultId)
        {
            throw new FaultRuleTakenException(Rule?.FaultId, hit?.FaultId);
        }

        usingIn = work;
        work.AfterCommit(() =>
        {
            Used = true;
            Release();
        });
    }

    /// <summary>
    /// Gives back the use held for the call, if any: once its write used it (then the rule's count says so), or when the
    /// call ends without using it (its write failed: the rule keeps the use for the retry). Idempotent.
    /// </summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref holds, null) is { } faultId)
        {
            store.Release(faultId);
        }
    }
}
