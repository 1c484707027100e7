using System.Security.Cryptography;
using ContractTests.Support;
using Emulator.Testing;
using Emulator.Testing.Conformance;
using SampleMerchant;

namespace ContractTests.Harness;

/// <summary>
/// The conformance suite run against the two sample merchants: the correct one passes every check; the careless one
/// (acks unverified notifications, retries a U with a new request id) fails exactly those checks.
/// </summary>
public sealed class ConformanceTests
{
    private static readonly string[] CarelessMistakes =
        ["refuse-forged-signature", "refuse-wrong-key", "refuse-tampered-body", "api-request-id-reused-after-unknown", "api-request-id-reused-after-timeout"];

    [Fact]
    public async Task CorrectSampleMerchant_PassesEveryCheck()
    {
        var scorecard = await RunAgainstSampleAsync(careless: false);

        scorecard.Checks.Should().HaveCount(12);
        scorecard.Checks.Should().OnlyContain(c => c.Outcome == CheckResult.Pass, scorecard.ToMarkdown());
    }

    [Fact]
    public async Task CarelessSampleMerchant_FailsExactlyItsMistakes()
    {
        var scorecard = await RunAgainstSampleAsync(careless: true);

        scorecard.Failed.Should().BeEquivalentTo(CarelessMistakes, scorecard.ToMarkdown());
        scorecard.Checks.Where(c => !CarelessMistakes.Contains(c.Id)).Should().OnlyContain(c => c.Outcome == CheckResult.Pass);
        scorecard.Checks.Single(c => c.Id == "api-request-id-reused-after-unknown").Reason.Should().Contain("a second subscription may be created");
    }

    [Fact]
    public Task CommandLineTool_WritesTheScorecard_AndExitsNonZeroOnFailures() =>
        CheckCommandLineToolAsync("dotnet", [Builds.Output("Emulator.Conformance", "antom-conformance.dll")]);

    /// <summary>
    /// Runs the command-line tool (<paramref name="command"/>, then <paramref name="prefix"/> before the tool's own
    /// arguments) against the careless sample merchant, and checks its exit code and the scorecard it writes.
    /// </summary>
    internal static async Task CheckCommandLineToolAsync(string command, string[] prefix)
    {
        var output = Directory.CreateTempSubdirectory("conformance-cli-").FullName;
        var run = (ExitCode: -1, Output: "");
        await RunAgainstSampleAsync(careless: true, async (emulator, merchant, merchantUrl) =>
        {
            run = await Command.RunAsync(command,
            [
                .. prefix, "--emulator", emulator.BaseUrl.ToString(), "--client-id", merchant.ClientId,
                "--subscription-url", new Uri(merchantUrl, "antom/notify/subscription").ToString(),
                "--payment-url", new Uri(merchantUrl, "antom/notify/payment").ToString(),
                "--antom-private-key", Fixtures.Path("keys/antom-private.pem"), "--out", output,
            ], output);
        });

        var json = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, "conformance.json")))!;
        var markdown = await File.ReadAllTextAsync(Path.Combine(output, "conformance.md"));
        Directory.Delete(output, recursive: true);

        run.ExitCode.Should().Be(1, run.Output);
        json["checks"]!.AsArray().Where(c => (string)c!["outcome"]! == "fail").Select(c => (string)c!["id"]!)
            .Should().BeEquivalentTo("refuse-forged-signature", "refuse-wrong-key", "refuse-tampered-body");
        json["checks"]!.AsArray().Where(c => ((string)c!["id"]!).StartsWith("api-", StringComparison.Ordinal)).Should().OnlyContain(c => (string)c!["outcome"]! == "skipped");
        markdown.Should().Contain("| `refuse-wrong-key` does not acknowledge a notification signed by another key | fail |");
    }

    private static async Task<Scorecard> RunAgainstSampleAsync(bool careless)
    {
        Scorecard? scorecard = null;
        await RunAgainstSampleAsync(careless, async (emulator, merchant, merchantUrl) =>
        {
            var suite = new ConformanceSuite(new ConformanceOptions
            {
                EmulatorUrl = emulator.BaseUrl,
                ClientId = merchant.ClientId,
                SubscriptionNotificationUrl = new Uri(merchantUrl, "antom/notify/subscription"),
                PaymentNotificationUrl = new Uri(merchantUrl, "antom/notify/payment"),
                ProcessedUrl = new Uri(merchantUrl, "conformance/processed"),
                TriggerUrl = new Uri(merchantUrl, "conformance"),
                AntomPrivateKeyPem = Fixtures.Read("keys/antom-private.pem"),
            });
            scorecard = await suite.RunAsync();
            await scorecard.WriteAsync(Path.Combine(Path.GetDirectoryName(Fixtures.Directory)!, "artifacts", careless ? "conformance-careless" : "conformance-correct"));
        });
        return scorecard!;
    }

    /// <summary>An emulator in process, a merchant registered at it, and the sample merchant app serving that merchant.</summary>
    private static async Task RunAgainstSampleAsync(bool careless, Func<AntomEmulator, EmulatorMerchant, Uri, Task> act)
    {
        await using var emulator = await AntomEmulator.StartAsync();
        var port = Builds.FreePort();
        var merchantUrl = new Uri($"http://127.0.0.1:{port}/");
        await using var merchant = await emulator.CreateMerchantAsync(notificationBaseUrl: new Uri(merchantUrl, "antom/"));
        var antomKey = await emulator.AntomPublicKeyAsync();
        await using var sample = MerchantApp.Build(
        [
            "--urls", merchantUrl.ToString(),
            "--Logging:LogLevel:Default=Warning",
            $"--Merchant:GatewayUrl={emulator.BaseUrl}",
            $"--Merchant:ClientId={merchant.ClientId}",
            $"--Merchant:PrivateKey={merchant.PrivateKeyPkcs8Base64}",
            $"--Merchant:AntomPublicKey={Convert.ToBase64String(antomKey.ExportSubjectPublicKeyInfo())}",
            $"--Merchant:Careless={careless}",
            "--Merchant:TimeoutSeconds=2",
        ]);
        await sample.StartAsync();
        await act(emulator, merchant, merchantUrl);
        await sample.StopAsync();
    }
}
