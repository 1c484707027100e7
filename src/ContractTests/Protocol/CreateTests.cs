using System.Net;
using ContractTests.Support;

namespace ContractTests.Protocol;

/// <summary>What create answers (SPEC §3.1): links to the emulator's authorization page by terminal type.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class CreateTests(EmulatorFactory factory)
{
    private readonly AntomTestClient client = new(factory.CreateClient());

    [Theory]
    [InlineData("WEB", new[] { "normalUrl" })]
    [InlineData("WAP", new[] { "normalUrl", "applinkUrl", "appIdentifier" })]
    [InlineData("APP", new[] { "normalUrl", "applinkUrl", "schemeUrl", "appIdentifier" })]
    [InlineData("MINI_APP", new[] { "normalUrl", "schemeUrl" })]
    public async Task Create_ByTerminalType_ReturnsTheLinksAntomReturns(string terminalType, string[] expectedFields)
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());
        body["env"]!["terminalType"] = terminalType;

        var reply = await client.CallAsync(merchant, "create", body);

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        reply.Json.Select(p => p.Key).Should().BeEquivalentTo(["result", .. expectedFields]);
        reply.Json.ContainsKey("subscriptionId").Should().BeFalse("create returns no subscriptionId (SPEC §3.1)");
        ((string)reply.Json["result"]!["resultMessage"]!).Should().Be("success");
    }

    [Theory]
    [InlineData(-1, 2, 4)]
    [InlineData(-3600, 1, 1)]
    [InlineData(-30, 1, 2)]
    [InlineData(-299, 1, 3)]
    public async Task Create_StartAMomentAgo_WithTrials_IsAccepted(int seconds, int trialStart, int trialEnd)
    {
        // A merchant's "now" is a little behind the emulator's: buy one, get N free, a one-period trial, or "the first
        // months free" from a start it meant as now, still pass.
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow().AddSeconds(seconds));
        body["trials"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
        {
            ["trialStartPeriod"] = trialStart,
            ["trialEndPeriod"] = trialEnd,
            ["trialAmount"] = Bodies.Amount("PHP", "0"),
        });

        var reply = await client.CallAsync(merchant, "create", body);

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
    }

    [Fact]
    public async Task Create_AtTheStartOfTheCalendar_IsCheckedLikeAnyOther()
    {
        // The trial rule's allowance (5 minutes before the request) is worked out without stepping before the year 1.
        var now = new DateTimeOffset(1, 1, 1, 0, 1, 0, TimeSpan.Zero);
        var merchant = await TestMerchant.CreateAsync(client.Http, frozenAt: now);
        var body = Bodies.Create(now.AddSeconds(-30));
        body["trials"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["trialStartPeriod"] = 1, ["trialEndPeriod"] = 2, ["trialAmount"] = Bodies.Amount("PHP", "0") });

        var reply = await client.CallAsync(merchant, "create", body);

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
    }

    [Fact]
    public async Task Create_NormalUrl_ServesTheAuthorizationPageWithThePlan()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());
        body["subscriptionDescription"] = "Gold <plan> & more";
        body["subscriptionStartTime"] = "2031-04-05T06:07:08+08:00";
        body["paymentAmount"] = Bodies.Amount("PHP", "123456");
        body["trials"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["trialStartPeriod"] = 1, ["trialAmount"] = Bodies.Amount("PHP", "5") });

        var reply = await client.CallAsync(merchant, "create", body);
        var page = await client.Http.GetAsync(new Uri((string)reply.Json["normalUrl"]!).PathAndQuery);
        var html = await page.Content.ReadAsStringAsync();

        page.StatusCode.Should().Be(HttpStatusCode.OK);
        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        html.Should().Contain("Gold &lt;plan&gt; &amp; more").And.Contain("every month").And.Contain("Approve").And.Contain("Decline");
        html.Should().Contain("1,234.56 PHP", "amounts travel in minor units and are shown to the buyer in major ones")
            .And.Contain("at 0.05 PHP").And.Contain("2031-04-05 06:07:08 +08:00");
        html.Should().NotContain("+00:00", "the default authorization deadline is shown in the start time's offset too");
    }

    [Theory]
    [InlineData("PHP", 19900, "199.00 PHP")]
    [InlineData("JPY", 500, "500 JPY")]
    [InlineData("KWD", 1500, "1.500 KWD")]
    [InlineData("USD", 0, "0.00 USD")]
    public void Amount_ForPeople_IsInMajorUnitsOfItsCurrency(string currency, long value, string expected)
    {
        new Emulator.Domain.Amount(currency, value).ForPeople().Should().Be(expected);
    }

    [Fact]
    public async Task Create_StoresTheRequestAwaitingAuthorization()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());

        await client.CallAsync(merchant, "create", body);
        var list = await client.Http.GetStringAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions");

        list.Should().Contain("\"status\":\"AWAITING_AUTHORIZATION\"").And.Contain((string)body["subscriptionRequestId"]!);
    }
}
