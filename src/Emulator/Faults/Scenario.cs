namespace Emulator.Faults;

/// <summary>
/// A checked-in set of fault rules and clock settings (<c>fixtures/scenarios/{name}.json</c>). <see cref="Problem"/>
/// says why a file cannot be applied (not JSON, an invalid rule); the other scenarios are usable all the same.
/// </summary>
public sealed record Scenario(string Name, string Description, ScenarioClock? Clock, IReadOnlyList<FaultBody> Faults, string? Problem = null);

/// <summary>
/// <c>{"freeze":true}</c> stops the merchant's clock where it is; <c>{"frozenAt":"…"}</c> stops it at an instant;
/// <c>{"rate":14400}</c> lets it tick that many times as fast as the wall from where it is (one of the three).
/// </summary>
public sealed record ScenarioClock(bool? Freeze, DateTimeOffset? FrozenAt, long? Rate = null)
{
    /// <summary>Why the clock setting cannot be applied; null when it can.</summary>
    public string? Problem() => Rate switch
    {
        null => null,
        _ when Freeze == true || FrozenAt is not null => "clock: a rate makes the clock tick, so it goes without freeze or frozenAt",
        { } rate when !Scheduling.ClockState.IsRate(rate) => $"clock.rate must be a whole number from 1 to {Scheduling.ClockState.MaxRate} (got {Rate})",
        _ => null,
    };
}
