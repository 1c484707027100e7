namespace Emulator.Domain;

/// <summary>
/// How a period's deduction ends: success, or a failure code from SPEC §3.10; or, when a fault left it
/// <see cref="Processing"/>, under way until <see cref="SettlesAt"/> (then a success), or until a test settles it.
/// </summary>
public sealed record DeductionResult(string ResultStatus, string ResultCode, string ResultMessage)
{
    public const string InProcess = "PAYMENT_IN_PROCESS";

    public static DeductionResult Success { get; } = new("S", "SUCCESS", "success");

    /// <summary>The payment is taken but not done: no notifyPayment until it settles.</summary>
    public bool Processing { get; init; }

    /// <summary>When a processing payment succeeds by itself (merchant clock); null: only when settled through the control API.</summary>
    public DateTimeOffset? SettlesAt { get; init; }
}
