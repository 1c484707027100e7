using System.Net.Http.Json;
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
    /// The merchant's view says when it was last used before the call asking (the call is a use too, shown by the next):
    /// the use this instance holds in memory, then, once the sweep wrote it, the stored one. The steps but the last stay
    /// within the first minute, before the first sweep.
    /// </summary>
    [Fact]
    public async Task LastUsedAt_IsTheLastApiOrControlCallBeforeTheView_HeldAndThenStored()
    {
        await using var factory = new EmulatorFactory();
        await using var retaining = factory.WithWebHostBuilder(b => Slow(b).UseSetting("Emulator:MerchantRetention", "1.00:00:00"));
        var http = retaining.CreateClient();
        var start = factory.Time.GetUtcNow();
        var merchant = new TestMerchant("SANDBOX_LASTUSED" + Guid.NewGuid().ToString("N")[..8], TestMerchant.SharedKey);
        var view = $"/_emulator/v1/merchants/{merchant.ClientId}";

        var before = await http.GetAsync(view);
        var created = await (await http.PutAsJsonAsync(view, new { publicKey = Convert.ToBase64String(merchant.PrivateKey.ExportSubjectPublicKeyInfo()) })).Content.ReadFromJsonAsync<JsonObject>();
        factory.Time.Advance(TimeSpan.FromSeconds(10) + TimeSpan.FromMicroseconds(500)); // shown to the millisecond, as stored
        await new AntomTestClient(http).CallAsync(merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = "20270101000000000000000000000000001" });
        factory.Time.Advance(TimeSpan.FromSeconds(10));
        var afterTheApiCall = await http.GetFromJsonAsync<JsonObject>(view);
        factory.Time.Advance(TimeSpan.FromSeconds(10));
        (await http.GetAsync(view + "/clock")).EnsureSuccessStatusCode();
        factory.Time.Advance(TimeSpan.FromSeconds(10));
        var afterTheControlCall = await http.GetFromJsonAsync<JsonObject>(view);
        var page = await http.GetStringAsync($"/_emulator/ui/merchants/{merchant.ClientId}");
        factory.Time.Advance(TimeSpan.FromSeconds(30));
        await WrittenAsync(retaining, merchant.ClientId);
        var afterTheSweep = await http.GetFromJsonAsync<JsonObject>(view);
        var stored = await LastUsedMsAsync(retaining, merchant.ClientId);

        before.StatusCode.Should().Be(System.Net.HttpStatusCode.NotFound);
        created!.ContainsKey("lastUsedAt").Should().BeTrue();
        created["lastUsedAt"].Should().BeNull("a merchant the call made was not used before it, though a call named its client id");
        ((string)afterTheApiCall!["lastUsedAt"]!).Should().Be(Iso(start.AddSeconds(10)), "the signed API call, 10 s before; not this view's own call");
        ((string)afterTheControlCall!["lastUsedAt"]!).Should().Be(Iso(start.AddSeconds(30)), "the control call naming the merchant, 10 s before");
        page.Should().Contain($"<p id=\"last-used\">Last used {start.AddSeconds(40):yyyy-MM-dd HH:mm:ss zzz} (on the wall's clock, before this page)", "the view just before it was a use");
        stored.Should().Be(start.AddSeconds(40).ToUnixTimeMilliseconds(), "the sweep at 1 minute wrote the last use, the dashboard page's");
        ((string)afterTheSweep!["lastUsedAt"]!).Should().Be(Iso(start.AddSeconds(40)), "written by the sweep, and no longer held in memory");
        factory.Errors.GetSnapshot().Should().BeEmpty();
    }

    /// <summary>
    /// The sweep takes the uses to write and forgets them only once written: taken away first, a view while the sweep
    /// wrote them would have gone back to the older stored use (or to none).
    /// </summary>
    [Fact]
    public async Task UsesTakenByTheSweep_AreHeldUntilWritten()
    {
        await using var factory = new EmulatorFactory();
        await using var retaining = factory.WithWebHostBuilder(b => Slow(b).UseSetting("Emulator:MerchantRetention", "1.00:00:00"));
        var activity = retaining.Services.GetRequiredService<Emulator.Merchants.MerchantActivity>();
        activity.Used("SANDBOX_HELD");

        var taken = activity.Pending();
        var heldWhileWritten = activity.Held("SANDBOX_HELD");
        activity.Written(taken);

        taken.Should().ContainSingle(u => u.Key == "SANDBOX_HELD");
        heldWhileWritten.Should().Be(factory.Time.GetUtcNow());
        activity.Held("SANDBOX_HELD").Should().BeNull();
    }

    [Fact]
    public async Task WithoutARetention_LastUsedAtIsNull_UsesAreNotTracked()
    {
        await using var factory = new EmulatorFactory();
        await using var keeping = factory.WithWebHostBuilder(b => Slow(b));
        var http = keeping.CreateClient();
        var merchant = await TestMerchant.CreateAsync(http);
        var view = $"/_emulator/v1/merchants/{merchant.ClientId}";

        await new AntomTestClient(http).CallAsync(merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = "20270101000000000000000000000000001" });
        factory.Time.Advance(TimeSpan.FromMinutes(2));
        await http.GetFromJsonAsync<JsonObject>(view);
        var registered = await http.GetFromJsonAsync<JsonObject>(view);
        var page = await http.GetStringAsync($"/_emulator/ui/merchants/{merchant.ClientId}");
        var written = await LastUsedMsAsync(keeping, merchant.ClientId);
        // As a time when retention was on left it: out of date now that uses are not counted.
        await keeping.Services.GetRequiredService<MerchantStore>().RecordUseAsync([new(merchant.ClientId, EmulatorFactory.Start)], CancellationToken.None);
        var stale = await http.GetFromJsonAsync<JsonObject>(view);

        registered!.ContainsKey("lastUsedAt").Should().BeTrue("the field is there, null");
        registered["lastUsedAt"].Should().BeNull();
        page.Should().NotContain("id=\"last-used\"");
        written.Should().BeNull("uses are neither held nor written");
        stale!["lastUsedAt"].Should().BeNull("a use stored while retention was on is out of date");
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

    /// <summary>Awaits the sweep that writes the merchant's use held in memory (5 s at most).</summary>
    private static async Task WrittenAsync(WebApplicationFactory<Program> emulator, string clientId)
    {
        var activity = emulator.Services.GetRequiredService<Emulator.Merchants.MerchantActivity>();
        for (var i = 0; i < 50 && activity.Held(clientId) is not null; i++)
        {
            await Task.Delay(100);
        }

        activity.Held(clientId).Should().BeNull("the sweep wrote the use");
    }

    private static async Task<long?> LastUsedMsAsync(WebApplicationFactory<Program> emulator, string clientId)
    {
        var database = emulator.Services.GetRequiredService<Database>();
        return (await database.QueryAsync("SELECT last_used_ms FROM merchants WHERE client_id = @id", r => r.IsDBNull(0) ? (long?)null : r.GetInt64(0), CancellationToken.None, ("@id", clientId))).Single();
    }

    private static string Iso(DateTimeOffset at) => at.ToString("yyyy-MM-dd'T'HH:mm:ssK", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<bool> RegisteredAsync(WebApplicationFactory<Program> emulator, string clientId)
    {
        var database = emulator.Services.GetRequiredService<Database>();
        var found = await database.QueryAsync("SELECT client_id FROM merchants WHERE client_id = @id", r => r.GetString(0), CancellationToken.None, ("@id", clientId));
        return found.Count > 0;
    }
}
