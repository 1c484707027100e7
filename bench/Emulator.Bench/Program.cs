using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

// Benchmarks of the emulator against what this machine can do (issue #8). Each prints its figures and the ceiling
// it is compared with. Run from the repository root after a Release build:
//   dotnet build -c Release src/Emulator && dotnet run -c Release --project bench/Emulator.Bench -- [throughput|storm|memory|all] [--subscriptions N]
var what = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
if (what == ReferenceEndpoint.Mode)
{
    await ReferenceEndpoint.RunAsync(args);
    return 0;
}

if (what == ReferenceSender.Mode)
{
    await ReferenceSender.RunAsync(args);
    return 0;
}

int Arg(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
var root = new DirectoryInfo(AppContext.BaseDirectory);
while (root is not null && !File.Exists(Path.Combine(root.FullName, "Emulator.sln")))
{
    root = root.Parent;
}

if (root is null)
{
    Console.Error.WriteLine("run from inside the repository");
    return 2;
}

var dll = Environment.GetEnvironmentVariable("EMULATOR_DLL") is { Length: > 0 } other ? other : Path.Combine(root.FullName, "src", "Emulator", "bin", "Release", "net10.0", "Emulator.dll");
if (!File.Exists(dll))
{
    Console.Error.WriteLine($"build the emulator first: dotnet build -c Release src/Emulator ({dll} is missing)");
    return 2;
}

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {RuntimeInfo()}");
if (what is "throughput" or "all")
{
    await Throughput(Arg("--requests", 20_000));
}

if (what is "storm" or "all")
{
    await Storm(Arg("--subscriptions", 1_000));
}

if (what is "memory" or "all")
{
    await Memory(Arg("--subscriptions", 20_000));
}

return 0;

async Task Throughput(int requests)
{
    Console.WriteLine($"\n## 1. Signed create throughput ({requests} unique requests, SQLite)");
    using var key = RSA.Create(2048);
    using var antom = RSA.Create(2048);
    var sample = Encoding.UTF8.GetBytes("POST /ams/sandbox/api/v1/subscriptions/create\nSANDBOX_BENCH.1764000000000." + CreateBody.For("ceiling"));
    var signature = key.SignData(sample, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    double MeasureCeiling() => Parallel(TimeSpan.FromSeconds(3), () =>
    {
        key.VerifyData(sample, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        antom.SignData(sample, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    });
    var ceiling = MeasureCeiling();
    Console.WriteLine($"ceiling: RSA-2048 verify + sign of the same payload on {Environment.ProcessorCount} cores: {ceiling:0} /s");

    await using var emulator = await EmulatorProcess.StartAsync(dll);
    var merchant = await emulator.MerchantAsync(key, null, null);
    if (Wrk.Find() is { } wrk && !args.Contains("--dotnet-client"))
    {
        await Wrk.ThroughputAsync(wrk, root.FullName, emulator, merchant, key, ceiling, MeasureCeiling, Arg("--seconds", 10), Arg("--rate", 0), args.Contains("--latency-only"));
        return;
    }

    Console.WriteLine("load client: .NET HttpClient (install wrk for a load client that costs less CPU)");
    var signed = await Task.Run(() => Enumerable.Range(0, requests).AsParallel().Select(i => emulator.SignCreate(merchant, key, CreateBody.For($"bench-{i}"))).ToArray());
    var sent = 0;
    var failures = 0;
    var watch = Stopwatch.StartNew();
    await System.Threading.Tasks.Parallel.ForEachAsync(signed, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (request, ct) =>
    {
        if (!(await emulator.SendAsync(request)).Contains("\"SUCCESS\"", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref failures);
        }

        Interlocked.Increment(ref sent);
    });
    var rate = sent / watch.Elapsed.TotalSeconds;
    Console.WriteLine($"emulator: {rate:0} signed creates/s ({failures} not SUCCESS); ratio to ceiling {rate / ceiling:0.00} (goal ≥ 0.8)");

    var half = Arg("--rate", 0) is > 0 and var fixedRate ? fixedRate : rate / 2;
    var paced = await Task.Run(() => Enumerable.Range(0, (int)Math.Min(half * 4, requests)).AsParallel().Select(i => emulator.SignCreate(merchant, key, CreateBody.For($"paced-{i}"))).ToArray());
    var latencies = new ConcurrentBag<double>();
    var pace = Stopwatch.StartNew();
    var inFlight = new List<Task>();
    // Paced by a 1 ms timer (each tick sends what has fallen due), not by spinning: on two cores a spinning client
    // would take a core from the emulator it measures.
    using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
    var next = 0;
    while (next < paced.Length)
    {
        await tick.WaitForNextTickAsync();
        for (; next < paced.Length && TimeSpan.FromSeconds(next / half) <= pace.Elapsed; next++)
        {
            var request = paced[next];
            inFlight.Add(Task.Run(async () =>
            {
                var one = Stopwatch.StartNew();
                await emulator.SendAsync(request);
                latencies.Add(one.Elapsed.TotalMilliseconds);
            }));
        }
    }

    await Task.WhenAll(inFlight);
    Console.WriteLine($"latency at half the maximum rate ({half:0}/s, {latencies.Count} requests): {Latency.Percentiles(latencies)} (goal p99 ≤ 5 ms)");
}

async Task Storm(int subscriptions)
{
    Console.WriteLine($"\n## 2. Time storm: {subscriptions} active monthly subscriptions, advance 12 months");
    using var key = RSA.Create(2048);
    await using var receiver = await Receiver.StartAsync();
    await using var emulator = await EmulatorProcess.StartAsync(dll);
    var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
    var merchant = await emulator.MerchantAsync(key, receiver.Url, start);
    var setup = Stopwatch.StartNew();
    await System.Threading.Tasks.Parallel.ForEachAsync(Enumerable.Range(0, subscriptions), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
    {
        await emulator.SendAsync(emulator.SignCreate(merchant, key, CreateBody.For($"storm-{i}")));
        (await emulator.Http.PostAsync($"/_emulator/v1/merchants/{merchant}/subscription-requests/storm-{i}/approve", null, ct)).EnsureSuccessStatusCode();
    });
    // Each approval answers with the subscription's view (phases, timeline, notifications): its cost must not grow with
    // the merchant's other subscriptions.
    Console.WriteLine($"setup: {subscriptions} signed creates, each approved through the control API, in {setup.Elapsed.TotalSeconds:0.0} s ({subscriptions / setup.Elapsed.TotalSeconds:0} pairs/s)");
    using var antom = RSA.Create(2048);
    var body = Encoding.UTF8.GetBytes(new string('x', 520));
    double SignRate() => Parallel(TimeSpan.FromSeconds(3), () => antom.SignData(body, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    var rateBefore = SignRate();

    var before = receiver.Payments;
    var emulatorCpu = emulator.CpuSeconds();
    var benchCpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    var watch = Stopwatch.StartNew();
    (await emulator.Http.PostAsJsonAsync($"/_emulator/v1/merchants/{merchant}/clock/advance", new { by = "P12M" })).EnsureSuccessStatusCode();
    var elapsed = watch.Elapsed;
    emulatorCpu = emulator.CpuSeconds() - emulatorCpu;
    benchCpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - benchCpu;
    var delivered = receiver.Payments - before;

    // The VM's speed drifts: the signing rate is measured just before and just after the advance, and the ceiling is
    // the time to sign what was delivered at the mean of the two.
    var rateAfter = SignRate();
    var ceiling = TimeSpan.FromSeconds(delivered / ((rateBefore + rateAfter) / 2));
    Console.WriteLine($"emulator: {delivered} notifyPayment delivered and acknowledged in {elapsed.TotalSeconds:0.0} s ({delivered / elapsed.TotalSeconds:0}/s); CPU used meanwhile: emulator {emulatorCpu:0.0} s, receiver {benchCpu:0.0} s");
    Console.WriteLine($"ceiling: signing {delivered} such bodies on {Environment.ProcessorCount} cores at {rateBefore:0}/s (before) and {rateAfter:0}/s (after): {ceiling.TotalSeconds:0.0} s; ratio {elapsed / ceiling:0.00} (goal ≤ 1.3)");

    // The least a sender can do on this stack (sign, post, read the acknowledgement; nothing stored), just after.
    var receiverCpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    var (referenceSeconds, referenceCpu) = await ReferenceSender.RunProcessAsync(receiver.Url, delivered);
    receiverCpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - receiverCpu;
    Console.WriteLine($"reference (sign, post, read the acknowledgement, nothing stored; bench/Emulator.Bench/ReferenceEndpoint.cs): {delivered} in {referenceSeconds:0.0} s "
        + $"(CPU: sender {referenceCpu:0.0} s, receiver {receiverCpu:0.0} s), ratio to the ceiling {referenceSeconds / ceiling.TotalSeconds:0.00}; the emulator takes {elapsed.TotalSeconds / referenceSeconds:0.00}× its time");
}

async Task Memory(int subscriptions)
{
    Console.WriteLine($"\n## 4. Memory after storing {subscriptions} subscriptions");
    using var key = RSA.Create(2048);
    await using var emulator = await EmulatorProcess.StartAsync(dll);
    var merchant = await emulator.MerchantAsync(key, null, null);
    var idle = emulator.ResidentMegabytes();
    var signed = await Task.Run(() => Enumerable.Range(0, subscriptions).AsParallel().Select(i => emulator.SignCreate(merchant, key, CreateBody.For($"mem-{i}"))).ToArray());
    await System.Threading.Tasks.Parallel.ForEachAsync(signed, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (r, ct) => await emulator.SendAsync(r));
    Console.WriteLine($"RSS: {idle:0} MB idle, {emulator.ResidentMegabytes():0} MB after {subscriptions} subscriptions (goal ≤ 150 MB at 100,000)");
}

static double Parallel(TimeSpan duration, Action work)
{
    long count = 0;
    var watch = Stopwatch.StartNew();
    System.Threading.Tasks.Parallel.For(0, Environment.ProcessorCount, _ =>
    {
        while (watch.Elapsed < duration)
        {
            work();
            Interlocked.Increment(ref count);
        }
    });
    return count / watch.Elapsed.TotalSeconds;
}

static string RuntimeInfo() => File.Exists("/proc/cpuinfo")
    ? Regex.Match(File.ReadAllText("/proc/cpuinfo"), @"model name\s*:\s*(.*)").Groups[1].Value.Trim()
    : "";

/// <summary>The emulator as its own process on a free loopback port, with fresh data.</summary>
sealed class EmulatorProcess : IAsyncDisposable
{
    private readonly Process? process;
    private readonly string? data;

    private EmulatorProcess(Process? process, string? data, Uri url)
    {
        this.process = process;
        this.data = data;
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = url };
    }

    public HttpClient Http { get; }

    /// <summary>Starts a fresh emulator, or uses the one at BENCH_EMULATOR_URL (to run it under a profiler).</summary>
    public static async Task<EmulatorProcess> StartAsync(string dll)
    {
        if (Environment.GetEnvironmentVariable("BENCH_EMULATOR_URL") is { Length: > 0 } running)
        {
            return new EmulatorProcess(null, null, new Uri(running));
        }

        var data = Directory.CreateTempSubdirectory("emulator-bench-").FullName;
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { dll, "--urls", $"http://127.0.0.1:{port}", "--Logging:LogLevel:Default=Warning" })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["Emulator__DataDirectory"] = data;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var emulator = new EmulatorProcess(process, data, new Uri($"http://127.0.0.1:{port}"));
        for (var i = 0; i < 200; i++)
        {
            try
            {
                (await emulator.Http.GetAsync("/_emulator/v1/health")).EnsureSuccessStatusCode();
                return emulator;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException("the emulator did not start");
    }

    public async Task<int> CountSubscriptionsAsync(string clientId) =>
        (await Http.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{clientId}/subscriptions"))!.Count;

    public async Task<string> MerchantAsync(RSA key, Uri? notifications, DateTimeOffset? frozenAt)
    {
        var clientId = "SANDBOX_BENCH" + RandomNumberGenerator.GetInt32(1_000_000);
        (await Http.PutAsJsonAsync($"/_emulator/v1/merchants/{clientId}", new
        {
            publicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()),
            subscriptionNotificationUrl = notifications is null ? "http://127.0.0.1:9/s" : new Uri(notifications, "s").ToString(),
            paymentNotificationUrl = notifications is null ? "http://127.0.0.1:9/p" : new Uri(notifications, "p").ToString(),
            clock = frozenAt is null ? null : new { frozenAt },
        })).EnsureSuccessStatusCode();
        return clientId;
    }

    public (string ClientId, string Time, string Signature, byte[] Body) SignCreate(string clientId, RSA key, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        const string time = "1764000000000";
        var content = Encoding.UTF8.GetBytes($"POST /ams/sandbox/api/v1/subscriptions/create\n{clientId}.{time}.").Concat(bytes).ToArray();
        var signature = "algorithm=RSA256,keyVersion=1,signature=" + WebUtility.UrlEncode(Convert.ToBase64String(key.SignData(content, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)));
        return (clientId, time, signature, bytes);
    }

    public async Task<string> SendAsync((string ClientId, string Time, string Signature, byte[] Body) r)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ams/sandbox/api/v1/subscriptions/create") { Content = new ByteArrayContent(r.Body) };
        request.Headers.TryAddWithoutValidation("Client-Id", r.ClientId);
        request.Headers.TryAddWithoutValidation("Request-Time", r.Time);
        request.Headers.TryAddWithoutValidation("Signature", r.Signature);
        using var response = await Http.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>CPU time the emulator process has used (NaN when it runs elsewhere).</summary>
    public double CpuSeconds()
    {
        if (process is null)
        {
            return double.NaN;
        }

        process.Refresh();
        return process.TotalProcessorTime.TotalSeconds;
    }

    public double ResidentMegabytes() =>
        process is null ? double.NaN : double.Parse(Regex.Match(File.ReadAllText($"/proc/{process.Id}/status"), @"VmRSS:\s+(\d+) kB").Groups[1].Value, CultureInfo.InvariantCulture) / 1024;

    public ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Directory.Delete(data!, recursive: true);
        }

        return ValueTask.CompletedTask;
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>A merchant endpoint that acknowledges everything and counts payments.</summary>
sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private int payments;

    private Receiver(WebApplication app) => this.app = app;

    public Uri Url { get; private set; } = null!;

    public int Payments => Volatile.Read(ref payments);

    public static async Task<Receiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new Receiver(app);
        app.MapPost("/{kind}", (string kind) =>
        {
            if (kind == "p")
            {
                Interlocked.Increment(ref receiver.payments);
            }

            return Results.Content("""{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}""", "application/json");
        });
        await app.StartAsync();
        receiver.Url = new Uri(app.Urls.First() + "/");
        return receiver;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}

/// <summary>
/// wrk (Debian package <c>wrk</c>) as the load client: one thread written in C, so that nearly both cores go to the
/// emulator. Requests are signed beforehand into a file that <c>bench/wrk-create.lua</c> cycles through.
/// </summary>
static class Wrk
{
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "wrk")).FirstOrDefault(File.Exists);

    public static async Task ThroughputAsync(string wrk, string root, EmulatorProcess emulator, string merchant, RSA key, double ceiling, Func<double> measureCeiling, int seconds, int fixedRate, bool latencyOnly)
    {
        Console.WriteLine($"load client: {wrk}, 1 thread, 32 connections, {seconds} s");
        var file = Path.GetTempFileName();
        try
        {
            // More unique requests than the runs can send at the ceiling itself. A fresh process runs tier-0 code and JITs
            // for its first seconds: each server gets 5 s at full load first, not measured, then the measured run goes on
            // from where the warm-up stopped in the file (each request id once: a replayed create would be an idempotent
            // answer, and the reference skips rows it already has).
            const int WarmUpSeconds = 5;
            var count = (int)(ceiling * (seconds + WarmUpSeconds) * 1.3) + 1000;
            await File.WriteAllLinesAsync(file, await SignedLinesAsync("wrk", count));

            var script = Path.Combine(root, "bench", "wrk-create.lua");
            async Task<int> WarmUpAsync(Uri url)
            {
                var (warmRate, _) = await RunAsync(wrk, ["-t1", "-c32", $"-d{WarmUpSeconds}s", "-s", script, url.ToString(), "--", file, "0"]);
                return (int)(warmRate * WarmUpSeconds * 1.2) + 100;
            }

            var offset = await WarmUpAsync(emulator.Http.BaseAddress!);
            Console.WriteLine($"warm-up: {WarmUpSeconds} s at full load (not measured)");
            double rate = fixedRate * 2;
            if (!latencyOnly || fixedRate <= 0)
            {
                var createdBefore = await emulator.CountSubscriptionsAsync(merchant);
                var cpu = emulator.CpuSeconds();
                (rate, _) = await RunAsync(wrk, ["-t1", "-c32", $"-d{seconds}s", "--latency", "-s", script, emulator.Http.BaseAddress!.ToString(), "--", file, "0", $"{offset}"]);
                cpu = emulator.CpuSeconds() - cpu;
                var created = await emulator.CountSubscriptionsAsync(merchant) - createdBefore;
                // The same load on the least a signed endpoint can do on this stack (one SQLite write), right after.
                var (referenceRate, referenceCpu, referenceRows) = await ReferenceEndpoint.WithAsync(key, async (referenceUrl, reference) =>
                {
                    var referenceOffset = await WarmUpAsync(referenceUrl);
                    using var probe = new HttpClient { BaseAddress = referenceUrl };
                    async Task<long> RowsAsync() => long.Parse(await probe.GetStringAsync("/rows"), CultureInfo.InvariantCulture);
                    var rowsBefore = await RowsAsync();
                    reference.Refresh();
                    var before = reference.TotalProcessorTime.TotalSeconds;
                    var (measured, _) = await RunAsync(wrk, ["-t1", "-c32", $"-d{seconds}s", "-s", script, referenceUrl.ToString(), "--", file, "0", $"{referenceOffset}"]);
                    reference.Refresh();
                    return (measured, (reference.TotalProcessorTime.TotalSeconds - before) / (measured * seconds), await RowsAsync() - rowsBefore);
                });

                // The VM's speed drifts from minute to minute: the ceiling is measured again just after the runs, and
                // the ratio taken to the mean of the two.
                var after = measureCeiling();
                Console.WriteLine($"ceiling again after the runs: {after:0} /s");
                ceiling = (ceiling + after) / 2;
                Console.WriteLine($"emulator: {rate:0} signed creates/s ({created} subscriptions created); ratio to the mean ceiling ({ceiling:0} /s) {rate / ceiling:0.00} (goal ≥ 0.8)");
                Console.WriteLine($"emulator CPU per create: {cpu / created * 1e6:0} µs (verify + sign alone: {Environment.ProcessorCount / ceiling * 1e6:0} µs)");
                Console.WriteLine($"reference (verify, parse, one SQLite row, sign; bench/Emulator.Bench/ReferenceEndpoint.cs), same load just after: {referenceRate:0} /s ({referenceRows} rows written), "
                    + $"ratio to the ceiling {referenceRate / ceiling:0.00}, {referenceCpu * 1e6:0} µs of CPU per request; the emulator reaches {rate / referenceRate:0.00} of it");
            }

            // Paced at half that rate (or --rate): 16 connections, each pausing between its requests; fresh request ids.
            // wrk pauses in whole milliseconds after each answer, so a short calibration run measures the answer time
            // and the pause is what is left of each connection's share of the rate.
            var half = fixedRate > 0 ? fixedRate : rate / 2;
            const int Connections = 16, CalibrationSeconds = 3;
            var calibrationLines = (int)(half * CalibrationSeconds * 2) + 100;
            await File.WriteAllLinesAsync(file, await SignedLinesAsync("wrk-paced", calibrationLines + (int)(half * seconds * 1.5) + 100));
            async Task<(double Rate, string Latency, int Pause)> PacedAsync(Uri url)
            {
                var share = Connections / half * 1000;
                var (calibrated, _) = await RunAsync(wrk, ["-t1", $"-c{Connections}", $"-d{CalibrationSeconds}s", "-s", script, url.ToString(), "--", file, $"{Math.Round(share)}"]);
                var answer = Math.Max(0, Connections / calibrated * 1000 - Math.Round(share));
                var pause = (int)Math.Max(0, Math.Round(share - answer));
                var (paced, latency) = await RunAsync(wrk, ["-t1", $"-c{Connections}", $"-d{seconds}s", "--latency", "-s", script, url.ToString(), "--", file, $"{pause}", $"{calibrationLines}"]);
                return (paced, latency, pause);
            }

            var (pacedRate, latency, pause) = await PacedAsync(emulator.Http.BaseAddress!);
            Console.WriteLine($"latency at half the maximum rate (asked {half:0}/s, ran {pacedRate:0}/s: {Connections} connections, {pause} ms pause): {latency} (goal p99 ≤ 5 ms)");
            var (referencePaced, referenceLatency, referencePause) = await ReferenceEndpoint.WithAsync(key, async (referenceUrl, _) =>
            {
                await RunAsync(wrk, ["-t1", "-c32", "-d5s", "-s", script, referenceUrl.ToString(), "--", file, "0"]);
                return await PacedAsync(referenceUrl);
            });
            Console.WriteLine($"reference endpoint, same rate after a 5-s warm-up ({referencePaced:0}/s, {referencePause} ms pause): {referenceLatency}");
            Console.WriteLine($"floor: one RSA-2048 signature alone, 8 callers at the same rate in this process: {await SignLatencyAsync(pacedRate, seconds)}");
        }
        finally
        {
            File.Delete(file);
        }

        // One line per signed create with its own request id, as bench/wrk-create.lua reads them.
        Task<string[]> SignedLinesAsync(string prefix, int count) => Task.Run(() => Enumerable.Range(0, count).AsParallel().AsOrdered().Select(i =>
        {
            var (clientId, time, signature, body) = emulator.SignCreate(merchant, key, CreateBody.For($"{prefix}-{i}"));
            return $"{clientId}\t{time}\t{signature}\t{Encoding.UTF8.GetString(body)}";
        }).ToArray());
    }

    /// <summary>
    /// How long one signature takes on this machine when nothing else is asked of it, paced like the latency run: what
    /// a signed answer's latency cannot go below (a 0.5 ms computation is sometimes descheduled for milliseconds).
    /// </summary>
    private static async Task<string> SignLatencyAsync(double rate, int seconds)
    {
        using var rsa = RSA.Create(2048);
        var data = Encoding.UTF8.GetBytes(new string('x', 600));
        var durations = new ConcurrentBag<double>();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(i / rate));
            while (watch.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                var start = Stopwatch.GetTimestamp();
                rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                durations.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                await Task.Delay(TimeSpan.FromSeconds(8 / rate));
            }
        })));
        return Latency.Percentiles(durations);
    }

    private static async Task<(double Rate, string Latency)> RunAsync(string wrk, string[] arguments)
    {
        var info = new ProcessStartInfo(wrk) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var rate = double.Parse(Regex.Match(output, @"Requests/sec:\s+([\d.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        string Percentile(string p) => Regex.Match(output, $@"\s{p}%\s+(\S+)").Groups[1].Value;
        return (rate, $"p50 {Percentile("50")}, p90 {Percentile("90")}, p99 {Percentile("99")}");
    }
}

/// <summary>The create request every benchmark sends, with its own request id.</summary>
static class CreateBody
{
    public static string For(string requestId) =>
        "{\"subscriptionRequestId\":\"" + requestId + "\",\"subscriptionDescription\":\"Bench plan\",\"subscriptionRedirectUrl\":\"https://m.example/r\","
        + "\"subscriptionStartTime\":\"2027-01-01T00:00:00+00:00\",\"periodRule\":{\"periodType\":\"MONTH\",\"periodCount\":1},"
        + "\"paymentMethod\":{\"paymentMethodType\":\"GCASH\"},\"paymentAmount\":{\"currency\":\"PHP\",\"value\":\"19900\"},"
        + "\"orderInfo\":{\"orderAmount\":{\"currency\":\"PHP\",\"value\":\"19900\"}},\"env\":{\"terminalType\":\"WEB\"}}";
}

static class Latency
{
    /// <summary>p50, p90 and p99 of durations in milliseconds, written as wrk writes them.</summary>
    public static string Percentiles(IEnumerable<double> milliseconds)
    {
        var sorted = milliseconds.Order().ToArray();
        string At(double p) => $"{sorted[(int)(sorted.Length * p)]:0.00}ms";
        return $"p50 {At(0.5)}, p90 {At(0.9)}, p99 {At(0.99)}";
    }
}
