namespace Emulator.Control;

public sealed record ResultCodeView(string Api, string ResultCode, string ResultStatus, string Message, string Action);
