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
}
