using System.Globalization;

namespace ContractTests.Support;

/// <summary>
/// How much the seeded fuzzes run: <c>FUZZ_SEEDS</c> seeds (default 10) from <c>FUZZ_FIRST_SEED</c> (default 1), each
/// with <c>FUZZ_CASES</c> cases (default 40). The defaults keep each fuzz to about 20 s in CI.
/// </summary>
public static class FuzzSettings
{
    private const int DefaultSeeds = 10;
    private const int DefaultCases = 40;

    public static TheoryData<int> Seeds()
    {
        var count = Number("FUZZ_SEEDS") ?? DefaultSeeds;
        var first = Number("FUZZ_FIRST_SEED") ?? 1;
        return [.. Enumerable.Range(first, count)];
    }

    public static int Cases => Number("FUZZ_CASES") ?? DefaultCases;

    private static int? Number(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), CultureInfo.InvariantCulture, out var n) ? n : null;
}
