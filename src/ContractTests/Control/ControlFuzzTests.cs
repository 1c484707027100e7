using System.Diagnostics;
using ContractTests.Support;
using Xunit.Abstractions;

namespace ContractTests.Control;

/// <summary>
/// Seeded fuzzing of the control API and the dashboard's forms (<see cref="ControlFuzz"/>): valid calls of every kind
/// with their bodies, bytes, content types, path segments, query strings and methods mutated, and the promises of
/// CONTROL-API.md checked after each. Like the wire fuzz, <c>FUZZ_SEEDS</c> runs more seeds (from
/// <c>FUZZ_FIRST_SEED</c>, default 1) and <c>FUZZ_CASES</c> more cases per seed (default 40); a failure names its seed and
/// every case it sent.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class ControlFuzzTests(EmulatorFactory factory, ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(FuzzSettings.Seeds), MemberType = typeof(FuzzSettings))]
    public async Task Fuzz_MutatedControlCallsAndForms_KeepEveryPromiseOfTheControlApi(int seed)
    {
        var cases = FuzzSettings.Cases;
        var fuzz = new ControlFuzz(factory, seed, cases);
        var clock = Stopwatch.StartNew();

        var run = fuzz.RunAsync;

        await run.Should().NotThrowAsync();
        output.WriteLine($"seed {seed}: {cases} cases in {clock.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine(string.Join("\n", fuzz.Outcomes.Select(o => $"  {o.Key}: {o.Value}")));
        output.WriteLine(string.Join("\n", fuzz.Log));
    }
}
