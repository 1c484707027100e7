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
    [MemberData(nameof(FuzzRun.Seeds), MemberType = typeof(FuzzRun))]
    public Task Fuzz_MutatedControlCallsAndForms_KeepEveryPromiseOfTheControlApi(int seed) =>
        FuzzRun.CheckAsync(new ControlFuzz(factory, seed, FuzzRun.Cases), seed, output);
}
