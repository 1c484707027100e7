using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Control;

/// <summary>
/// <c>GET …/subscriptions</c>: a long list is read merchant-wide and grouped, a short one subscription by subscription;
/// either way each element is the subscription's own view.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class SubscriptionListTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Start = new(2027, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task List_OfManySubscriptions_ShowsEachOneAsItsOwnViewDoes()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var ids = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            ids.Add(await m.CreateAndApproveAsync(MerchantHarness.Body(Start, value: $"{1000 + i}")));
        }

        await m.CreateAsync(MerchantHarness.Body(Start));
        await m.AdvanceAsync("P2M");
        var redelivered = (await m.NotificationsAsync("?kind=notifyPayment"))[3]!;
        await m.Http.PostAsync($"{m.Control}/notifications/{(string)redelivered["notificationId"]!}/redeliver", null);
        await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(ids[4]));

        var list = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions"))!;

        list.Should().HaveCount(11);
        list.Select(s => (string)s!["subscriptionId"]!).Should().StartWith(ids);
        foreach (var element in list)
        {
            var own = (await m.Http.GetFromJsonAsync<JsonObject>($"{m.Control}/subscriptions/{(string)element!["subscriptionId"]!}"))!;
            element.ToJsonString().Should().Be(own.ToJsonString());
        }

        list.Sum(s => s!["phases"]!.AsArray().Count).Should().BeGreaterThanOrEqualTo(20, "ten active subscriptions over two months");
        list.Count(s => s!["timeline"]!.AsArray().Any(e => ((string)e!["detail"]!).Contains("redelivery", StringComparison.Ordinal))).Should().Be(1);
    }
}
