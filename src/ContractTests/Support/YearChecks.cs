using System.Text.Json.Nodes;

namespace ContractTests.Support;

/// <summary>What a 12-month advance of monthly subscriptions must leave, whatever happened on the way (a crash, two instances).</summary>
public static class YearChecks
{
    /// <summary>
    /// Every subscription has phases 1 to 13 exactly once, in order, each with its own payment id; answers those ids.
    /// </summary>
    public static List<string> EveryPhaseOnce(JsonArray subscriptions, int expectedSubscriptions)
    {
        subscriptions.Should().HaveCount(expectedSubscriptions);
        foreach (var subscription in subscriptions)
        {
            subscription!["phases"]!.AsArray().Select(p => (int)p!["phaseNo"]!).Should().Equal(Enumerable.Range(1, 13), "each phase once, in order");
        }

        var paymentIds = subscriptions.SelectMany(s => s!["phases"]!.AsArray().Select(p => (string)p!["paymentId"]!)).ToList();
        paymentIds.Should().OnlyHaveUniqueItems().And.HaveCount(expectedSubscriptions * 13);
        return paymentIds;
    }
}
