using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace ContractTests.Support;

/// <summary>
/// How the seeded fuzzes run: <c>FUZZ_SEEDS</c> seeds (default 10) from <c>FUZZ_FIRST_SEED</c> (default 1), each
/// with <c>FUZZ_CASES</c> cases (default 40; about 20 s a fuzz in CI), and what a seed's run reports.
/// </summary>
public static class FuzzRun
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

    /// <summary>Runs one seed of <paramref name="fuzz"/>, which must keep every promise, and writes its outcomes and cases.</summary>
    public static async Task CheckAsync(ISeededFuzz fuzz, int seed, ITestOutputHelper output)
    {
        var clock = Stopwatch.StartNew();

        var run = fuzz.RunAsync;

        await run.Should().NotThrowAsync();
        output.WriteLine($"seed {seed}: {Cases} cases in {clock.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine(string.Join("\n", fuzz.Outcomes.Select(o => $"  {o.Key}: {o.Value}")));
        output.WriteLine(string.Join("\n", fuzz.Log));
    }

    private static int? Number(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), CultureInfo.InvariantCulture, out var n) ? n : null;
}
