using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Control;

/// <summary>
/// <c>GET …/notifications</c> reads the attempts of a whole list in a few queries: each element still carries exactly
/// its own notification's attempts, in order, as the list of that one subscription shows them.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class NotificationListTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Start = new(2027, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task List_OfMoreNotificationsThanOneQueryReads_GivesEachItsOwnAttempts()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var ids = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            ids.Add(await m.CreateAndApproveAsync(MerchantHarness.Body(Start, value: $"{1000 + i}")));
        }

        await m.AdvanceAsync("P12M");
        var payments = await m.NotificationsAsync("?kind=notifyPayment");
        foreach (var redeliver in new[] { payments[0]!, payments[499]!, payments[500]! })
        {
            (await m.Http.PostAsync($"{m.Control}/notifications/{(string)redeliver["notificationId"]!}/redeliver", null)).EnsureSuccessStatusCode();
        }

        var list = await m.NotificationsAsync();

        list.Count.Should().BeGreaterThan(500, "the list spans more than one query of attempts");
        list.Sum(n => n!["attempts"]!.AsArray().Count).Should().Be(list.Count + 3, "one attempt each, and three redeliveries");
        var bySubscription = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            foreach (var own in await m.NotificationsAsync($"?subscriptionId={id}"))
            {
                bySubscription[(string)own!["notificationId"]!] = own.AsObject();
            }
        }

        foreach (var element in list)
        {
            element!.ToJsonString().Should().Be(bySubscription[(string)element["notificationId"]!].ToJsonString());
        }
    }
}
