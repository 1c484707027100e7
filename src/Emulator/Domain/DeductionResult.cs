namespace Emulator.Domain;

/// <summary>How a period's deduction ends: success, or a failure code from SPEC §3.10.</summary>
public sealed record DeductionResult(string ResultStatus, string ResultCode, string ResultMessage)
{
    public static DeductionResult Success { get; } = new("S", "SUCCESS", "success");
}
