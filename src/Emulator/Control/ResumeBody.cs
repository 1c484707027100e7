namespace Emulator.Control;

/// <summary>
/// <c>POST …/clock/resume</c>: <see cref="Rate"/> is how many times as fast as the wall the clock then runs (1, the
/// default, ticks with it; 14400 makes a 30-day month pass in 3 minutes, as Antom's sandbox runs a monthly plan).
/// </summary>
public sealed record ResumeBody(long? Rate);
