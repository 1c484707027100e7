namespace Emulator.Faults;

/// <summary>
/// The rule chosen for a call no longer hits it when the call's write uses it (another call took its last use
/// meanwhile, or it was deleted): the write is undone and the gateway chooses again.
/// </summary>
public sealed class FaultRuleTakenException(string? chosen, string? hitsNow)
    : Exception($"fault rule {chosen ?? "(none)"} was chosen for the call, but {hitsNow ?? "none"} hits it now")
{
}
