using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Testing;

/// <summary>
/// The Antom Subscription Pay emulator for a merchant's tests: started in the test process
/// (<see cref="StartAsync"/>, on a free loopback port with temporary SQLite data) or a running one
/// (<see cref="Connect"/>). Create merchants with fresh key pairs from here.
/// </summary>
public sealed class AntomEmulator : IAsyncDisposable
{
    private static readonly Lazy<Task<AntomEmulator>> Shared = new(StartShared, LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly InProcessEmulator? host;
    private readonly string? dataDirectory;
    private bool shared;
    private RSA? antomPublicKey;

    private AntomEmulator(Uri baseUrl, HttpClient http, InProcessEmulator? host, string? dataDirectory)
    {
        BaseUrl = baseUrl;
        Http = http;
        this.host = host;
        this.dataDirectory = dataDirectory;
    }

    /// <summary>Where the emulated gateway and the control API answer; give it to your Antom client as the gateway URL.</summary>
    public Uri BaseUrl { get; }

    /// <summary>A client for the control API (<c>/_emulator/v1</c>) and the emulated API.</summary>
    public HttpClient Http { get; }

    /// <summary>Starts an emulator in this process. <paramref name="settings"/> are <c>Emulator:…</c> settings.</summary>
    public static Task<AntomEmulator> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var data = Directory.CreateTempSubdirectory("antom-emulator-").FullName;
        var host = new InProcessEmulator(data, settings ?? new Dictionary<string, string?>());
        host.UseKestrel(0);
        host.StartServer();
        var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var baseUrl = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("+", "127.0.0.1", StringComparison.Ordinal));
        return Task.FromResult(new AntomEmulator(baseUrl, new HttpClient(new RetryUnavailable(new SocketsHttpHandler())) { BaseAddress = baseUrl }, host, data));
    }

    /// <summary>Uses an emulator that is already running (locally, in CI, or shared).</summary>
    public static AntomEmulator Connect(Uri baseUrl, string? adminToken = null)
    {
        var http = new HttpClient(new RetryUnavailable(new SocketsHttpHandler())) { BaseAddress = baseUrl };
        if (adminToken is not null)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminToken);
        }

        return new AntomEmulator(baseUrl, http, null, null);
    }

    /// <summary>
    /// The running emulator named by the environment variable <c>ANTOM_EMULATOR_URL</c> (with
    /// <c>ANTOM_EMULATOR_ADMIN_TOKEN</c> when it wants one), else one started in this process with
    /// <paramref name="settings"/>: the same tests run in process on a laptop and against a shared emulator in CI.
    /// </summary>
    public static Task<AntomEmulator> StartOrConnectAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        if (Environment.GetEnvironmentVariable("ANTOM_EMULATOR_URL") is not { Length: > 0 } url)
        {
            return StartAsync(settings);
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException($"ANTOM_EMULATOR_URL must be an absolute http or https URL (got '{url}')");
        }

        return Task.FromResult(Connect(baseUrl, Environment.GetEnvironmentVariable("ANTOM_EMULATOR_ADMIN_TOKEN") is { Length: > 0 } token ? token : null));
    }

    /// <summary>
    /// One emulator for every test of this process, made on first use as <see cref="StartOrConnectAsync"/> makes one (in
    /// process, or the running one <c>ANTOM_EMULATOR_URL</c> names) and kept until the process ends: disposing of it does
    /// nothing, so <c>await using</c> it as any other. A test suite then pays for one start instead of one per test. Tests
    /// share nothing but the server: each makes its own merchant (its own clock, keys, fault rules and notifications), so
    /// test classes that run in parallel do not meet, and the merchants a test made up are deleted when it disposes of them.
    /// </summary>
    public static Task<AntomEmulator> SharedAsync() => Shared.Value;

    private static async Task<AntomEmulator> StartShared()
    {
        var emulator = await StartOrConnectAsync();
        emulator.shared = true;
        if (emulator.host is not null)
        {
            // Nobody disposes of it: the process's end stops the server and removes its temporary data (waiting a few
            // seconds at most, so that a stop that hangs cannot hold the test run's end).
            AppDomain.CurrentDomain.ProcessExit += (_, _) => emulator.Stop().AsTask().Wait(TimeSpan.FromSeconds(5));
        }

        return emulator;
    }

    /// <summary>The Antom public key your integration verifies responses and notifications with.</summary>
    public async Task<RSA> AntomPublicKeyAsync()
    {
        if (antomPublicKey is null)
        {
            var keys = await Http.GetFromJsonAsync<JsonObject>("/_emulator/v1/keys");
            var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(Convert.FromBase64String((string)keys!["antomPublicKey"]!), out _);
            antomPublicKey = rsa;
        }

        return antomPublicKey;
    }

    /// <summary>
    /// Registers a merchant with a fresh RSA-2048 key pair. Its notifications go to <paramref name="notificationBaseUrl"/>
    /// (your own test server: <c>…/notify/subscription</c> and <c>…/notify/payment</c> below its path, with its query), or, when null, to an
    /// inbox in this process that verifies and acknowledges them and lets you await them.
    /// </summary>
    public async Task<EmulatorMerchant> CreateMerchantAsync(string? clientId = null, DateTimeOffset? frozenAt = null, Uri? notificationBaseUrl = null)
    {
        var madeUp = clientId is null;
        clientId ??= "SANDBOX_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        var key = RSA.Create(2048);
        var inbox = notificationBaseUrl is null ? await NotificationInbox.StartAsync(await AntomPublicKeyAsync()) : null;
        var subscriptionUrl = inbox?.SubscriptionUrl ?? Below(notificationBaseUrl!, "notify/subscription");
        var paymentUrl = inbox?.PaymentUrl ?? Below(notificationBaseUrl!, "notify/payment");
        using var response = await Http.PutAsJsonAsync($"/_emulator/v1/merchants/{Uri.EscapeDataString(clientId)}", new
        {
            publicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()),
            subscriptionNotificationUrl = subscriptionUrl,
            paymentNotificationUrl = paymentUrl,
            clock = frozenAt is null ? null : new { frozenAt },
        });
        if (!response.IsSuccessStatusCode)
        {
            // What to fix (a client id too long, a missing admin token), as every other refusal of the kit says it.
            var problem = await response.Content.ReadAsStringAsync();
            if (inbox is not null)
            {
                await inbox.DisposeAsync();
            }

            key.Dispose();
            throw new InvalidOperationException($"PUT /_emulator/v1/merchants/{clientId} answered {(int)response.StatusCode}: {problem}");
        }

        return new EmulatorMerchant(this, clientId, key, inbox, deleteWhenDisposed: madeUp && (host is null || shared));
    }

    /// <summary>
    /// <paramref name="path"/> below the base URL's path, with the base URL's query (a tenant, a token): http://host/antom
    /// means the folder antom, with or without the final slash. The path and query stay escaped as given.
    /// </summary>
    private static string Below(Uri baseUrl, string path) =>
        $"{baseUrl.GetLeftPart(UriPartial.Authority)}{baseUrl.AbsolutePath.TrimEnd('/')}/{path}{baseUrl.Query}";

    /// <summary>Stops the emulator started in process and removes its data; nothing for one connected to (or <see cref="SharedAsync"/>'s).</summary>
    public ValueTask DisposeAsync() => shared ? ValueTask.CompletedTask : Stop();

    private async ValueTask Stop()
    {
        Http.Dispose();
        if (host is not null)
        {
            await host.DisposeAsync();
        }

        if (dataDirectory is not null)
        {
            try
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Left to the OS's temp cleanup if SQLite still holds it.
            }
        }
    }
}
