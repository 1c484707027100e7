using ContractTests.Support;
using Xunit.Abstractions;

namespace ContractTests.Protocol;

/// <summary>
/// Seeded, structure-aware fuzzing of the emulated API over the wire (<see cref="WireFuzz"/>): valid bodies of every
/// API, aimed at subscriptions in every state, with their fields, bytes and headers mutated, and the product's promises
/// checked after each call. <c>FUZZ_SEEDS=500</c> runs more seeds (from <c>FUZZ_FIRST_SEED</c>, default 1) and
/// <c>FUZZ_CASES</c> more cases per seed (default 40); a failure names its seed and every case it sent.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class WireFuzzTests(EmulatorFactory factory, ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(FuzzRun.Seeds), MemberType = typeof(FuzzRun))]
    public Task Fuzz_MutatedRequests_KeepEveryPromiseOfTheApi(int seed) =>
        FuzzRun.CheckAsync(new WireFuzz(factory, seed, FuzzRun.Cases), seed, output);
}
