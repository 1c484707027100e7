namespace ContractTests.Support;

/// <summary>A seeded fuzz (<see cref="WireFuzz"/>, <see cref="ControlFuzz"/>) as <see cref="FuzzRun"/> runs and reports it.</summary>
public interface ISeededFuzz
{
    /// <summary>Runs the seed's cases; throws, naming the seed and every case sent, when a check fails.</summary>
    Task RunAsync();

    /// <summary>How many times each kind of call answered each outcome.</summary>
    SortedDictionary<string, int> Outcomes { get; }

    /// <summary>Every case sent, in order.</summary>
    IReadOnlyList<string> Log { get; }
}
