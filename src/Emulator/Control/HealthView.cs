namespace Emulator.Control;

/// <summary><c>ok</c>, or <c>unavailable</c> (HTTP 503) with what failed: the database did not answer.</summary>
public sealed record HealthView(string Status, string Version, string? Detail = null);
