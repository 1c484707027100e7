using System.Net;
using System.Net.Sockets;
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
        ["refuse-forged-signature", "refuse-wrong-key", "refuse-tampered-body", "api-request-id-reused-after-unknown"];

    [Fact]
    public async Task CorrectSampleMerchant_PassesEveryCheck()
    {
        var scorecard = await RunAgainstSampleAsync(careless: false);

        scorecard.Checks.Should().HaveCount(11);
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

    private static async Task<Scorecard> RunAgainstSampleAsync(bool careless)
    {
        await using var emulator = await AntomEmulator.StartAsync();
        var port = FreePort();
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
        ]);
        await sample.StartAsync();

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
        var scorecard = await suite.RunAsync();
        await scorecard.WriteAsync(Path.Combine(Path.GetDirectoryName(Fixtures.Directory)!, "artifacts", careless ? "conformance-careless" : "conformance-correct"));
        await sample.StopAsync();
        return scorecard;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
