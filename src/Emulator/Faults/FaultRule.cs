namespace Emulator.Faults;

/// <summary>
/// A fault rule (CONTROL-API.md "Faults"): which calls, deductions or deliveries it hits, and how.
/// <see cref="Times"/> 0 means until deleted; <see cref="Skip"/> lets that many matching ones through first.
/// </summary>
public sealed record FaultRule
{
    public required string FaultId { get; init; }

    public required string Target { get; init; }

    public string? ResultCode { get; init; }

    public string? Transport { get; init; }

    public string? Delivery { get; init; }

    public string? Delay { get; init; }

    public int Times { get; init; } = 1;

    public int Skip { get; init; }

    public FaultMatch? Match { get; init; }

    public string Effect { get; init; } = FaultTargets.NotApplied;

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>How many more matching ones it will hit (null: until deleted).</summary>
    public int? Remaining { get; init; }

    /// <summary>How many more matching ones it will let through first.</summary>
    public int SkipRemaining { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool Applied => Effect == FaultTargets.Applied;

    [System.Text.Json.Serialization.JsonIgnore]
    public TimeSpan DelaySpan => Delay is null ? TimeSpan.Zero : System.Xml.XmlConvert.ToTimeSpan(Delay);
}
