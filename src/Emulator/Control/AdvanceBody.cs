namespace Emulator.Control;

/// <summary><c>{"by":"P1M"}</c> or <c>{"to":"…"}</c>.</summary>
public sealed record AdvanceBody(string? By, DateTimeOffset? To);
