using System.Net.Http.Json;
using ContractTests.Support;
using Emulator.Testing;

namespace ContractTests.Harness;

/// <summary>
/// The README's first call, examples/create-subscription.sh (openssl signs, curl sends), run as a reader runs it against
/// an emulator on a loopback port: a signed SUCCESS. Run again after the README's own time-travel walkthrough moved the
/// default merchant's clock three months ahead, it starts "now" on that clock: it used to take the wall's time, a
/// start more than a period in the clock's past, and was refused as PARAM_ILLEGAL until the merchant was deleted.
/// </summary>
public sealed class ExamplesTests
{
    private const string Merchant = "/_emulator/v1/merchants/SANDBOX_5YEMULATOR00001";

    [Fact]
    public async Task CreateSubscriptionScript_IsASignedSuccess_AlsoAfterTheMerchantsClockWasAdvanced()
    {
        var root = Path.GetDirectoryName(Fixtures.Directory)!;
        var script = Path.Combine(root, "examples", "create-subscription.sh");
        await using var emulator = await AntomEmulator.StartAsync();
        using var http = new HttpClient { BaseAddress = emulator.BaseUrl };
        var environment = new Dictionary<string, string> { ["EMULATOR_URL"] = emulator.BaseUrl.ToString().TrimEnd('/') };

        var first = await Command.RunAsync("bash", [script], root, environment);
        (await http.PostAsJsonAsync($"{Merchant}/clock/freeze", new { })).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync($"{Merchant}/clock/advance", new { by = "P3M" })).EnsureSuccessStatusCode();
        var afterAdvance = await Command.RunAsync("bash", [script], root, environment);

        foreach (var (run, when) in new[] { (first, "at first"), (afterAdvance, "after the advance") })
        {
            run.ExitCode.Should().Be(0, run.Output);
            run.Output.Should().StartWith("HTTP/1.1 200", when)
                .And.Contain("signature: algorithm=RSA256,keyVersion=1,signature=", when)
                .And.Contain("\"resultCode\":\"SUCCESS\"", when)
                .And.Contain("\"normalUrl\":", when)
                .And.Contain("subscriptionRequestId: readme-", when);
        }
    }
}
