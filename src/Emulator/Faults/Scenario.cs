namespace Emulator.Faults;

/// <summary>A checked-in set of fault rules and clock settings (<c>fixtures/scenarios/{name}.json</c>).</summary>
public sealed record Scenario(string Name, string Description, ScenarioClock? Clock, IReadOnlyList<FaultBody> Faults);

/// <summary><c>{"freeze":true}</c> stops the merchant's clock where it is; <c>{"frozenAt":"…"}</c> stops it at an instant.</summary>
public sealed record ScenarioClock(bool? Freeze, DateTimeOffset? FrozenAt);
