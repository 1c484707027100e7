using System.Net;
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
