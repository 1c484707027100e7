using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

/// <summary>
/// The issue's reference point, run on this machine: the least a signed create endpoint can do on the same stack
/// (Kestrel, .NET's RSA, SQLite). It verifies the request's signature with a key parsed once, parses the body, writes
/// one SQLite row (WAL, <c>synchronous=OFF</c>, one prepared statement), and answers with a signed JSON result. No
/// validation, idempotency, state machine, journal or faults: what the emulator adds on top is measured against it.
/// </summary>
static class ReferenceEndpoint
{
    public const string Mode = "reference-server";

    /// <summary>Runs in a process of its own: <c>reference-server PORT PUBLIC_KEY_SPKI_BASE64 DATA_DIRECTORY</c>.</summary>
    public static async Task RunAsync(string[] args)
    {
        var port = int.Parse(args[1], CultureInfo.InvariantCulture);
        using var verifier = RSA.Create();
        verifier.ImportSubjectPublicKeyInfo(Convert.FromBase64String(args[2]), out _);
        using var signer = RSA.Create(2048);
        using var connection = new SqliteConnection($"Data Source={Path.Combine(args[3], "reference.db")};Pooling=False");
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; CREATE TABLE requests (request_id TEXT PRIMARY KEY, client_id TEXT NOT NULL, body BLOB NOT NULL, at INTEGER NOT NULL);";
            setup.ExecuteNonQuery();
        }

        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO requests (request_id, client_id, body, at) VALUES ($id, $client, $body, $at) ON CONFLICT DO NOTHING";
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var client = insert.Parameters.Add("$client", SqliteType.Text);
        var stored = insert.Parameters.Add("$body", SqliteType.Blob);
        var at = insert.Parameters.Add("$at", SqliteType.Integer);
        insert.Prepare();
        var writer = new Lock();

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/health", () => "ok");
        app.MapGet("/rows", () =>
        {
            lock (writer)
            {
                using var count = connection.CreateCommand();
                count.CommandText = "SELECT count(*) FROM requests";
                return Convert.ToInt64(count.ExecuteScalar(), CultureInfo.InvariantCulture);
            }
        });
        app.MapPost("/ams/sandbox/api/v1/subscriptions/create", async (HttpContext http) =>
        {
            var body = new byte[(int)(http.Request.ContentLength ?? 0)];
            await http.Request.Body.ReadAtLeastAsync(body, body.Length, throwOnEndOfStream: false);
            var clientId = http.Request.Headers["Client-Id"].ToString();
            var requestTime = http.Request.Headers["Request-Time"].ToString();
            var header = http.Request.Headers["Signature"].ToString();
            var signature = Convert.FromBase64String(WebUtility.UrlDecode(header[(header.IndexOf("signature=", StringComparison.Ordinal) + "signature=".Length)..]));
            var path = http.Request.Path.Value!;
            var content = Encoding.UTF8.GetBytes($"POST {path}\n{clientId}.{requestTime}.").Concat(body).ToArray();
            string resultCode;
            string? requestId = null;
            if (!verifier.VerifyData(content, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                resultCode = "INVALID_SIGNATURE";
            }
            else
            {
                using var document = JsonDocument.Parse(body);
                requestId = document.RootElement.GetProperty("subscriptionRequestId").GetString();
                lock (writer)
                {
                    id.Value = requestId;
                    client.Value = clientId;
                    stored.Value = body;
                    at.Value = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
                    insert.ExecuteNonQuery();
                }

                resultCode = "SUCCESS";
            }

            var answer = JsonSerializer.SerializeToUtf8Bytes(new Answer(new Result(resultCode, resultCode == "SUCCESS" ? "S" : "F", resultCode), requestId), JsonSerializerOptions.Web);
            var responseTime = TimeProvider.System.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
            var signed = Encoding.UTF8.GetBytes($"POST {path}\n{clientId}.{responseTime}.").Concat(answer).ToArray();
            var responseSignature = Convert.ToBase64String(signer.SignData(signed, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
            http.Response.ContentType = "application/json; charset=UTF-8";
            http.Response.Headers["client-id"] = clientId;
            http.Response.Headers["response-time"] = responseTime;
            http.Response.Headers["signature"] = "algorithm=RSA256,keyVersion=1,signature=" + WebUtility.UrlEncode(responseSignature);
            http.Response.ContentLength = answer.Length;
            await http.Response.Body.WriteAsync(answer);
        });
        await app.RunAsync();
    }

    /// <summary>Runs <paramref name="measure"/> against a fresh reference endpoint (its URL and process), then stops it.</summary>
    public static async Task<T> WithAsync<T>(RSA merchantKey, Func<Uri, Process, Task<T>> measure)
    {
        var data = Directory.CreateTempSubdirectory("emulator-bench-reference-").FullName;
        try
        {
            var (process, url) = await StartAsync(merchantKey, data);
            try
            {
                return await measure(url, process);
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                process.Dispose();
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>Starts the reference endpoint as a process of its own (this program, in the mode above).</summary>
    private static async Task<(Process Process, Uri Url)> StartAsync(RSA merchantKey, string data)
    {
        var port = EmulatorProcess.FreePort();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { typeof(ReferenceEndpoint).Assembly.Location, Mode, port.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(merchantKey.ExportSubjectPublicKeyInfo()), data })
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var url = new Uri($"http://127.0.0.1:{port}/");
        using var http = new HttpClient { BaseAddress = url };
        for (var i = 0; i < 200; i++)
        {
            try
            {
                (await http.GetAsync("/health")).EnsureSuccessStatusCode();
                return (process, url);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException("the reference endpoint did not start");
    }

    private sealed record Result(string ResultCode, string ResultStatus, string ResultMessage);

    private sealed record Answer(Result Result, string? SubscriptionRequestId);
}

/// <summary>
/// The storm's reference point: the least a notification sender can do on the same stack. It signs each notifyPayment
/// body and posts it to the receiver, 64 at a time (as the emulator's time machine), with nothing stored.
/// </summary>
static class ReferenceSender
{
    public const string Mode = "reference-sender";

    /// <summary>Runs in a process of its own: <c>reference-sender RECEIVER_URL COUNT</c>; prints the seconds it took.</summary>
    public static async Task RunAsync(string[] args)
    {
        var receiver = new Uri(new Uri(args[1]), "p");
        var count = int.Parse(args[2], CultureInfo.InvariantCulture);
        using var key = RSA.Create(2048);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var watch = Stopwatch.StartNew();
        await System.Threading.Tasks.Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
        {
            var body = Encoding.UTF8.GetBytes(
                "{\"notifyType\":\"PAYMENT_RESULT\",\"result\":{\"resultCode\":\"SUCCESS\",\"resultStatus\":\"S\",\"resultMessage\":\"success\"},"
                + $"\"paymentRequestId\":\"reference-{i}\",\"paymentId\":\"2027010119400000000{i:D8}\",\"subscriptionId\":\"20270101194000000000{i % 10000:D6}\","
                + "\"paymentAmount\":{\"currency\":\"PHP\",\"value\":\"19900\"},\"paymentCreateTime\":\"2027-02-01T00:00:00+00:00\","
                + "\"paymentTime\":\"2027-02-01T00:00:00+00:00\",\"periodStartTime\":\"2027-02-01T00:00:00+00:00\",\"periodEndTime\":\"2027-03-01T00:00:00+00:00\",\"phaseNo\":2}");
            var time = TimeProvider.System.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
            var content = Encoding.UTF8.GetBytes($"POST {receiver.AbsolutePath}\nSANDBOX_BENCH.{time}.").Concat(body).ToArray();
            var signature = Convert.ToBase64String(key.SignData(content, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
            using var request = new HttpRequestMessage(HttpMethod.Post, receiver) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "UTF-8" };
            request.Headers.TryAddWithoutValidation("client-id", "SANDBOX_BENCH");
            request.Headers.TryAddWithoutValidation("request-time", time);
            request.Headers.TryAddWithoutValidation("signature", "algorithm=RSA256,keyVersion=1,signature=" + WebUtility.UrlEncode(signature));
            using var response = await http.SendAsync(request, ct);
            var ack = await response.Content.ReadAsStringAsync(ct);
            if (!ack.Contains("SUCCESS", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("not acknowledged: " + ack);
            }
        });
        Console.WriteLine(FormattableString.Invariant($"{watch.Elapsed.TotalSeconds:0.000} {Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:0.000}"));
    }

    /// <summary>Runs the sender as a process of its own and returns its wall time and CPU time.</summary>
    public static async Task<(double Seconds, double CpuSeconds)> RunProcessAsync(Uri receiver, int count)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
        foreach (var a in new[] { typeof(ReferenceEndpoint).Assembly.Location, Mode, receiver.ToString(), count.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var figures = output.Trim().Split(' ');
        return (double.Parse(figures[0], CultureInfo.InvariantCulture), double.Parse(figures[1], CultureInfo.InvariantCulture));
    }
}
