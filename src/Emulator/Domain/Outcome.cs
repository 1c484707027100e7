namespace Emulator.Domain;

/// <summary>The business answer to an intent: done, done with nothing to do, or refused with a reason.</summary>
public sealed record Outcome(bool Succeeded, bool Changed, string? Reason)
{
    public static Outcome Done { get; } = new(true, true, null);

    public static Outcome AlreadyDone { get; } = new(true, false, null);

    public static Outcome Refused(string reason) => new(false, false, reason);
}
