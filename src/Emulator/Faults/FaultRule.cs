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

    /// <summary>Seeded chaos: the share (0–1) of matching calls or deliveries the rule hits; null means every one.</summary>
    public double? Probability { get; init; }

    /// <summary>The seed of the chaos: the same seed hits the same matching calls, run after run.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// Whether the <paramref name="n"/>th matching call (0-based) is hit: a pure function of seed and n, so a run is
    /// reproducible whatever else happens in between.
    /// </summary>
    public bool Hits(long n)
    {
        if (Probability is not { } p)
        {
            return true;
        }

        // SplitMix64's finalizer over (seed, n): a uniform draw in [0, 1) that depends on nothing else.
        var z = unchecked(((ulong)(uint)Seed << 32 ^ (ulong)n) + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53)) < p;
    }

    /// <summary>How many more matching ones it will hit (null: until deleted).</summary>
    public int? Remaining { get; init; }

    /// <summary>How many more matching ones it will let through first.</summary>
    public int SkipRemaining { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool Applied => Effect == FaultTargets.Applied;

    /// <summary>A refund answered <c>U</c> by this rule is taken as <c>PROCESSING</c>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Processing => Effect == FaultTargets.Processing;

    /// <summary>How long a transport delay holds the answer (on the wall clock).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public TimeSpan DelaySpan => DelayedFrom(DateTimeOffset.UnixEpoch) - DateTimeOffset.UnixEpoch;

    /// <summary>When a delivery delayed at <paramref name="at"/> is due, with calendar arithmetic (P1M after 31 January is the end of February).</summary>
    public DateTimeOffset DelayedFrom(DateTimeOffset at) =>
        Delay is null ? at
        : Control.IsoDuration.TryAdd(at, Delay, out var due) ? due
        : DateTimeOffset.MaxValue; // Past the calendar (P8000Y from 2027): never, rather than at once.
}
