using System.Globalization;
using Xunit.Abstractions;
using ContractTests.Support;

namespace ContractTests.Lifecycle;

/// <summary>
/// Seeded random walks through the whole subscription lifecycle over the wire (<see cref="RandomWalk"/>), each step
/// followed by the checks a merchant relies on: signed Antom answers, F changing nothing, each phase charged once and in
/// order, one notifyPayment per payment that ended, inquiries agreeing with the control API, refunds within the
/// payment, the lifecycle graph, no error logged. <c>WALK_SEEDS=500</c> runs more seeds (from <c>WALK_FIRST_SEED</c>,
/// default 1); a failure names its seed and every step, to replay it alone.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class RandomWalkTests(EmulatorFactory factory, ITestOutputHelper output)
{
    private const int DefaultSeeds = 8;

    public static TheoryData<int> Seeds()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("WALK_SEEDS"), CultureInfo.InvariantCulture, out var n) ? n : DefaultSeeds;
        var first = int.TryParse(Environment.GetEnvironmentVariable("WALK_FIRST_SEED"), CultureInfo.InvariantCulture, out var f) ? f : 1;
        return [.. Enumerable.Range(first, count)];
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Walk_RandomLifecycleSteps_KeepEveryInvariantAfterEachStep(int seed)
    {
        var walk = new RandomWalk(factory, seed);

        var run = walk.RunAsync;

        await run.Should().NotThrowAsync();
        output.WriteLine(string.Join("\n", walk.StepLog));
        walk.Steps.Should().BeGreaterThan(30, "the walk took every step it chose");
    }
}
