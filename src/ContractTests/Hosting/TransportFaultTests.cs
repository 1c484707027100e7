using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Hosting;

/// <summary>Transport faults seen by a real HTTP client over real sockets, against the emulator process.</summary>
public sealed class TransportFaultTests : IAsyncLifetime
{
    private readonly string dataDirectory = Directory.CreateTempSubdirectory("emulator-transport-").FullName;
    private EmulatorProcess? emulator;
    private HttpClient http = null!;
    private HttpClient impatient = null!;
    private TestMerchant merchant = null!;

    public async Task InitializeAsync()
    {
        (emulator, var baseUri, _) = await EmulatorProcess.StartAsync(dataDirectory);
        // Generous for the calls that are answered (a first call on a busy CI machine took over 2 s); the timeout test
        // gives up after 2 s with a client of its own.
        http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
        impatient = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(2) };
        merchant = await TestMerchant.CreateAsync(http);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        impatient.Dispose();
        await emulator!.DisposeAsync();
        Directory.Delete(dataDirectory, recursive: true);
    }

    [Fact]
    public async Task Delay_AnswersNormallyAfterTheDelay()
    {
        await AddAsync(new { target = "create", transport = "delay", delay = "PT0.4S" });
        var watch = Stopwatch.StartNew();

        var reply = await CreateAsync();

        watch.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(400));
        reply.ResultCode.Should().Be("SUCCESS");
        reply.SignatureValid.Should().BeTrue();
    }

    [Fact]
    public async Task Timeout_NoAnswerWithinTheClientsLimit_AndNothingHappened()
    {
        await AddAsync(new { target = "create", transport = "timeout" });

        var call = async () => await CreateAsync(impatient);

        await call.Should().ThrowAsync<TaskCanceledException>();
        (await ListAsync()).Should().BeEmpty("effect defaults to notApplied");
    }

    [Fact]
    public async Task Reset_TheConnectionIsDropped_ButAppliedTookEffect()
    {
        await AddAsync(new { target = "create", transport = "reset", effect = "applied" });

        var call = async () => await CreateAsync();

        await call.Should().ThrowAsync<HttpRequestException>();
        (await ListAsync()).Should().HaveCount(1);
    }

    [Fact]
    public async Task Http500_IsAPlainServerError()
    {
        await AddAsync(new { target = "create", transport = "http500" });

        var reply = await CreateAsync();

        reply.Status.Should().Be(HttpStatusCode.InternalServerError);
        reply.Headers.Should().NotContainKey("signature");
    }

    [Fact]
    public async Task BadSignature_DoesNotVerifyWithTheAntomKey()
    {
        await AddAsync(new { target = "create", transport = "badSignature" });

        var bad = await CreateAsync();
        var next = await CreateAsync();
        var journal = (await http.GetFromJsonAsync<System.Text.Json.Nodes.JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/api-calls"))!;

        bad.ResultCode.Should().Be("SUCCESS");
        bad.Headers.Should().ContainKey("signature");
        bad.SignatureValid.Should().BeFalse();
        next.SignatureValid.Should().BeTrue("the rule was used up");
        journal.Select(c => ((string)c!["resultCode"]!, (string)c["resultStatus"]!)).Should().Equal(
            [("TRANSPORT_BADSIGNATURE", "U"), ("SUCCESS", "S")], "the journal lists what the client saw: an answer it cannot trust");
    }

    [Fact]
    public async Task NoSignature_AnswersWithoutTheHeader()
    {
        await AddAsync(new { target = "create", transport = "noSignature" });

        var reply = await CreateAsync();

        reply.ResultCode.Should().Be("SUCCESS");
        reply.Headers.Should().NotContainKey("signature").And.ContainKey("response-time");
    }

    private async Task AddAsync(object fault) =>
        (await http.PostAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}/faults", fault)).StatusCode.Should().Be(HttpStatusCode.Created);

    private Task<AntomReply> CreateAsync(HttpClient? client = null) =>
        new AntomTestClient(client ?? http).CallAsync(merchant, "create", Bodies.Create(DateTimeOffset.Parse("2030-01-01T00:00:00Z")));

    private async Task<JsonArray> ListAsync() =>
        (await http.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions"))!;
}
