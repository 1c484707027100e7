using System.Net;
using System.Text.RegularExpressions;
using ContractTests.Support;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ContractTests.Lifecycle;

/// <summary>The buyer's page behind <c>normalUrl</c>, driven over HTTP as a browser would: GET, then submit a form.</summary>
[Collection(EmulatorCollection.Name)]
public sealed partial class AuthorizationPageTests
{
    private readonly EmulatorFactory factory;
    private readonly AntomTestClient client;
    private readonly HttpClient browser;
    private readonly Scenario scenario;

    public AuthorizationPageTests(EmulatorFactory factory)
    {
        this.factory = factory;
        client = new AntomTestClient(factory.CreateClient());
        browser = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        scenario = new Scenario(client, factory);
    }

    [Theory]
    [InlineData("approve", "ACTIVE")]
    [InlineData("decline", "TERMINATED")]
    public async Task Page_SubmittingAButton_DecidesAndRedirectsToTheMerchant(string button, string state)
    {
        var (merchant, requestId, pageUrl) = await CreateAsync();

        var page = await browser.GetStringAsync(pageUrl);
        var action = FormAction(page, button);
        var submitted = await browser.PostAsync(action, new FormUrlEncodedContent([]));
        var after = await browser.GetStringAsync(pageUrl);

        submitted.StatusCode.Should().Be(HttpStatusCode.Redirect);
        submitted.Headers.Location!.ToString().Should().Be("https://merchant.example/return");
        ((string)(await scenario.GetByRequestIdAsync(merchant, requestId))["status"]!).Should().Be(state);
        after.Should().Contain($"This request is {state}").And.NotContain("<button");
    }

    /// <summary>A redirect URL with characters outside ASCII made the Location header invalid: an error after the approval was saved.</summary>
    [Fact]
    public async Task Approve_RedirectUrlWithNonAsciiCharacters_RedirectsToItEncoded()
    {
        var (_, _, pageUrl) = await CreateAsync(body => body["subscriptionRedirectUrl"] = "https://bücher.example/café?x=ü\u2028");

        var submitted = await browser.PostAsync(FormAction(await browser.GetStringAsync(pageUrl), "approve"), new FormUrlEncodedContent([]));

        submitted.StatusCode.Should().Be(HttpStatusCode.Redirect);
        submitted.Headers.Location!.OriginalString.Should().Be("https://xn--bcher-kva.example/caf%C3%A9?x=%C3%BC%E2%80%A8");
    }

    /// <summary>
    /// An app integration sends the buyer back to its app: create refused such a deep link as "not http or https". One
    /// with a host outside ASCII made the Location header invalid (an error after the approval had been saved).
    /// </summary>
    [Theory]
    [InlineData("myapp://subscription/result?order=42", "myapp://subscription/result?order=42")]
    [InlineData("myapp://done", "myapp://done")]
    [InlineData("myapp://café/done?x=ü", "myapp://xn--caf-dma/done?x=%C3%BC")]
    public async Task Approve_AppDeepLinkAsRedirectUrl_RedirectsToTheApp(string redirectUrl, string location)
    {
        var (_, _, pageUrl) = await CreateAsync(body => body["subscriptionRedirectUrl"] = redirectUrl);

        var submitted = await browser.PostAsync(FormAction(await browser.GetStringAsync(pageUrl), "approve"), new FormUrlEncodedContent([]));

        submitted.StatusCode.Should().Be(HttpStatusCode.Redirect);
        submitted.Headers.Location!.OriginalString.Should().Be(location);
    }

    [Fact]
    public async Task Page_AfterTheExpiryTime_SaysSoAndOffersNoButtons()
    {
        var (_, _, pageUrl) = await CreateAsync();
        var page = await browser.GetStringAsync(pageUrl);
        var approve = FormAction(page, "approve");

        factory.Time.Advance(TimeSpan.FromMinutes(31));
        var expiredPage = await browser.GetStringAsync(pageUrl);
        var lateSubmit = await browser.PostAsync(approve, new FormUrlEncodedContent([]));

        expiredPage.Should().Contain("The authorization window closed at").And.NotContain("<button");
        lateSubmit.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await lateSubmit.Content.ReadAsStringAsync()).Should().Contain("the authorization window closed at");
    }

    [Fact]
    public async Task Page_UnknownToken_Is404()
    {
        var response = await browser.GetAsync("/authorize/0000");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    private async Task<(TestMerchant Merchant, string RequestId, string PageUrl)> CreateAsync(Action<System.Text.Json.Nodes.JsonObject>? edit = null)
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());
        edit?.Invoke(body);
        var reply = await client.CallAsync(merchant, "create", body);
        return (merchant, (string)body["subscriptionRequestId"]!, new Uri((string)reply.Json["normalUrl"]!).PathAndQuery);
    }

    private static string FormAction(string page, string button) =>
        FormRegex().Matches(page).Select(m => m.Groups[1].Value).Single(a => a.EndsWith("/" + button, StringComparison.Ordinal));

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]+)\">")]
    private static partial Regex FormRegex();
}
