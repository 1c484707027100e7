namespace Emulator.Control;

public sealed record FreezeBody(DateTimeOffset? At);
