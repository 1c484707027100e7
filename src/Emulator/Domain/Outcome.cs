namespace Emulator.Domain;

/// <summary>
/// The business answer to an intent: done, done with nothing to do, or refused with a reason (and the result code
/// that says so when it is not <c>PROCESS_FAIL</c>).
/// </summary>
public sealed record Outcome(bool Succeeded, bool Changed, string? Reason, string? ResultCode = null)
{
    public static Outcome Done { get; } = new(true, true, null);

    public static Outcome AlreadyDone { get; } = new(true, false, null);

    public static Outcome Refused(string reason, string? resultCode = null) => new(false, false, reason, resultCode);
}
