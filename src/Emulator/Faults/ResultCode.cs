namespace Emulator.Faults;

/// <summary>One row of the result-code catalogue (<c>fixtures/result-codes.json</c>).</summary>
public sealed record ResultCode(string Api, string Code, string ResultStatus, string Message, string Action);
