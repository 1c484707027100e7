using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ContractTests.Control;

/// <summary>
/// With <c>Emulator:AdminToken</c> set, the control API wants the bearer token; the emulated API does not. Without it,
/// the control API answers loopback callers and those of <c>Emulator:ControlNetworks</c> (a container's host).
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class AccessTests(EmulatorFactory factory)
{
    [Fact]
    public async Task ControlApi_WithAdminToken_RefusesCallsWithoutIt()
    {
        await using var secured = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:AdminToken", "s3cret"));
        var http = secured.CreateClient();

        var without = await http.GetAsync("/_emulator/v1/keys");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        var wrong = await http.GetAsync("/_emulator/v1/keys");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        var right = await http.GetAsync("/_emulator/v1/keys");

        without.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        wrong.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        right.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    /// <summary>
    /// CONTROL-API.md: with a token set, every <c>/_emulator</c> call wants it, health too (a tool that checks its token
    /// with it must not be told ok with a wrong one); probes that carry no token ask <c>/healthz</c>.
    /// </summary>
    [Fact]
    public async Task Health_WithAdminToken_WantsIt_WhileHealthzAnswersProbesWithoutIt()
    {
        await using var secured = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:AdminToken", "s3cret"));
        var http = secured.CreateClient();

        var without = await http.GetAsync("/_emulator/v1/health");
        var probe = await http.GetAsync("/healthz");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        var wrong = await http.GetAsync("/_emulator/v1/health");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        var right = await http.GetFromJsonAsync<JsonObject>("/_emulator/v1/health");

        without.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        wrong.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        ((string)right!["status"]!).Should().Be("ok");
        probe.StatusCode.Should().Be(HttpStatusCode.OK);
        (await probe.Content.ReadFromJsonAsync<JsonObject>())!.ToJsonString().Should().Be(right.ToJsonString());
    }

    [Fact]
    public async Task EmulatedApi_WithAdminToken_NeedsOnlyTheSignature()
    {
        await using var secured = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:AdminToken", "s3cret"));
        var client = new AntomTestClient(secured.CreateClient());

        var reply = await client.CallAsync(new TestMerchant(Fixtures.DefaultClientId, Fixtures.DefaultMerchantPrivateKey), "create", Bodies.Create(factory.Time.GetUtcNow()));

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
    }

    /// <summary>A sign-in form that cannot be read (a NUL, a multipart body without its boundary) was an HTTP 500.</summary>
    [Theory]
    [InlineData("application/x-www-form-urlencoded", "token=a&back=%00")]
    [InlineData("multipart/form-data", "token=a")]
    public async Task SignIn_UnreadableForm_Is400SayingSo(string contentType, string body)
    {
        await using var secured = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:AdminToken", "s3cret"));
        var browser = secured.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var content = new StringContent(body);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);

        var response = await browser.PostAsync("/_emulator/login", content);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("The form could not be read.");
    }

    [Fact]
    public async Task Dashboard_WithAdminToken_ABrowserSignsInOnce_ThenTheCookieCarriesTheToken()
    {
        await using var secured = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:AdminToken", "s3cret"));
        var browser = secured.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        FormUrlEncodedContent Form(string token, string back) => new(new Dictionary<string, string> { ["token"] = token, ["back"] = back });

        var page = await browser.GetAsync($"/_emulator/ui/merchants/{Fixtures.DefaultClientId}?status=ACTIVE");
        var form = await browser.GetAsync(page.Headers.Location);
        var wrong = await browser.PostAsync("/_emulator/login", Form("nope", "/_emulator/ui"));
        var elsewhere = await secured.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false }).PostAsync("/_emulator/login", Form("s3cret", "https://elsewhere.example/"));
        var right = await browser.PostAsync("/_emulator/login", Form("s3cret", $"/_emulator/ui/merchants/{Fixtures.DefaultClientId}?status=ACTIVE"));
        var after = await browser.GetAsync(right.Headers.Location);
        var control = await browser.GetAsync("/_emulator/v1/keys");
        var freeze = $"/_emulator/ui/merchants/{Fixtures.DefaultClientId}/clock/freeze";
        HttpRequestMessage Post(string? origin, string? fetchSite)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, freeze) { Content = new FormUrlEncodedContent([]) };
            if (origin is not null)
            {
                request.Headers.Add("Origin", origin);
            }

            if (fetchSite is not null)
            {
                request.Headers.Add("Sec-Fetch-Site", fetchSite);
            }

            return request;
        }

        var fromElsewhere = await browser.SendAsync(Post("http://localhost:8081", "same-site"));
        var withoutOrigin = await browser.SendAsync(Post(null, null));
        var fromItsPage = await browser.SendAsync(Post("http://localhost", null));
        var sameOrigin = await browser.SendAsync(Post(null, "same-origin"));
        var stranger = await secured.CreateClient().GetAsync("/_emulator/v1/keys");

        page.StatusCode.Should().Be(HttpStatusCode.Redirect);
        page.Headers.Location!.ToString().Should().Be($"/_emulator/login?back={Uri.EscapeDataString($"/_emulator/ui/merchants/{Fixtures.DefaultClientId}?status=ACTIVE")}");
        form.StatusCode.Should().Be(HttpStatusCode.OK);
        (await form.Content.ReadAsStringAsync()).Should().Contain("<input type=\"password\" name=\"token\"");
        wrong.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        elsewhere.Headers.Location!.ToString().Should().Be("/_emulator/ui", "it goes back to the dashboard only, never to another site");
        right.StatusCode.Should().Be(HttpStatusCode.SeeOther);
        right.Headers.GetValues("Set-Cookie").Single().Should().Contain("httponly").And.Contain("samesite=strict").And.Contain("path=/_emulator");
        after.StatusCode.Should().Be(HttpStatusCode.OK);
        (await after.Content.ReadAsStringAsync()).Should().Contain(Fixtures.DefaultClientId);
        control.StatusCode.Should().Be(HttpStatusCode.OK);
        fromElsewhere.StatusCode.Should().Be(HttpStatusCode.Forbidden, "a form another page of this site posts carries the cookie too");
        withoutOrigin.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        fromItsPage.StatusCode.Should().Be(HttpStatusCode.Redirect, "the dashboard's own form");
        sameOrigin.StatusCode.Should().Be(HttpStatusCode.Redirect);
        stranger.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "without the cookie or the header, the control API still wants the token");
    }

    [Fact]
    public async Task SignIn_TenTriesAMinute_ThenTooManyRequests()
    {
        await using var secured = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:AdminToken", "s3cret"));
        var browser = secured.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        FormUrlEncodedContent Form(string token) => new(new Dictionary<string, string> { ["token"] = token, ["back"] = "/_emulator/ui" });

        var guesses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            guesses.Add((await browser.PostAsync("/_emulator/login", Form($"guess-{i}"))).StatusCode);
        }

        var eleventh = await browser.PostAsync("/_emulator/login", Form("s3cret"));
        var api = new HttpRequestMessage(HttpMethod.Get, "/_emulator/v1/keys");
        api.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        var control = await browser.SendAsync(api);

        guesses.Should().AllBeEquivalentTo(HttpStatusCode.Unauthorized);
        eleventh.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, "even the right token waits for the next minute once ten tries are spent");
        control.StatusCode.Should().Be(HttpStatusCode.OK, "only the sign-in form is limited");
    }

    [Theory]
    [InlineData("172.17.0.1", "", HttpStatusCode.Forbidden)]
    [InlineData("172.17.0.1", "172.16.0.0/12", HttpStatusCode.OK)]
    [InlineData("::ffff:172.17.0.1", "172.16.0.0/12", HttpStatusCode.OK)]
    [InlineData("192.168.65.1", "172.16.0.0/12", HttpStatusCode.Forbidden)]
    [InlineData("8.8.8.8", "172.16.0.0/12", HttpStatusCode.Forbidden)]
    [InlineData("127.0.0.1", "", HttpStatusCode.OK)]
    [InlineData("::1", "", HttpStatusCode.OK)]
    public async Task ControlApi_WithoutAdminToken_AnswersLoopbackAndTheControlNetworks(string caller, string network, HttpStatusCode expected)
    {
        await using var emulator = factory.WithWebHostBuilder(b =>
        {
            if (network.Length > 0)
            {
                b.UseSetting("Emulator:ControlNetworks:0", network);
            }

            b.ConfigureTestServices(services => services.AddSingleton<IStartupFilter>(new CallerAddress(IPAddress.Parse(caller))));
        });
        var http = emulator.CreateClient();

        var control = await http.GetAsync("/_emulator/v1/keys");
        var dashboard = await http.GetAsync("/_emulator/ui");
        var api = await new AntomTestClient(http).CallAsync(new TestMerchant(Fixtures.DefaultClientId, Fixtures.DefaultMerchantPrivateKey), "create", Bodies.Create(factory.Time.GetUtcNow()));

        control.StatusCode.Should().Be(expected);
        dashboard.StatusCode.Should().Be(expected);
        api.ResultCode.Should().Be("SUCCESS", "the emulated API answers every caller with a valid signature");
        if (expected == HttpStatusCode.Forbidden)
        {
            (await control.Content.ReadAsStringAsync()).Should().Contain($"this caller: {caller}");
        }
    }

    /// <summary>
    /// Without a token, loopback callers are trusted, so a page of another site that the developer visits must not be
    /// able to post the dashboard's forms or the control API's bodyless calls to it; scripts (no browser headers) and
    /// the dashboard's own pages still can.
    /// </summary>
    [Theory]
    [InlineData("https://evil.example", "cross-site", HttpStatusCode.Forbidden)]
    [InlineData("http://localhost:9999", "same-site", HttpStatusCode.Forbidden)]
    [InlineData("https://evil.example", null, HttpStatusCode.Forbidden)]
    [InlineData("null", null, HttpStatusCode.Forbidden)]
    [InlineData(null, "same-origin", HttpStatusCode.Redirect)]
    [InlineData("http://localhost", null, HttpStatusCode.Redirect)]
    [InlineData(null, null, HttpStatusCode.Redirect)]
    public async Task WithoutAdminToken_ChangesFromAnotherSitesPage_AreRefused(string? origin, string? fetchSite, HttpStatusCode expected)
    {
        var http = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var merchant = await TestMerchant.CreateAsync(http, frozenAt: EmulatorFactory.Start);
        var post = new HttpRequestMessage(HttpMethod.Post, $"/_emulator/ui/merchants/{merchant.ClientId}/clock/advance")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["by"] = "P1Y" }),
        };
        if (origin is not null)
        {
            post.Headers.Add("Origin", origin);
        }

        if (fetchSite is not null)
        {
            post.Headers.Add("Sec-Fetch-Site", fetchSite);
        }

        var answer = await http.SendAsync(post);
        var clock = await http.GetFromJsonAsync<JsonObject>($"/_emulator/v1/merchants/{merchant.ClientId}/clock");

        answer.StatusCode.Should().Be(expected);
        DateTimeOffset.Parse((string)clock!["now"]!, System.Globalization.CultureInfo.InvariantCulture).Should().Be(
            expected == HttpStatusCode.Forbidden ? EmulatorFactory.Start : EmulatorFactory.Start.AddYears(1));
    }

    /// <summary>
    /// Behind a proxy that rewrites Host (nginx's default) and on plain HTTP (no Sec-Fetch-Site), the dashboard's own
    /// forms are known by Emulator:PublicBaseUrl or the proxy's X-Forwarded-Host; another origin is still refused.
    /// </summary>
    [Theory]
    [InlineData("http://emulator.internal", true, null, HttpStatusCode.Redirect)]
    [InlineData("http://emulator.internal", false, "emulator.internal", HttpStatusCode.Redirect)]
    [InlineData("http://evil.example", true, null, HttpStatusCode.Forbidden)]
    [InlineData("http://evil.example", false, "emulator.internal", HttpStatusCode.Forbidden)]
    public async Task BehindAProxy_TheDashboardsOwnOrigin_IsKnownByPublicBaseUrlOrForwardedHost(string origin, bool publicBaseUrl, string? forwardedHost, HttpStatusCode expected)
    {
        await using var proxied = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:PublicBaseUrl", publicBaseUrl ? "http://emulator.internal/" : ""));
        var http = proxied.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var merchant = await TestMerchant.CreateAsync(http, frozenAt: EmulatorFactory.Start);
        var post = new HttpRequestMessage(HttpMethod.Post, $"/_emulator/ui/merchants/{merchant.ClientId}/clock/freeze") { Content = new FormUrlEncodedContent([]) };
        post.Headers.Add("Origin", origin);
        if (forwardedHost is not null)
        {
            post.Headers.Add("X-Forwarded-Host", forwardedHost);
        }

        (await http.SendAsync(post)).StatusCode.Should().Be(expected);
    }

    /// <summary>Makes every request come from one address (the test server has none of its own).</summary>
    private sealed class CallerAddress(IPAddress address) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, following) =>
            {
                http.Connection.RemoteIpAddress = address;
                return following(http);
            });
            next(app);
        };
    }
}
