using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using ContractTests.Support;

namespace ContractTests.Dashboard;

/// <summary>
/// The merchant page answers what a developer asks first when an integration misbehaves: where its notifications go,
/// which ones were not acknowledged and why, and how its last calls were answered (a refused signature with the exact
/// content that was verified, which some SDKs hide behind an exception).
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed partial class MerchantPageTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Start = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task RecentApiCalls_NewestFirst_ShowARefusedSignaturesExpectedContent()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var requestId = await m.CreateAsync(MerchantHarness.Body(Start));
        var forged = await m.Client.SendAsync(new SignedRequest
        {
            Path = AntomTestClient.PathOf("cancel"),
            Body = Encoding.UTF8.GetBytes("""{"subscriptionId":"2027","cancellationType":"CANCEL"}"""),
            SignedBodyOverride = Encoding.UTF8.GetBytes("""{"subscriptionId":"2028","cancellationType":"CANCEL"}"""),
            ClientId = m.Merchant.ClientId,
            Key = m.Merchant.PrivateKey,
        });

        var page = await m.Http.GetStringAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}");

        forged.ResultCode.Should().Be("INVALID_SIGNATURE");
        var calls = Rows(Table(page, "api-calls"));
        calls.Should().HaveCount(2);
        calls[0].Should().Contain("<td>cancel</td>").And.Contain("INVALID_SIGNATURE")
            .And.Contain(WebUtility.HtmlEncode("""content expected to be signed: POST /ams/sandbox/api/v1/subscriptions/cancel\n""" + m.Merchant.ClientId + """.1764000000000.{"subscriptionId":"2027","cancellationType":"CANCEL"}"""),
                "the refused call comes first, with the content the emulator verified, as its answer gave it");
        calls[1].Should().Contain("<td>create</td>").And.Contain($"<code>{requestId}</code>").And.Contain("<span class=\"S\">SUCCESS</span>");
    }

    [Fact]
    public async Task RecentApiCalls_OfAMerchantNotCalledYet_SayThereAreNone()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var page = await m.Http.GetStringAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}");

        page.Should().Contain("id=\"no-api-calls\"").And.NotContain("id=\"api-calls\"");
    }

    [Fact]
    public async Task NotificationsNotAcknowledged_ListTheExhaustedWithTheirLastAttempt_AndLeaveOutTheAcknowledged()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var acknowledgedId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        var unreachable = MerchantHarness.Body(Start);
        unreachable["subscriptionNotificationUrl"] = "http://127.0.0.1:9/nobody-listens";
        var unreachableId = await m.CreateAndApproveAsync(unreachable);
        await m.AdvanceAsync("P2D");
        var exhausted = (await m.NotificationsAsync($"?subscriptionId={unreachableId}&status=exhausted")).Should().ContainSingle().Subject!;

        var page = await m.Http.GetStringAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}");

        var rows = Rows(Table(page, "unacknowledged"));
        rows.Should().ContainSingle("the notifyPayment and the other subscription's notifications were acknowledged");
        rows[0].Should().Contain((string)exhausted["notificationId"]!).And.Contain("CREATE · ACTIVE").And.Contain(unreachableId)
            .And.Contain("<code>http://127.0.0.1:9/nobody-listens</code>").And.Contain("<span class=\"exhausted\">exhausted</span>")
            .And.Contain("<summary>7 earlier attempts</summary>").And.MatchRegex("<div class=\"unreachable\">#8 [^<]*unreachable")
            .And.Contain($"id=\"redeliver-{(string)exhausted["notificationId"]!}\"");
        page.Should().NotContain("id=\"all-acknowledged\"");
        Table(page, "unacknowledged").Should().NotContain(acknowledgedId);
        var merchants = Rows(Table(await m.Http.GetStringAsync("/_emulator/ui"), "merchants")).Single(r => r.Contains(m.Merchant.ClientId, StringComparison.Ordinal));
        merchants.Should().EndWith($"<td><a class=\"pending\" href=\"/_emulator/ui/merchants/{m.Merchant.ClientId}#not-acknowledged\">1</a></td></tr>", "the merchants' page counts it, linking to the list");
    }

    [Fact]
    public async Task NotificationsNotAcknowledged_WhenEveryOneWas_SaySo()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await m.CreateAndApproveAsync(MerchantHarness.Body(Start));

        var page = await m.Http.GetStringAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}");

        page.Should().Contain("id=\"all-acknowledged\"").And.NotContain("id=\"unacknowledged\"");
        Rows(Table(await m.Http.GetStringAsync("/_emulator/ui"), "merchants")).Single(r => r.Contains(m.Merchant.ClientId, StringComparison.Ordinal))
            .Should().EndWith("<td>none</td></tr>");
    }

    [Fact]
    public async Task Settings_ShowWhereNotificationsGo_AndTheKeyVersion()
    {
        var http = factory.CreateClient();
        var merchant = await TestMerchant.CreateAsync(http);
        (await http.PutAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}", new
        {
            publicKey = Convert.ToBase64String(TestMerchant.SharedKey.ExportSubjectPublicKeyInfo()),
            paymentNotificationUrl = "https://merchant.example/antom/pay?tenant=a&b=1",
        })).EnsureSuccessStatusCode();

        var page = await http.GetStringAsync($"/_emulator/ui/merchants/{merchant.ClientId}");

        var settings = page[page.IndexOf("<p id=\"settings\">", StringComparison.Ordinal)..];
        settings = settings[..settings.IndexOf("</p>", StringComparison.Ordinal)];
        settings.Should().Contain("notifySubscription → <span class=\"closed\">none registered: each create must give its own</span>")
            .And.Contain("notifyPayment → <code>https://merchant.example/antom/pay?tenant=a&amp;b=1</code>")
            .And.Contain("public key of version 1");
        await http.DeleteAsync($"/_emulator/v1/merchants/{merchant.ClientId}");
    }

    [Fact]
    public async Task Subscriptions_AreListedNewestFirst_FiftyAPage_WithLinksBetweenPages()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var requestIds = new List<string>();
        for (var i = 0; i < 52; i++)
        {
            await m.AdvanceAsync("PT1S");
            requestIds.Add(await m.CreateAsync(MerchantHarness.Body(await m.NowAsync())));
        }

        var self = $"/_emulator/ui/merchants/{m.Merchant.ClientId}";
        var first = await m.Http.GetStringAsync(self);
        var second = await m.Http.GetStringAsync($"{self}?page=2");
        var filtered = await m.Http.GetStringAsync($"{self}?status=AWAITING_AUTHORIZATION");
        var past = await m.Http.GetAsync($"{self}?page=3");
        var notANumber = await m.Http.GetAsync($"{self}?page=two");

        RequestIds(first).Should().Equal(requestIds.AsEnumerable().Reverse().Take(50), "the newest come first");
        first.Should().Contain("1–50 of 52, newest first").And.Contain($"<a id=\"older\" href=\"{self}?page=2\">older</a>").And.NotContain("id=\"newer\"");
        RequestIds(second).Should().Equal(requestIds[1], requestIds[0]);
        second.Should().Contain("51–52 of 52").And.Contain($"<a id=\"newer\" href=\"{self}?page=1\">newer</a>").And.NotContain("id=\"older\"");
        filtered.Should().Contain($"href=\"{self}?status=AWAITING_AUTHORIZATION&page=2\"", "a status filter is kept from page to page");
        past.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await past.Content.ReadAsStringAsync()).Should().Contain("No page 3 of the subscriptions");
        notANumber.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await notANumber.Content.ReadAsStringAsync()).Should().Contain("pages are numbered from 1");
    }

    [Fact]
    public async Task SubscriptionPage_FoldsEachNotificationsBody_UnderWhatItSays()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start, "JPY", "1500"));

        var page = await m.Http.GetStringAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}/subscriptions/{subscriptionId}");

        page.Should().Contain("<details><summary>CREATE · ACTIVE</summary><pre>{")
            .And.Contain("<details><summary>phase 1 · SUCCESS · 1,500 JPY</summary><pre>{");
    }

    /// <summary>The table with that id, up to its end.</summary>
    private static string Table(string page, string id)
    {
        var start = page.IndexOf($"<table id=\"{id}\">", StringComparison.Ordinal);
        start.Should().BeGreaterThanOrEqualTo(0, $"the page has a table {id}");
        var table = page[start..];
        return table[..table.IndexOf("</table>", StringComparison.Ordinal)];
    }

    /// <summary>The table's rows after its header.</summary>
    private static List<string> Rows(string table) => [.. table.Split("<tr>").Skip(2)];

    private static List<string> RequestIds(string page) =>
        [.. Rows(Table(page, "subscriptions")).Select(row => WebUtility.HtmlDecode(CellPattern().Matches(row)[1].Groups[1].Value))];

    [GeneratedRegex("<td>(.*?)</td>")]
    private static partial Regex CellPattern();
}
