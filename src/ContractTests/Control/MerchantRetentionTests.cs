using System.Text.Json.Nodes;
using ContractTests.Support;
using Emulator.Persistence;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ContractTests.Control;

/// <summary>
/// A shared instance deletes the merchants nobody used for <c>Emulator:MerchantRetention</c> (those left behind by
/// cancelled pipelines), counted on the wall's clock from the last API call, control call or dashboard page naming them;
/// the default merchant stays. Each test has an emulator of its own: it moves the wall's clock. (A retention shorter
/// than the sweep stops the start: <c>ProcessTests.SettingOutOfItsRange_StopsTheStartWithTheSettingsName</c>.)
/// </summary>
public sealed class MerchantRetentionTests
{
    [Fact]
    public async Task MerchantUnusedForTheRetention_IsDeleted_OneUsedByAnApiCallOrTheControlApiStays_AsDoesTheDefault()
    {
        await using var factory = new EmulatorFactory();
        await using var retaining = factory.WithWebHostBuilder(b => Slow(b).UseSetting("Emulator:MerchantRetention", "1.00:00:00"));
        var http = retaining.CreateClient();
        var client = new AntomTestClient(http);
        var idle = await TestMerchant.CreateAsync(http);
        var calling = await TestMerchant.CreateAsync(http);
        var controlled = await TestMerchant.CreateAsync(http);

        factory.Time.Advance(TimeSpan.FromHours(20));
        var call = await client.CallAsync(calling, "inquireSubscription", new JsonObject { ["subscriptionId"] = "20270101000000000000000000000000001" });
        (await http.GetAsync($"/_emulator/v1/merchants/{controlled.ClientId}/clock")).EnsureSuccessStatusCode();
        factory.Time.Advance(TimeSpan.FromHours(5));
        var idleGone = await GoneAsync(retaining, idle.ClientId);
        var callingKept = await RegisteredAsync(retaining, calling.ClientId);
        var controlledKept = await RegisteredAsync(retaining, controlled.ClientId);
        factory.Time.Advance(TimeSpan.FromHours(20));
        var callingGone = await GoneAsync(retaining, calling.ClientId);
        var defaultKept = await RegisteredAsync(retaining, Fixtures.DefaultClientId);

        call.ResultCode.Should().Be("SUBSCRIPTION_NOT_EXIST", "a call of the merchant's, whatever its answer");
        idleGone.Should().BeTrue("unused for 25 hours");
        callingKept.Should().BeTrue("its API call was 5 hours ago");
        controlledKept.Should().BeTrue("its control call was 5 hours ago");
        callingGone.Should().BeTrue("unused for 25 hours since its API call");
        defaultKept.Should().BeTrue("the default merchant of fixtures/ is kept");
        factory.Errors.GetSnapshot().Should().BeEmpty();
    }

    [Fact]
    public async Task WithoutARetention_MerchantsAreKept()
    {
        await using var factory = new EmulatorFactory();
        await using var keeping = factory.WithWebHostBuilder(b => Slow(b));
        var idle = await TestMerchant.CreateAsync(keeping.CreateClient());

        factory.Time.Advance(TimeSpan.FromDays(30));
        var gone = await GoneAsync(keeping, idle.ClientId);

        gone.Should().BeFalse();
    }

    /// <summary>
    /// The background loop ticks once a day instead of every second: the test clock runs every timer's every tick on
    /// its way (tens of thousands in a day), and nothing here is due on the merchants' clocks.
    /// </summary>
    private static IWebHostBuilder Slow(IWebHostBuilder builder) => builder.UseSetting("Emulator:SchedulerInterval", "1.00:00:00");

    /// <summary>
    /// Whether the merchant is deleted by the sweep the clock's last move made due: it runs in the background, so its
    /// effect is awaited (5 s at most). The database is asked, not the control API, whose call would be a use.
    /// </summary>
    private static async Task<bool> GoneAsync(WebApplicationFactory<Program> emulator, string clientId)
    {
        for (var i = 0; i < 50; i++)
        {
            if (!await RegisteredAsync(emulator, clientId))
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }

    private static async Task<bool> RegisteredAsync(WebApplicationFactory<Program> emulator, string clientId)
    {
        var database = emulator.Services.GetRequiredService<Database>();
        var found = await database.QueryAsync("SELECT client_id FROM merchants WHERE client_id = @id", r => r.GetString(0), CancellationToken.None, ("@id", clientId));
        return found.Count > 0;
    }
}
