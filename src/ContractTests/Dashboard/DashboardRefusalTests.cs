using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Dashboard;

/// <summary>
/// What the dashboard answers to what it cannot do: a page a browser shows, that says why, never raw problem details
/// (found by the control fuzz: a mistyped dashboard address answered JSON without a word of what was wrong).
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class DashboardRefusalTests(EmulatorFactory factory)
{
    [Theory]
    [InlineData("GET", "/_emulator/ui/merchants/{0}/zz-unknown", 404, "has no page at /_emulator/ui/merchants/{0}/zz-unknown")]
    [InlineData("GET", "/_emulator/ui/nothing-here", 404, "has no page at /_emulator/ui/nothing-here")]
    [InlineData("PUT", "/_emulator/ui/merchants/{0}/clock/freeze", 405, "does not take PUT")]
    [InlineData("DELETE", "/_emulator/ui/merchants/{0}/faults", 405, "does not take DELETE")]
    public async Task UnservedPathOrMethod_UnderTheDashboard_IsAPageThatSaysWhy(string method, string path, int status, string says)
    {
        var http = factory.CreateClient();
        var merchant = await TestMerchant.CreateAsync(http);

        var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), string.Format(System.Globalization.CultureInfo.InvariantCulture, path, merchant.ClientId)));
        var page = await response.Content.ReadAsStringAsync();

        ((int)response.StatusCode).Should().Be(status);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        WebUtility.HtmlDecode(page).Should().Contain(string.Format(System.Globalization.CultureInfo.InvariantCulture, says, merchant.ClientId)).And.Contain("href=\"/_emulator/ui\"");
        await http.DeleteAsync($"/_emulator/v1/merchants/{merchant.ClientId}");
    }

    [Theory]
    [InlineData("faults", "target=create&kind=resultCode&value=RISK_REJECT")]
    [InlineData("clock/advance", "by=P1D")]
    [InlineData("clock/freeze", "x=1")]
    [InlineData("scenarios", "name=rate-limited")]
    [InlineData("notifications/test", "kind=notifyPayment&sample=SUCCESS")]
    public async Task Form_SentAsMultipartWithoutMultipartBytes_IsA400Page_AndChangesNothing(string form, string body)
    {
        var http = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var merchant = await TestMerchant.CreateAsync(http, frozenAt: new DateTimeOffset(2027, 1, 31, 9, 0, 0, TimeSpan.Zero));
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=zz");
        await http.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/clock/resume", null);

        var response = await http.PostAsync($"/_emulator/ui/merchants/{merchant.ClientId}/{form}", content);
        var page = await response.Content.ReadAsStringAsync();

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, "found by the control fuzz: the form reader's IOException was a 500");
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        page.Should().Contain("The form could not be read");
        (await http.GetStringAsync($"/_emulator/v1/merchants/{merchant.ClientId}/faults")).Should().Be("[]");
        (await http.GetStringAsync($"/_emulator/v1/merchants/{merchant.ClientId}/clock")).Should().Contain("\"now\":\"2027-01-31T09:00:00+00:00\",\"frozen\":false");
        await http.DeleteAsync($"/_emulator/v1/merchants/{merchant.ClientId}");
    }

    /// <summary>
    /// A form posted with a body that is not a form (JSON, text) was read as an empty form: a freeze froze, an advance
    /// said its duration was unknown. It is a 415 page saying how forms are sent, and changes nothing; a post with no
    /// body at all (<c>curl -X POST</c>) is still an empty form.
    /// </summary>
    [Theory]
    [InlineData("clock/freeze", "application/json", "{}")]
    [InlineData("clock/advance", "application/json", "{\"by\":\"P1D\"}")]
    [InlineData("faults", "application/json", "{\"target\":\"create\",\"resultCode\":\"RISK_REJECT\"}")]
    [InlineData("faults/flt_nothere/delete", "application/json", "{}")]
    [InlineData("scenarios", "application/json; charset=utf-8", "{\"name\":\"rate-limited\"}")]
    [InlineData("notifications/ntf_nothere/redeliver", "application/json", "{\"back\":\"x\"}")]
    [InlineData("notifications/test", "application/json", "{\"kind\":\"notifyPayment\"}")]
    [InlineData("clock/freeze", "text/plain", "x=1")]
    [InlineData("clock/freeze", null, "x=1")]
    public async Task Form_PostedWithABodyThatIsNotAForm_IsA415PageSayingHowFormsAreSent_AndChangesNothing(string form, string? contentType, string body)
    {
        var http = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var merchant = await TestMerchant.CreateAsync(http, frozenAt: new DateTimeOffset(2027, 1, 31, 9, 0, 0, TimeSpan.Zero));
        await http.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/clock/resume", null);
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        var response = await http.PostAsync($"/_emulator/ui/merchants/{merchant.ClientId}/{form}", content);
        var page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType, "found by a review: the body was read as an empty form");
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        page.Should().Contain("application/x-www-form-urlencoded").And.Contain("multipart/form-data")
            .And.Contain(contentType is null ? "without a Content-Type" : $"this one came as {contentType.Split(';')[0]}, not as a form")
            .And.Contain("/_emulator/v1", "the page points a JSON sender at the control API");
        (await http.GetStringAsync($"/_emulator/v1/merchants/{merchant.ClientId}/faults")).Should().Be("[]");
        (await http.GetStringAsync($"/_emulator/v1/merchants/{merchant.ClientId}/clock")).Should().Contain("\"frozen\":false");
        await http.DeleteAsync($"/_emulator/v1/merchants/{merchant.ClientId}");
    }

    [Fact]
    public async Task Form_PostedWithoutABody_IsAnEmptyForm()
    {
        var http = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var merchant = await TestMerchant.CreateAsync(http);

        var response = await http.PostAsync($"/_emulator/ui/merchants/{merchant.ClientId}/clock/freeze", null);

        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        (await http.GetStringAsync($"/_emulator/v1/merchants/{merchant.ClientId}/clock")).Should().Contain("\"frozen\":true");
        await http.DeleteAsync($"/_emulator/v1/merchants/{merchant.ClientId}");
    }

    /// <summary>
    /// The redeliver and settle buttons send the subscription's id in <c>back</c>; a form posted without it (a script, a
    /// hand-made form) was sent to <c>…/subscriptions/</c>, a page that does not exist. It goes back to the page of the
    /// subscription the notification, payment or refund belongs to, as a refusal's Back link does.
    /// </summary>
    [Fact]
    public async Task RedeliverAndSettleForms_WithoutTheirBackField_GoBackToTheSubscriptionsPage()
    {
        var start = new DateTimeOffset(2027, 1, 31, 10, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(
            factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false }), start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(start));
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "deduction", resultCode = "PAYMENT_IN_PROCESS", effect = "processing", match = new { phaseNo = 2 } })).StatusCode.Should().Be(HttpStatusCode.Created);
        await m.AdvanceToAsync(start.AddDays(28));
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "refund", resultCode = "REFUND_IN_PROCESS", effect = "processing" })).StatusCode.Should().Be(HttpStatusCode.Created);
        var phases = (JsonArray)(await m.SubscriptionAsync(subscriptionId))["phases"]!;
        (await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund((string)phases[0]!["paymentId"]!, "5000"))).ResultCode.Should().Be("REFUND_IN_PROCESS");
        var refundId = (string)(await m.SubscriptionAsync(subscriptionId))["refunds"]![0]!["refundId"]!;
        var notificationId = (string)(await m.NotificationsAsync())[0]!["notificationId"]!;
        var self = $"/_emulator/ui/merchants/{m.Merchant.ClientId}";
        var page = $"{self}/subscriptions/{subscriptionId}";
        static HttpContent Form(string form) => new StringContent(form, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");

        var redelivered = await m.Http.PostAsync($"{self}/notifications/{notificationId}/redeliver", Form(""));
        var paymentSettled = await m.Http.PostAsync($"{self}/payments/{(string)phases[1]!["paymentId"]!}/settle", Form("status=SUCCESS"));
        var paymentAgain = await m.Http.PostAsync($"{self}/payments/{(string)phases[1]!["paymentId"]!}/settle", Form("status=FAIL"));
        var refundSettled = await m.Http.PostAsync($"{self}/refunds/{refundId}/settle", Form("status=SUCCESS"));
        var refundAgain = await m.Http.PostAsync($"{self}/refunds/{refundId}/settle", Form("status=FAIL"));

        foreach (var done in new[] { redelivered, paymentSettled, refundSettled })
        {
            done.StatusCode.Should().Be(HttpStatusCode.Redirect);
            done.Headers.Location!.OriginalString.Should().Be(page, "the form goes back to the subscription's page");
        }

        foreach (var refused in new[] { paymentAgain, refundAgain })
        {
            refused.StatusCode.Should().Be(HttpStatusCode.Conflict);
            (await refused.Content.ReadAsStringAsync()).Should().Contain($"<a href=\"{page}\">Back</a>");
        }

        (await m.Http.GetAsync(page)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task DeleteFaultForm_ForAFaultTheMerchantDoesNotHave_IsA404Page_AndLeavesItsFaults()
    {
        var http = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var merchant = await TestMerchant.CreateAsync(http);
        (await http.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/faults", new StringContent("""{"target":"create","resultCode":"RISK_REJECT"}""", System.Text.Encoding.UTF8, "application/json"))).StatusCode.Should().Be(HttpStatusCode.Created);
        var faults = await http.GetStringAsync($"/_emulator/v1/merchants/{merchant.ClientId}/faults");

        var response = await http.PostAsync($"/_emulator/ui/merchants/{merchant.ClientId}/faults/flt_nothere/delete", new FormUrlEncodedContent([]));
        var page = await response.Content.ReadAsStringAsync();

        response.StatusCode.Should().Be(HttpStatusCode.NotFound, "found by the control fuzz: the form redirected as if it had deleted the fault, where the control API answers 404");
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        page.Should().Contain("has no fault flt_nothere");
        (await http.GetStringAsync($"/_emulator/v1/merchants/{merchant.ClientId}/faults")).Should().Be(faults);
        await http.DeleteAsync($"/_emulator/v1/merchants/{merchant.ClientId}");
    }

    [Fact]
    public async Task AdvanceForm_PastTheEndOfTheCalendar_SaysSo_NotThatTheDurationIsUnknown()
    {
        var http = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var merchant = await TestMerchant.CreateAsync(http, frozenAt: new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero));

        var response = await http.PostAsync($"/_emulator/ui/merchants/{merchant.ClientId}/clock/advance", new FormUrlEncodedContent([new("by", "P1M")]));
        var page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        page.Should().Contain("cannot go past the end of the calendar", "found by the control fuzz: the page said the duration was unknown").And.Contain("P1M").And.NotContain("Unknown clock action");
        (await http.GetStringAsync($"/_emulator/v1/merchants/{merchant.ClientId}/clock")).Should().Contain("9999-12-31T00:00:00");
        await http.DeleteAsync($"/_emulator/v1/merchants/{merchant.ClientId}");
    }
}
