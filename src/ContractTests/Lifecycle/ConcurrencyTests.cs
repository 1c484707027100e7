using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Lifecycle;

/// <summary>Concurrent calls on one subscription are serialized: one consistent final state, one outcome per request.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class ConcurrencyTests
{
    private readonly AntomTestClient client;
    private readonly Scenario scenario;

    public ConcurrencyTests(EmulatorFactory factory)
    {
        client = new AntomTestClient(factory.CreateClient());
        scenario = new Scenario(client, factory);
    }

    [Fact]
    public async Task HundredConcurrentChangesAndCancels_EndInOneConsistentState()
    {
        var (merchant, subscriptionId) = await scenario.CreateActiveAsync();
        var amountBefore = (string)(await scenario.GetAsync(merchant, subscriptionId))["paymentAmount"]!["value"]!;
        var random = new Random(20261124);
        var calls = Enumerable.Range(0, 100).Select(i => i % 10 == 3
            ? ("cancel", (JsonObject)Bodies.Cancel(subscriptionId, random.Next(2) == 0 ? "CANCEL" : "TERMINATE"))
            : ("change", Bodies.Change(subscriptionId, requestId: $"chg-{i:D3}"))).ToList();
        foreach (var (api, body) in calls.Where(c => c.Item1 == "change"))
        {
            body["paymentAmount"]!["value"] = (1000 + random.Next(1000)).ToString();
        }

        var replies = await Task.WhenAll(calls.Select(c => client.CallAsync(merchant, c.Item1, c.Item2)));
        var subscription = await scenario.GetAsync(merchant, subscriptionId);
        var repeats = await Task.WhenAll(calls.Where(c => c.Item1 == "change").Select(c => client.CallAsync(merchant, "change", c.Item2)));

        replies.Should().OnlyContain(r => r.SignatureValid && (r.ResultStatus == "S" || r.ResultCode == "PROCESS_FAIL"));
        var changes = calls.Select((c, i) => (c, reply: replies[i])).Where(x => x.c.Item1 == "change").ToList();
        repeats.Select(r => r.Text).Should().Equal(changes.Select(x => x.reply.Text), "each change request id has exactly one outcome");

        var timeline = subscription["timeline"]!.AsArray().Select(e => (string)e!["detail"]!).ToList();
        var firstEnd = timeline.FindIndex(d => d.StartsWith("ACTIVE → ", StringComparison.Ordinal) && !d.StartsWith("ACTIVE → ACTIVE", StringComparison.Ordinal));
        firstEnd.Should().BePositive("some cancel came through");
        timeline.Skip(firstEnd).Should().NotContainMatch("change * → SUCCESS", "no change succeeds after the subscription was cancelled");
        var succeeded = changes.Where(x => x.reply.ResultCode == "SUCCESS").ToList();
        timeline.Count(d => d.StartsWith("change ", StringComparison.Ordinal) && d.EndsWith("SUCCESS", StringComparison.Ordinal)).Should().Be(succeeded.Count);
        // A cancel may win the race before any change: then the plan is the one it was created with.
        var lastSuccessful = timeline.LastOrDefault(d => d.StartsWith("change ", StringComparison.Ordinal) && d.EndsWith("SUCCESS", StringComparison.Ordinal))?.Split(' ')[1];
        var expectedAmount = lastSuccessful is null
            ? amountBefore
            : (string)changes.Single(x => (string)x.c.Item2["subscriptionChangeRequestId"]! == lastSuccessful).c.Item2["paymentAmount"]!["value"]!;
        ((string)subscription["paymentAmount"]!["value"]!).Should().Be(expectedAmount, "the stored plan is the last successful change's, or the first plan");
        var terminated = calls.Where(c => c.Item1 == "cancel" && (string)c.Item2["cancellationType"]! == "TERMINATE").Any();
        ((string)subscription["status"]!).Should().Be(terminated ? "TERMINATED" : "CANCELLED");
    }
}
