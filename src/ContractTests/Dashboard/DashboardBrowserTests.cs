using System.Net.Http.Json;
using ContractTests.Hosting;
using ContractTests.Support;
using Microsoft.Playwright;

namespace ContractTests.Dashboard;

/// <summary>
/// A person's path through the pages, in a real browser (Debian's Chromium driven by Playwright) against the emulator
/// process: approve on the authorization page, advance the clock from the dashboard, see the new phase and its
/// notification on the timeline, redeliver it, add and remove a fault.
/// </summary>
public sealed class DashboardBrowserTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2027, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly string dataDirectory = Directory.CreateTempSubdirectory("emulator-browser-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(dataDirectory, recursive: true);
        return Task.CompletedTask;
    }

    public static string ArtifactsDirectory => Path.Combine(Path.GetDirectoryName(Fixtures.Directory)!, "artifacts");

    [Fact]
    public async Task Approve_Advance_SeeThePhase_Redeliver_InABrowser()
    {
        await using var receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey);
        var (emulator, baseUri, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using var _ = emulator;
        using var http = new HttpClient { BaseAddress = baseUri };
        var merchant = await TestMerchant.CreateAsync(http, receiver, Start);
        var body = MerchantHarness.Body(Start);
        body["subscriptionRedirectUrl"] = new Uri(receiver.BaseAddress, "/returned").ToString();
        var created = await new AntomTestClient(http).CallAsync(merchant, "create", body);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync();

        // The buyer approves on the page behind normalUrl and lands back at the merchant.
        await page.GotoAsync((string)created.Json["normalUrl"]!);
        await page.ClickAsync("#approve");
        await page.WaitForURLAsync(new Uri(receiver.BaseAddress, "/returned").ToString());
        (await page.TextContentAsync("#merchant")).Should().Be("Back at the merchant");

        // The developer advances the merchant's clock a month from the dashboard.
        await page.GotoAsync(new Uri(baseUri, $"/_emulator/ui/merchants/{merchant.ClientId}").ToString());
        (await page.TextContentAsync("#clock")).Should().Contain("2027-03-01 09:00:00");
        await page.ClickAsync("#advance-P1M");
        (await page.TextContentAsync("#clock")).Should().Contain("2027-04-01 09:00:00");

        // The subscription's timeline shows phase 2 and its notification.
        await page.ClickAsync("#subscriptions a");
        (await page.TextContentAsync("#status")).Should().Be("ACTIVE");
        (await page.Locator("#phases tr").CountAsync()).Should().Be(3, "a header and phases 1 and 2");
        (await page.TextContentAsync("#notifications")).Should().Contain("\"phaseNo\":\"2\"");
        (await page.Locator("#lifecycle rect[data-current=true] + text").TextContentAsync()).Should().Be("ACTIVE");

        // Redeliver phase 2's notifyPayment from its row.
        var phase2 = page.Locator("#notifications tr", new() { HasText = "\"phaseNo\":\"2\"" });
        await phase2.Locator("button").ClickAsync();
        (await page.Locator("#notifications tr", new() { HasText = "\"phaseNo\":\"2\"" }).TextContentAsync()).Should().Contain("(redelivery)");
        receiver.Received.Count(r => r.IsPayment && (string)r.Json["phaseNo"]! == "2").Should().Be(2);

        Directory.CreateDirectory(ArtifactsDirectory);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ArtifactsDirectory, "dashboard-timeline.png"), FullPage = true });

        // Faults in force: add one from the form, see it, remove it.
        await page.GotoAsync(new Uri(baseUri, $"/_emulator/ui/merchants/{merchant.ClientId}").ToString());
        await page.SelectOptionAsync("#add-fault select[name=target]", "create");
        await page.FillAsync("#add-fault input[name=value]", "RISK_REJECT");
        await page.ClickAsync("#add-fault-button");
        (await page.TextContentAsync("#faults")).Should().Contain("RISK_REJECT");
        var faults = await http.GetFromJsonAsync<System.Text.Json.Nodes.JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/faults");
        faults.Should().HaveCount(1);
        await page.ClickAsync("#faults button");
        (await page.TextContentAsync("#faults")).Should().NotContain("RISK_REJECT");
    }
}
