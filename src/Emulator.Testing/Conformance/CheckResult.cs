namespace Emulator.Testing.Conformance;

/// <summary>One line of the scorecard.</summary>
public sealed record CheckResult(string Id, string Title, string Outcome, string Reason)
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    public const string Skipped = "skipped";
}
