namespace Emulator.Domain;

/// <summary>
/// One line of a subscription's story: a state change, an API call or a notification. <see cref="Seq"/> (not shown) is
/// its place among all timeline rows once stored: what was written first has the lower number.
/// </summary>
public sealed record TimelineEntry(DateTimeOffset At, string Type, string Detail, [property: System.Text.Json.Serialization.JsonIgnore] long Seq = 0);
