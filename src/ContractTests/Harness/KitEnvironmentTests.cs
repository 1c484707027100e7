using ContractTests.Support;
using Emulator.Testing;

namespace ContractTests.Harness;

/// <summary>
/// The kit's choice between a running emulator and one in process, which follows a process-wide environment variable:
/// in a collection of its own that runs alone, so that no other test (the README's example) starts or connects while the
/// variable names another emulator or a mistyped URL.
/// </summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class KitEnvironmentTests
{
    /// <summary>One test body for both: in process on a laptop, against the running emulator <c>ANTOM_EMULATOR_URL</c> names in CI.</summary>
    [Fact]
    public async Task Kit_StartOrConnect_FollowsAntomEmulatorUrl()
    {
        await using var running = await AntomEmulator.StartAsync();
        var before = Environment.GetEnvironmentVariable("ANTOM_EMULATOR_URL");
        try
        {
            Environment.SetEnvironmentVariable("ANTOM_EMULATOR_URL", running.BaseUrl.ToString());
            await using var connected = await AntomEmulator.StartOrConnectAsync();
            await using var merchant = await connected.CreateMerchantAsync(clientId: "SANDBOX_STARTORCONNECT");
            var seen = await running.Http.GetAsync("/_emulator/v1/merchants/SANDBOX_STARTORCONNECT");
            Environment.SetEnvironmentVariable("ANTOM_EMULATOR_URL", "localhost:5080");
            var mistyped = await Record.ExceptionAsync(() => AntomEmulator.StartOrConnectAsync());
            Environment.SetEnvironmentVariable("ANTOM_EMULATOR_URL", null);
            await using var started = await AntomEmulator.StartOrConnectAsync();

            connected.BaseUrl.Should().Be(running.BaseUrl);
            seen.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, "the merchant was made on the running emulator");
            mistyped.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Be("ANTOM_EMULATOR_URL must be an absolute http or https URL (got 'localhost:5080')");
            started.BaseUrl.Should().NotBe(running.BaseUrl, "without the variable the emulator starts in process");
        }
        finally
        {
            Environment.SetEnvironmentVariable("ANTOM_EMULATOR_URL", before);
        }
    }
}
