using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ContractTests.Support;
using Microsoft.AspNetCore.Hosting;

namespace ContractTests.Control;

/// <summary>
/// What the control API and the dashboard do with input a tool or a hurried developer sends: refused in problem details
/// that say what to fix (CONTROL-API.md conventions), never a 500, a hang, a clock moved back or a state change.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class ControlInputTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Start = new(2027, 1, 31, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("localhost:8081/antom/notify")]
    [InlineData("ftp://merchant.example/notify")]
    [InlineData("file:///etc/passwd")]
    [InlineData("http://127.0.0.1:9/x\u0000y")]
    public async Task Merchant_NotificationUrlNotHttp_IsRefused(string url)
    {
        var http = factory.CreateClient();

        var response = await http.PutAsJsonAsync("/_emulator/v1/merchants/SANDBOX_URLCHECK", new { publicKey = Fixtures.Read("keys/merchant-public.spki.b64").Trim(), subscriptionNotificationUrl = url });
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        ((string)problem!["detail"]!).Should().Contain("subscriptionNotificationUrl must be an absolute http or https URL");
        (await http.GetAsync("/_emulator/v1/merchants/SANDBOX_URLCHECK")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("clock/advance", "to", "2027-03-01T00:00:00")]
    [InlineData("clock/advance", "to", "2027-03-01")]
    [InlineData("clock/freeze", "at", "2027-03-01T00:00:00.000")]
    public async Task Clock_InstantWithoutOffset_IsRefused_AndTheClockStays(string path, string field, string instant)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var response = await m.Http.PostAsync($"{m.Control}/{path}", new StringContent($$"""{"{{field}}":"{{instant}}"}""", Encoding.UTF8, "application/json"));
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, "CONTROL-API.md: times are ISO-8601 with offset; one without would be read in the server's zone");
        ((string)problem!["detail"]!).Should().Contain("with an offset").And.Contain(instant);
        (await m.NowAsync()).Should().Be(Start);
    }

    [Theory]
    [InlineData("2027-03-01T00:00:00Z", "2027-03-01T00:00:00+00:00")]
    [InlineData("2027-03-01T08:00:00+08:00", "2027-03-01T00:00:00+00:00")]
    [InlineData("2027-03-01T00:00:00.250-05:00", "2027-03-01T05:00:00.250+00:00")]
    public async Task Clock_AdvanceToAnInstantWithOffset_LandsThere(string instant, string expected)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var response = await m.Http.PostAsync($"{m.Control}/clock/advance", new StringContent($$"""{"to":"{{instant}}"}""", Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await m.NowAsync()).Should().Be(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A key version the Signature header cannot carry was accepted, and every signed call naming it failed.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("a,b=c")]
    [InlineData("1\n")]
    [InlineData("12345678901234567")]
    public async Task Merchant_KeyVersionTheSignatureHeaderCannotCarry_IsRefused(string keyVersion)
    {
        var http = factory.CreateClient();

        var response = await http.PutAsJsonAsync("/_emulator/v1/merchants/SANDBOX_KEYVERSION", new
        {
            publicKey = Convert.ToBase64String(TestMerchant.SharedKey.ExportSubjectPublicKeyInfo()),
            keyVersion,
        });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("keyVersion must be 1 to 16 ASCII letters or digits");
    }

    /// <summary>Digits of other scripts passed the duration's pattern and then failed to parse: HTTP 500.</summary>
    [Theory]
    [InlineData("clock/advance", "{\"by\":\"P\u0661M\"}", "by must be an ISO-8601 duration")]
    [InlineData("clock/advance", "{\"by\":\"P1M\\n\"}", "by must be an ISO-8601 duration")]
    [InlineData("faults", "{\"target\":\"create\",\"transport\":\"delay\",\"delay\":\"PT\u0661S\"}", "delay must be an ISO-8601 duration")]
    public async Task Duration_WithDigitsOfAnotherScript_OrATrailingNewLine_Is400(string path, string body, string detail)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var response = await m.Http.PostAsync($"{m.Control}/{path}", new StringContent(body, Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        ((string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!).Should().Contain(detail);
        (await m.NowAsync()).Should().Be(Start, "nothing moved");
    }

    /// <summary>A delay that ends past the calendar (from the merchant's clock) made the notification go out at once.</summary>
    [Fact]
    public async Task DeliveryDelay_PastTheCalendar_HoldsTheNotification_InsteadOfSendingItAtOnce()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "notifyPayment", delivery = "delay", delay = "P8000Y" })).StatusCode.Should().Be(HttpStatusCode.Created);

        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));

        m.Payments(subscriptionId).Should().BeEmpty("phase 1's notifyPayment is delayed past the end of the calendar");
    }

    [Fact]
    public async Task DeliveryDelay_Zero_IsRefused()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var response = await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "notifyPayment", delivery = "delay", delay = "PT0S", times = 0 });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        ((string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!).Should().Contain("longer than zero");
    }

    [Fact]
    public async Task DeliveryDelay_UntilDeleted_DelaysEachAttemptOnce_SoAnAdvanceDeliversIt()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "notifySubscription", delivery = "delay", delay = "PT1H", times = 0 })).EnsureSuccessStatusCode();
        var requestId = await m.CreateAsync(MerchantHarness.Body(Start));
        await m.Http.PostAsync($"{m.Control}/subscription-requests/{requestId}/decline", null);

        await m.AdvanceAsync("P1D");
        var notice = (await m.NotificationsAsync("?kind=notifySubscription")).Single()!;

        ((string)notice["status"]!).Should().Be("acknowledged", "a rule that repeats delays each attempt once, not forever");
        m.Receiver.Received.Should().ContainSingle();
    }

    [Fact]
    public async Task DeliveryDelay_UntilDeleted_AdvancedInStepsShorterThanTheDelay_StillDeliversWhenTheDelayEnds()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "notifySubscription", delivery = "delay", delay = "PT1H", times = 0 })).EnsureSuccessStatusCode();
        var requestId = await m.CreateAsync(MerchantHarness.Body(Start));
        await m.Http.PostAsync($"{m.Control}/subscription-requests/{requestId}/decline", null);

        foreach (var _ in Enumerable.Range(0, 7))
        {
            await m.AdvanceAsync("PT10M");
        }

        var notice = (await m.NotificationsAsync("?kind=notifySubscription")).Single()!;
        ((string)notice["status"]!).Should().Be("acknowledged", "the attempt delayed by an hour goes out an hour later, however the clock got there");
        m.Receiver.Received.Should().ContainSingle();
        DateTimeOffset.Parse(m.Receiver.Received[0].Headers["request-time"], System.Globalization.CultureInfo.InvariantCulture).Should().Be(Start.AddHours(1));
    }

    [Fact]
    public async Task DeliveryDelay_OfAMonth_UsesCalendarArithmetic()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "notifySubscription", delivery = "delay", delay = "P1M" })).EnsureSuccessStatusCode();
        var requestId = await m.CreateAsync(MerchantHarness.Body(Start));

        await m.Http.PostAsync($"{m.Control}/subscription-requests/{requestId}/decline", null);
        var notice = (await m.NotificationsAsync("?kind=notifySubscription")).Single()!;

        DateTimeOffset.Parse((string)notice["nextAttemptAt"]!).Should().Be(new DateTimeOffset(2027, 2, 28, 9, 0, 0, TimeSpan.Zero), "P1M after 31 January is the end of February");
    }

    [Fact]
    public async Task OverlappingAdvances_NeverMoveTheClockBack()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        foreach (var _ in Enumerable.Range(0, 20))
        {
            var body = MerchantHarness.Body(Start);
            body["periodRule"] = new JsonObject { ["periodType"] = "DAY", ["periodCount"] = 1 };
            await m.CreateAndApproveAsync(body);
        }

        var long_ = m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", new { by = "P5D" });
        var short_ = m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", new { by = "PT1H" });
        await Task.WhenAll(long_, short_);
        var clock = await m.Http.GetFromJsonAsync<JsonObject>($"{m.Control}/clock");

        DateTimeOffset.Parse((string)clock!["now"]!).Should().BeOnOrAfter(Start.AddDays(5));
    }

    [Fact]
    public async Task DashboardForms_ForAnUnknownMerchant_Are404_AndLeaveNothingForALaterOne()
    {
        var http = factory.CreateClient();
        var clientId = "SANDBOX_GHOST" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

        var fault = await http.PostAsync($"/_emulator/ui/merchants/{clientId}/faults", new FormUrlEncodedContent(new Dictionary<string, string> { ["target"] = "create", ["kind"] = "resultCode", ["value"] = "RISK_REJECT", ["times"] = "0" }));
        var advance = await http.PostAsync($"/_emulator/ui/merchants/{clientId}/clock/advance", new FormUrlEncodedContent(new Dictionary<string, string> { ["by"] = "P1D" }));
        (await http.PutAsJsonAsync($"/_emulator/v1/merchants/{clientId}", new { publicKey = Fixtures.Read("keys/merchant-public.spki.b64").Trim(), clock = new { frozenAt = Start } })).EnsureSuccessStatusCode();

        fault.StatusCode.Should().Be(HttpStatusCode.NotFound);
        advance.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await http.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{clientId}/faults")).Should().BeEmpty();
        DateTimeOffset.Parse((string)(await http.GetFromJsonAsync<JsonObject>($"/_emulator/v1/merchants/{clientId}/clock"))!["now"]!).Should().Be(Start);
    }

    [Theory]
    [InlineData("{bad", "application/json", 400, "the body is not readable JSON: 'b' is an invalid start")]
    [InlineData("{\"by\":1}", "application/json", 400, "the body's by must be a string (docs/control-api.md and GET /_emulator/v1/openapi.json give each field)")]
    [InlineData("{\"to\":true}", "application/json", 400, "the body's to: an instant must be ISO-8601 with an offset")]
    [InlineData("[]", "application/json", 400, "the body must be a JSON object")]
    [InlineData("", "application/json", 400, "a JSON body is required")]
    [InlineData("by=P1D", "text/plain", 415, "the body must be JSON, sent with Content-Type: application/json (got 'text/plain; charset=utf-8')")]
    public async Task UnreadableBody_IsAProblemThatSaysWhy(string body, string mediaType, int status, string detail)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var response = await m.Http.PostAsync($"{m.Control}/clock/advance", new StringContent(body, Encoding.UTF8, mediaType));
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        ((int)response.StatusCode).Should().Be(status);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        ((string?)problem!["detail"] ?? (string)problem["title"]!).Should().Contain(detail);
    }

    [Fact]
    public async Task BodyWithoutAContentType_IsA415SayingSo()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var response = await m.Http.PostAsync($"{m.Control}/clock/advance", new ByteArrayContent(Encoding.UTF8.GetBytes("{\"by\":\"P1D\"}")));
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        ((string)problem!["detail"]!).Should().Be("the body must be JSON, sent with Content-Type: application/json (got no Content-Type)");
    }

    [Theory]
    [InlineData("bad%20id", "bad id")]
    [InlineData("%20SANDBOX_X", " SANDBOX_X")]
    [InlineData("SANDBOX_%C3%BC", "SANDBOX_ü")]
    public async Task PutMerchant_ClientIdThatCannotTravelInAHeader_IsRefused(string inPath, string clientId)
    {
        var http = factory.CreateClient();

        var response = await http.PutAsJsonAsync($"/_emulator/v1/merchants/{inPath}", new { publicKey = Fixtures.Read("keys/merchant-public.spki.b64").Trim() });
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        ((string)problem!["detail"]!).Should().Be($"clientId must be printable ASCII without spaces or '/', as Antom's client ids are (got '{clientId}')");
    }

    [Fact]
    public async Task FaultBody_NumberOutOfRange_SaysTheFieldTakesAWholeNumber()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var response = await m.Http.PostAsync($"{m.Control}/faults", new StringContent("""{"target":"create","resultCode":"RISK_REJECT","times":99999999999}""", Encoding.UTF8, "application/json"));
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        ((string)problem!["detail"]!).Should().Contain("the body's times must be a whole number up to 2147483647").And.NotContain("Emulator.");
    }

    [Fact]
    public async Task BodiesReadFromTheApi_CanBeSentBackAsTheyAre()
    {
        // Read-modify-write scripts: an answer's extra fields (clientId, createdAt…) are ignored in a request.
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var merchant = await m.Http.GetStringAsync(m.Control);

        var copy = await m.Http.PutAsync(m.Control + "COPY", new StringContent(merchant, Encoding.UTF8, "application/json"));
        var emptyFilters = await m.Http.GetAsync($"{m.Control}/notifications?kind=&status=");

        copy.StatusCode.Should().BeOneOf(HttpStatusCode.OK, HttpStatusCode.Created);
        emptyFilters.StatusCode.Should().Be(HttpStatusCode.OK, "an empty filter is no filter");
    }

    [Fact]
    public async Task WithAnAdminToken_AnUnauthenticatedCall_Is401WhateverItsBody_AndTheOpenApiDocumentToo()
    {
        await using var secured = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:AdminToken", "s3cret"));
        var http = secured.CreateClient();

        var badBody = await http.PostAsync("/_emulator/v1/merchants/SANDBOX_X/clock/advance", new StringContent("{bad", Encoding.UTF8, "application/json"));
        var document = await http.GetAsync("/_emulator/v1/openapi.json");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("bearer", "s3cret");
        var lowerCaseScheme = await http.GetAsync("/_emulator/v1/openapi.json");

        badBody.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        badBody.Headers.WwwAuthenticate.ToString().Should().Be("Bearer");
        document.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        lowerCaseScheme.StatusCode.Should().Be(HttpStatusCode.OK, "the scheme name is case-insensitive");
    }

    [Theory]
    [InlineData("{\"by\":\"P99999999999Y\"}")]
    [InlineData("{\"by\":\"PT99999999999H\"}")]
    [InlineData("{\"by\":\"P1D\",\"to\":\"2030-01-01T00:00:00Z\"}")]
    public async Task Advance_ImpossibleOrAmbiguous_Is400(string body)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var response = await m.Http.PostAsync($"{m.Control}/clock/advance", new StringContent(body, Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ClockAtTheEndOfTheCalendar_StillAnswers()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), new DateTimeOffset(9999, 12, 31, 23, 59, 59, 999, TimeSpan.Zero));

        var resumed = await m.Http.PostAsync($"{m.Control}/clock/resume", null);
        factory.Time.Advance(TimeSpan.FromSeconds(1));
        var clock = await m.Http.GetAsync($"{m.Control}/clock");
        var page = await m.Http.GetAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}");

        resumed.StatusCode.Should().Be(HttpStatusCode.OK);
        clock.StatusCode.Should().Be(HttpStatusCode.OK);
        page.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    /// <summary>
    /// An offset the reader never takes (no colon, or beyond ±14:00) is refused for its form, near the calendar's ends
    /// too (found by a review: there it was said to lie outside the calendar, as if only the time were wrong).
    /// </summary>
    [Theory]
    [InlineData("9999-12-31T23:00:00-0100", "2027-02-01T09:00:00-0100")]
    [InlineData("9999-12-31T23:00:00-15:00", "2027-02-01T09:00:00-15:00")]
    [InlineData("0001-01-01T05:00:00+15:00", "2027-02-01T09:00:00+15:00")]
    public async Task Freeze_AtAnInstantWithAnOffsetTheReaderRefuses_SaysTheFormIsWrong_NotThatItLiesOutsideTheCalendar(string nearAnEnd, string ordinary)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        async Task<string> DetailAsync(string at) =>
            (string)(await (await m.Http.PostAsync($"{m.Control}/clock/freeze", new StringContent($"{{\"at\":\"{at}\"}}", Encoding.UTF8, "application/json")))
                .Content.ReadFromJsonAsync<JsonObject>())!["detail"]!;

        (await DetailAsync(ordinary)).Should().Contain("an instant must be ISO-8601 with an offset");
        (await DetailAsync(nearAnEnd)).Should().Contain("an instant must be ISO-8601 with an offset");
        (await DetailAsync("9999-12-31T23:00:00-14:00")).Should().Contain("lies past the end of the calendar", "-14:00 is an offset the reader takes");
    }

    /// <summary>An advance past the year 9999 (or a delay that long) was refused as if its duration were malformed.</summary>
    [Theory]
    [InlineData("2027-01-31T09:00:00Z", "clock/advance", "{\"by\":\"P9000Y\"}", "the clock cannot go past the end of the calendar (9999-12-31T23:59:59.9999999+00:00), and P9000Y after its current time 2027-01-31T09:00:00.0000000+00:00 would")]
    [InlineData("2027-01-31T09:00:00Z", "clock/advance", "{\"by\":\"P99999999999Y\"}", "the clock cannot go past the end of the calendar")]
    [InlineData("9999-12-31T23:45:00Z", "clock/advance", "{\"by\":\"P1D\"}", "the clock cannot go past the end of the calendar (9999-12-31T23:59:59.9999999+00:00), and P1D after its current time 9999-12-31T23:45:00.0000000+00:00 would")]
    [InlineData("9999-12-31T23:45:00Z", "clock/advance", "{\"to\":\"9999-12-31T23:59:59-01:00\"}", "the body's to: '9999-12-31T23:59:59-01:00' lies past the end of the calendar (9999-12-31T23:59:59.9999999+00:00 in UTC): the clock cannot go past it")]
    [InlineData("2027-01-31T09:00:00Z", "clock/freeze", "{\"at\":\"0001-01-01T00:30:00+01:00\"}", "the body's at: '0001-01-01T00:30:00+01:00' lies before the start of the calendar (0001-01-01T00:00:00.0000000+00:00 in UTC)")]
    [InlineData("2027-01-31T09:00:00Z", "faults", "{\"target\":\"notifyPayment\",\"delivery\":\"delay\",\"delay\":\"P9000Y\"}", "delay is too long (got 'P9000Y'): counted from 1970-01-01 it would pass the end of the calendar")]
    public async Task Clock_PastTheEndOfTheCalendar_Is400SayingSo_AndTheClockStays(string frozenAt, string path, string body, string detail)
    {
        var at = DateTimeOffset.Parse(frozenAt, System.Globalization.CultureInfo.InvariantCulture);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), at);

        var response = await m.Http.PostAsync($"{m.Control}/{path}", new StringContent(body, Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        ((string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!).Should().Contain(detail);
        (await m.NowAsync()).Should().Be(at, "nothing moved");
    }

    /// <summary>A path under the control API that no route serves was a 404 without a detail.</summary>
    [Theory]
    [InlineData("GET", "/_emulator/v1/merchant")]
    [InlineData("GET", "/_emulator/v1")]
    [InlineData("POST", "/_emulator/v1/merchants/SANDBOX_5YEMULATOR00001/clock/rewind")]
    public async Task UnknownControlRoute_Is404_WhoseDetailSaysWhereTheRoutesAreListed(string method, string path)
    {
        var http = factory.CreateClient();

        var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") });

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        ((string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!).Should().Be(
            $"no control route {method} {path}; GET /_emulator/v1/openapi.json lists every route (and the README's Control API table)");
        (await http.GetAsync("/_emulator/v1/openapi.json")).StatusCode.Should().Be(HttpStatusCode.OK, "the detail points at it");
    }

    [Fact]
    public async Task UnknownMerchant_KeepsItsOwn404Detail()
    {
        var http = factory.CreateClient();

        var response = await http.GetAsync("/_emulator/v1/merchants/SANDBOX_NOSUCHMERCHANT/clock");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        ((string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!).Should().Be(
            "no merchant 'SANDBOX_NOSUCHMERCHANT'; create it with PUT /_emulator/v1/merchants/SANDBOX_NOSUCHMERCHANT");
    }

    /// <summary>A duration is refused for passing the calendar only when it does: a count of minutes beyond an int does not.</summary>
    [Fact]
    public async Task Advance_ByMoreMinutesThanAnIntHolds_WithinTheCalendar_MovesTheClock()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var response = await m.Http.PostAsync($"{m.Control}/clock/advance", new StringContent("{\"by\":\"PT3000000000M\"}", Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        (await m.NowAsync()).Should().Be(Start.AddMinutes(3_000_000_000), "about 5,700 years on, within the calendar");
    }

    [Theory]
    [InlineData("?status=bogus")]
    [InlineData("?kind=notifyRefund")]
    public async Task Notifications_UnknownFilterValue_Is400(string query)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var response = await m.Http.GetAsync($"{m.Control}/notifications{query}");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Advance_ToAnInstantBeforeTheClock_Is400NamingTo_AndTheClockStays()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var response = await m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", new { to = "2027-01-30T09:00:00Z" });
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        ((string)problem!["detail"]!).Should().StartWith("to must not be before the clock's current time", "found by the control fuzz: the detail named no field of the body").And.Contain("2027-01-30T09:00:00").And.Contain("freeze");
        (await m.NowAsync()).Should().Be(Start);
    }
}
