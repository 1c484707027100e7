using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;
using Emulator.Control;
using Emulator.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace ContractTests.Control;

/// <summary>
/// <c>GET …/subscriptions</c> and <c>GET …/notifications</c>: long lists are read and written out a page at a time (100
/// subscriptions, 500 notifications); across the pages' edges, each element is its own view, none missing or repeated.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class SubscriptionListTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Start = new(2027, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task List_OfManySubscriptions_ShowsEachOneAsItsOwnViewDoes_AndTheNotificationsListHasEachOnce()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var ids = new List<string>();
        for (var i = 0; i < 105; i++)
        {
            ids.Add(await m.CreateAndApproveAsync(MerchantHarness.Body(Start, value: $"{1000 + i}")));
        }

        await m.CreateAsync(MerchantHarness.Body(Start));
        await m.AdvanceAsync("P4M");
        var redelivered = (await m.NotificationsAsync("?kind=notifyPayment"))[3]!;
        await m.Http.PostAsync($"{m.Control}/notifications/{(string)redelivered["notificationId"]!}/redeliver", null);
        await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(ids[4]));

        var list = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions"))!;
        var eachOwn = new List<string>();

        var notifications = await m.NotificationsAsync("");
        list.Should().HaveCount(106);
        list.Select(s => (string)s!["subscriptionId"]!).Should().StartWith(ids);
        foreach (var element in list)
        {
            var own = (await m.Http.GetFromJsonAsync<JsonObject>($"{m.Control}/subscriptions/{(string)element!["subscriptionId"]!}"))!;
            element.ToJsonString().Should().Be(own.ToJsonString());
            eachOwn.AddRange((await m.NotificationsAsync($"?subscriptionId={(string)element["subscriptionId"]!}")).Select(n => n!.ToJsonString()));
        }

        list.Sum(s => s!["phases"]!.AsArray().Count).Should().Be(105 * 5, "105 active subscriptions over four months");
        notifications.Should().HaveCountGreaterThan(500, "more than one page");
        notifications.Select(n => (string)n!["notificationId"]!).Should().OnlyHaveUniqueItems();
        notifications.Select(n => n!.ToJsonString()).Should().BeEquivalentTo(eachOwn, "the merchant's list holds what each subscription's short list holds");
        notifications.Count(n => (string)n!["kind"]! == "notifyPayment").Should().Be(105 * 5);
        notifications.Count(n => n!["attempts"]!.AsArray().Count == 2).Should().Be(1, "the redelivered one");
        list.Count(s => s!["timeline"]!.AsArray().Any(e => ((string)e!["detail"]!).Contains("redelivery", StringComparison.Ordinal))).Should().Be(1);
    }

    [Fact]
    public async Task List_ASubscriptionChangedWhileEarlierPagesAreWritten_IsShownAsOfOneInstant()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var ids = new List<string>();
        for (var i = 0; i < 101; i++)
        {
            ids.Add(await m.CreateAndApproveAsync(MerchantHarness.Body(Start)));
        }

        var views = factory.Services.GetRequiredService<SubscriptionViews>();
        var listed = await factory.Services.GetRequiredService<SubscriptionStore>().ListIdsAsync(m.Merchant.ClientId, null, null, CancellationToken.None);
        await using var pages = views.PagesAsync(m.Merchant.ClientId, listed, null, CancellationToken.None).GetAsyncEnumerator();
        await pages.MoveNextAsync();
        (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(ids[100]))).ResultCode.Should().Be("SUCCESS");
        await pages.MoveNextAsync();
        var last = pages.Current.Single();

        last.Status.Should().Be("CANCELLED", "the page holding it was read after the cancel");
        last.Timeline.Should().Contain(e => e.Type == "stateChanged" && e.Detail.Contains("CANCELLED", StringComparison.Ordinal), "its timeline is of the same instant");
    }
}
