namespace Emulator.Faults;

/// <summary>
/// A checked-in set of fault rules and clock settings (<c>fixtures/scenarios/{name}.json</c>). <see cref="Problem"/>
/// says why a file cannot be applied (not JSON, an invalid rule); the other scenarios are usable all the same.
/// </summary>
public sealed record Scenario(string Name, string Description, ScenarioClock? Clock, IReadOnlyList<FaultBody> Faults, string? Problem = null);

/// <summary><c>{"freeze":true}</c> stops the merchant's clock where it is; <c>{"frozenAt":"…"}</c> stops it at an instant.</summary>
public sealed record ScenarioClock(bool? Freeze, DateTimeOffset? FrozenAt);
