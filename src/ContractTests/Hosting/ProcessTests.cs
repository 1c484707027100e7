using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ContractTests.Support;
using Xunit.Abstractions;

namespace ContractTests.Hosting;

/// <summary>
/// The emulator as a real process on real sockets: HTTP and HTTPS with the self-signed certificate kept in the data
/// directory, an absolute-URL request target (the Python SDK's), and how soon it answers after start.
/// </summary>
public sealed class ProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string dataDirectory = Directory.CreateTempSubdirectory("emulator-process-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(dataDirectory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Process_AnswersSignedCreateOverHttpAndHttps_AndKeepsItsCertificate()
    {
        X509Certificate2? firstCertificate;
        X509Certificate2? secondCertificate;
        var (emulator, http, https) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (emulator)
        {
            var overHttp = await CreateAsync(http, certificate: null);
            var firstAnswer = emulator.Stopwatch.Elapsed;
            (var overHttps, firstCertificate) = await CreateOverHttpsAsync(https);

            output.WriteLine($"process start → first signed create answered over HTTP: {firstAnswer.TotalMilliseconds:F0} ms");
            overHttp.ResultCode.Should().Be("SUCCESS", overHttp.ResultMessage);
            overHttp.SignatureValid.Should().BeTrue();
            overHttps.ResultCode.Should().Be("SUCCESS", overHttps.ResultMessage);
            overHttps.SignatureValid.Should().BeTrue();
            File.Exists(Path.Combine(dataDirectory, "https-certificate.pfx")).Should().BeTrue();
            firstAnswer.Should().BeLessThan(TimeSpan.FromSeconds(10), "the goal is one second; CI machines are slower and busier (bench/ measures it)");
            emulator.Output.Should().MatchRegex(
                @"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z info: Emulator\.Protocol\.AntomGateway\[0\] API create client SANDBOX_5YEMULATOR00001 request req-[0-9a-f]{32} → SUCCESS",
                "one log line per API call: time, API, client id, request id, result code");
            emulator.Output.Should().Contain(
                $"Gateway URL for your Antom client: {http.ToString().TrimEnd('/')}; dashboard: {http.ToString().TrimEnd('/')}/_emulator/ui;",
                "the start says where to point an integration and a browser");
        }

        var (restarted, _, httpsAgain) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (restarted)
        {
            (_, secondCertificate) = await CreateOverHttpsAsync(httpsAgain);
        }

        secondCertificate!.Thumbprint.Should().Be(firstCertificate!.Thumbprint, "the certificate made at first start is kept in the data directory");
    }

    /// <summary>
    /// A Client-Id outside printable ASCII was copied into the answer's client-id header, which Kestrel refuses to
    /// write: HTTP 500 on every API path. (The in-process server does not check header values, so this runs the
    /// process.)
    /// </summary>
    [Fact]
    public async Task Process_ClientIdOutsideAscii_IsASignedParamIllegal_NotAnHttp500()
    {
        var (emulator, http, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (emulator)
        {
            using var handler = new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 };
            using var client = new HttpClient(handler) { BaseAddress = http };
            var answers = new List<HttpResponseMessage>();
            foreach (var path in new[] { "/ams/api/v1/subscriptions/create", "/ams/api/v1/nothing" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
                request.Headers.TryAddWithoutValidation("Client-Id", "SANDBOX_caf\u00e9");
                request.Headers.TryAddWithoutValidation("Request-Time", "1764000000000");
                answers.Add(await client.SendAsync(request));
            }

            answers.Should().OnlyContain(a => a.StatusCode == System.Net.HttpStatusCode.OK, emulator.Output);
            answers.Should().OnlyContain(a => a.Headers.Contains("signature"));
            (await answers[0].Content.ReadAsStringAsync()).Should().Contain("header Client-Id: must be printable ASCII");
            (await answers[1].Content.ReadAsStringAsync()).Should().Contain("NO_INTERFACE_DEF");
        }
    }

    [Fact]
    public async Task Process_WithACertificateOfItsOwn_ServesHttpsWithIt()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new CertificateRequest("CN=emulator.team.example", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var own = request.CreateSelfSigned(TimeProvider.System.GetUtcNow().AddDays(-1), TimeProvider.System.GetUtcNow().AddDays(30));
        var certificatePath = Path.Combine(dataDirectory, "team.crt");
        var keyPath = Path.Combine(dataDirectory, "team.key");
        await File.WriteAllTextAsync(certificatePath, own.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());

        var (emulator, _, https) = await EmulatorProcess.StartAsync(dataDirectory, new Dictionary<string, string>
        {
            ["Kestrel__Certificates__Default__Path"] = certificatePath,
            ["Kestrel__Certificates__Default__KeyPath"] = keyPath,
        });
        await using (emulator)
        {
            var (reply, served) = await CreateOverHttpsAsync(https);

            reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
            served!.Thumbprint.Should().Be(own.Thumbprint, "Kestrel's default certificate setting replaces the self-signed one");
            File.Exists(Path.Combine(dataDirectory, "https-certificate.pfx")).Should().BeFalse();
        }
    }

    [Fact]
    public async Task HealthProbe_WithAnAdminToken_PassesWithoutIt_TheControlApiNot()
    {
        // The Docker HEALTHCHECK, and a load balancer that cannot send a header, probe an emulator that wants a token
        // (the probe runs without it here, as it does where the token was given otherwise than in its environment).
        var (emulator, http, _) = await EmulatorProcess.StartAsync(dataDirectory, new Dictionary<string, string> { ["Emulator__AdminToken"] = "s3cret" });
        await using (emulator)
        {
            var dll = Builds.Output("Emulator", "Emulator.dll");
            using var anonymous = new HttpClient { BaseAddress = http };

            var probe = await Command.RunAsync("dotnet", [dll, "--health-probe", http.ToString()], dataDirectory);
            var health = await anonymous.GetAsync("/_emulator/v1/health");
            var keys = await anonymous.GetAsync("/_emulator/v1/keys");

            probe.ExitCode.Should().Be(0, probe.Output);
            health.StatusCode.Should().Be(System.Net.HttpStatusCode.Unauthorized, "every /_emulator call wants the token (CONTROL-API.md)");
            keys.StatusCode.Should().Be(System.Net.HttpStatusCode.Unauthorized);
        }
    }

    [Fact]
    public async Task DefaultMerchant_ChangedWithPut_KeepsItsChangesAcrossARestart()
    {
        var url = "http://127.0.0.1:9/antom/notify/subscription";
        var (emulator, http, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (emulator)
        {
            using var client = new HttpClient { BaseAddress = http };
            var put = await client.PutAsJsonAsync($"/_emulator/v1/merchants/{Fixtures.DefaultClientId}", new { publicKey = Fixtures.Read("keys/merchant-public.spki.b64").Trim(), subscriptionNotificationUrl = url });
            put.EnsureSuccessStatusCode();
        }

        var (restarted, httpAgain, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (restarted)
        {
            using var client = new HttpClient { BaseAddress = httpAgain };
            var merchant = await client.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>($"/_emulator/v1/merchants/{Fixtures.DefaultClientId}");

            ((string)merchant!["subscriptionNotificationUrl"]!).Should().Be(url, "the default merchant is loaded from fixtures/ only when it does not exist yet or the fixture changed");
        }
    }

    [Fact]
    public async Task DefaultMerchant_FixtureEdited_ItsNewValuesReachTheStoredMerchant_ButNotOverWhatAPutChanged()
    {
        var fixtures = Path.Combine(dataDirectory, "fixtures");
        CopyDirectory(Fixtures.Directory, fixtures);
        var environment = new Dictionary<string, string> { ["Emulator__FixturesDirectory"] = fixtures };
        var merchantPath = $"/_emulator/v1/merchants/{Fixtures.DefaultClientId}";
        async Task<System.Text.Json.Nodes.JsonObject> StartAsync(object? put = null)
        {
            var (emulator, http, _) = await EmulatorProcess.StartAsync(dataDirectory, environment);
            await using (emulator)
            {
                using var client = new HttpClient { BaseAddress = http };
                if (put is not null)
                {
                    (await client.PutAsJsonAsync(merchantPath, put)).EnsureSuccessStatusCode();
                }

                return (await client.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>(merchantPath))!;
            }
        }

        var publicKey = Fixtures.Read("keys/merchant-public.spki.b64").Trim();
        await StartAsync(new { publicKey, subscriptionNotificationUrl = "http://127.0.0.1:9/from-put", paymentNotificationUrl = "http://localhost:8081/antom/notify/payment" });
        var file = Path.Combine(fixtures, "default-merchant.json");
        File.WriteAllText(file, File.ReadAllText(file).Replace("http://localhost:8081/antom/notify/", "http://127.0.0.1:9/edited/", StringComparison.Ordinal));
        var afterEdit = await StartAsync();
        var again = await StartAsync();

        ((string)afterEdit["paymentNotificationUrl"]!).Should().Be("http://127.0.0.1:9/edited/payment", "the PUT left the payment URL as the fixture had it, so the edited fixture's replaces it");
        ((string)afterEdit["subscriptionNotificationUrl"]!).Should().Be("http://127.0.0.1:9/from-put", "what the PUT changed stays");
        again.ToJsonString().Should().Be(afterEdit.ToJsonString(), "an unchanged fixture changes nothing");
    }

    /// <summary>
    /// A key set by a PUT stays with its own version when the fixture's key and version change, and a merchant made again
    /// by a PUT (no record of a fixture) keeps its key across a restart.
    /// </summary>
    [Fact]
    public async Task DefaultMerchant_KeyOfAPut_StaysWithItsVersion_WhateverTheFixtureSays()
    {
        var fixtures = Path.Combine(dataDirectory, "fixtures");
        CopyDirectory(Fixtures.Directory, fixtures);
        var environment = new Dictionary<string, string> { ["Emulator__FixturesDirectory"] = fixtures };
        var merchantPath = $"/_emulator/v1/merchants/{Fixtures.DefaultClientId}";
        using var own = System.Security.Cryptography.RSA.Create(2048);
        using var rotated = System.Security.Cryptography.RSA.Create(2048);
        var ownKey = Convert.ToBase64String(own.ExportSubjectPublicKeyInfo());
        async Task<System.Text.Json.Nodes.JsonObject> StartAsync(Func<HttpClient, Task>? act = null)
        {
            var (emulator, http, _) = await EmulatorProcess.StartAsync(dataDirectory, environment);
            await using (emulator)
            {
                using var client = new HttpClient { BaseAddress = http };
                if (act is not null)
                {
                    await act(client);
                }

                return (await client.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>(merchantPath))!;
            }
        }

        await StartAsync(async client => (await client.PutAsJsonAsync(merchantPath, new { publicKey = ownKey, keyVersion = "1" })).EnsureSuccessStatusCode());
        File.WriteAllText(Path.Combine(fixtures, "keys", "rotated.spki.b64"), Convert.ToBase64String(rotated.ExportSubjectPublicKeyInfo()));
        var file = Path.Combine(fixtures, "default-merchant.json");
        File.WriteAllText(file, File.ReadAllText(file)
            .Replace("\"keyVersion\": \"1\"", "\"keyVersion\": \"2\"", StringComparison.Ordinal)
            .Replace("keys/merchant-public.spki.b64", "keys/rotated.spki.b64", StringComparison.Ordinal));
        System.Text.Json.Nodes.JsonObject? rotatedStart = null;
        var afterRotation = await StartAsync(async client =>
        {
            rotatedStart = (await client.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>(merchantPath))!;
            (await client.DeleteAsync(merchantPath)).EnsureSuccessStatusCode();
            (await client.PutAsJsonAsync(merchantPath, new { publicKey = ownKey, keyVersion = "1" })).EnsureSuccessStatusCode();
        });
        var madeAgain = await StartAsync();

        ((string)rotatedStart!["publicKey"]!).Should().Be(ownKey, "the fixture's new key does not replace the PUT's");
        ((string)rotatedStart["keyVersion"]!).Should().Be("1", "nor does its new version: the key and its version go together");
        ((string)afterRotation["publicKey"]!).Should().Be(ownKey);
        ((string)madeAgain["publicKey"]!).Should().Be(ownKey, "a merchant made again by a PUT keeps its key: it differs from the fixture's");
        ((string)madeAgain["keyVersion"]!).Should().Be("1", "the key and its version go together");
    }

    /// <summary>
    /// Two instances of a shared deployment whose fixtures differ (a rolling upgrade) take turns loading theirs, but
    /// neither undoes a PUT: here played by one data directory started with one fixture folder, then the other.
    /// </summary>
    [Fact]
    public async Task DefaultMerchant_InstancesWithDifferentFixtures_NeitherUndoesAPut()
    {
        var first = Path.Combine(dataDirectory, "fixtures-a");
        var second = Path.Combine(dataDirectory, "fixtures-c");
        CopyDirectory(Fixtures.Directory, first);
        CopyDirectory(Fixtures.Directory, second);
        var file = Path.Combine(second, "default-merchant.json");
        File.WriteAllText(file, File.ReadAllText(file).Replace("/antom/notify/payment", "/antom/notify/payment-c", StringComparison.Ordinal));
        var merchantPath = $"/_emulator/v1/merchants/{Fixtures.DefaultClientId}";
        async Task<string> StartAsync(string fixtures, string? put = null)
        {
            var (emulator, http, _) = await EmulatorProcess.StartAsync(dataDirectory, new Dictionary<string, string> { ["Emulator__FixturesDirectory"] = fixtures });
            await using (emulator)
            {
                using var client = new HttpClient { BaseAddress = http };
                if (put is not null)
                {
                    (await client.PutAsJsonAsync(merchantPath, new { publicKey = Fixtures.Read("keys/merchant-public.spki.b64").Trim(), subscriptionNotificationUrl = put, paymentNotificationUrl = put })).EnsureSuccessStatusCode();
                }

                return (string)(await client.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>(merchantPath))!["paymentNotificationUrl"]!;
            }
        }

        var loadedByA = await StartAsync(first);
        var loadedByC = await StartAsync(second, put: "http://127.0.0.1:9/put-z");
        var restartedA = await StartAsync(first);

        loadedByA.Should().Be("http://localhost:8081/antom/notify/payment");
        loadedByC.Should().Be("http://127.0.0.1:9/put-z");
        restartedA.Should().Be("http://127.0.0.1:9/put-z", "A's fixture did not change the PUT's value back");
    }

    /// <summary>
    /// A data directory of a version that did not record the fixture: the default merchant as that version's fixture
    /// left it takes today's fixture (the notification URLs the sample merchant listens on); one a PUT changed keeps
    /// the PUT's URLs.
    /// </summary>
    [Theory]
    [InlineData("http://localhost:8081/antom/notify-payment", "http://localhost:8081/antom/notify/payment")]
    [InlineData("http://127.0.0.1:9/from-put", "http://127.0.0.1:9/from-put")]
    public async Task DataOfAnEarlierVersion_DefaultMerchantAsShipped_TakesTodaysFixture_OneChangedByAPutKeepsIt(string stored, string expected)
    {
        var (emulator, _, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await emulator.DisposeAsync();
        var subscriptionUrl = stored.Replace("notify-payment", "notify-subscription", StringComparison.Ordinal);
        await using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDirectory, "emulator.db")};Pooling=False"))
        {
            await db.OpenAsync();
            using var earlier = db.CreateCommand();
            earlier.CommandText = "UPDATE merchants SET doc = json_set(json_remove(doc, '$.fixture'), '$.paymentNotificationUrl', @payment, '$.subscriptionNotificationUrl', @subscription)";
            earlier.Parameters.AddWithValue("@payment", stored);
            earlier.Parameters.AddWithValue("@subscription", subscriptionUrl);
            (await earlier.ExecuteNonQueryAsync()).Should().Be(1);
        }

        var (upgraded, http, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (upgraded)
        {
            using var client = new HttpClient { BaseAddress = http };
            var merchant = (await client.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>($"/_emulator/v1/merchants/{Fixtures.DefaultClientId}"))!;

            ((string)merchant["paymentNotificationUrl"]!).Should().Be(expected);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var directory in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(directory.Replace(from, to, StringComparison.Ordinal));
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task DataOfAnEarlierVersion_ANotificationHeldByAnEndedSubscription_GoesOutAfterTheUpgrade()
    {
        // An earlier version held a subscription's last notification forever under a reorder fault; the upgrade's
        // schema step releases those of ended subscriptions. The state is made here as that version left it (without
        // what later steps add).
        var client = $"/_emulator/v1/merchants/{Fixtures.DefaultClientId}";
        var (emulator, http, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (emulator)
        {
            using var control = new HttpClient { BaseAddress = http };
            (await control.PostAsJsonAsync($"{client}/clock/freeze", new { at = "2027-01-01T00:00:00Z" })).EnsureSuccessStatusCode();
            var body = Bodies.Create(DateTimeOffset.Parse("2027-01-01T00:00:00Z"));
            (await new AntomTestClient(control).CallAsync(new TestMerchant(Fixtures.DefaultClientId, Fixtures.DefaultMerchantPrivateKey), "create", body)).ResultCode.Should().Be("SUCCESS");
            (await control.PostAsync($"{client}/subscription-requests/{(string)body["subscriptionRequestId"]!}/decline", null)).EnsureSuccessStatusCode();
        }

        var steps = typeof(Emulator.Persistence.Schema).GetField("Steps")!.GetValue(null) as string[];
        await using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDirectory, "emulator.db")};Pooling=False"))
        {
            await db.OpenAsync();
            using var stuck = db.CreateCommand();
            stuck.CommandText = $"""
                DELETE FROM notification_attempts;
                UPDATE notifications SET held = 1, next_attempt_at = NULL, status = 'pending', attempt_count = 0;
                ALTER TABLE notification_attempts DROP COLUMN timeline_mark;
                DROP TABLE refunds;
                ALTER TABLE clocks DROP COLUMN rate;
                ALTER TABLE clocks DROP COLUMN anchor_ms;
                ALTER TABLE merchants DROP COLUMN last_used_ms;
                PRAGMA user_version = {Array.FindIndex(steps!, step => step.Contains("WHERE held = 1 AND status = 'pending'", StringComparison.Ordinal))};
                """;
            await stuck.ExecuteNonQueryAsync();
        }

        var (upgraded, httpAgain, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (upgraded)
        {
            using var control = new HttpClient { BaseAddress = httpAgain };
            (await control.PostAsJsonAsync($"{client}/clock/advance", new { by = "P1D" })).EnsureSuccessStatusCode();
            var notice = (await control.GetFromJsonAsync<System.Text.Json.Nodes.JsonArray>($"{client}/notifications?kind=notifySubscription"))!.Single()!;

            notice["attempts"]!.AsArray().Should().NotBeEmpty("the held notification of a declined request is released by the upgrade and attempted");
        }
    }

    [Theory]
    [InlineData("Emulator__ControlNetworks__0", "172.17.0.1/99", "Emulator:ControlNetworks: each entry must be a network in CIDR notation")]
    [InlineData("Emulator__MerchantRetention", "00:00:30", "Emulator:MerchantRetention: must be at least 00:01:00")]
    public async Task SettingOutOfItsRange_StopsTheStartWithTheSettingsName(string setting, string value, string said)
    {
        var run = Command.RunAsync(
            "dotnet",
            [Builds.Output("Emulator", "Emulator.dll"), "--urls", "http://127.0.0.1:0"],
            dataDirectory,
            new Dictionary<string, string> { ["Emulator__DataDirectory"] = dataDirectory, [setting] = value });

        var (exitCode, printed) = await run.WaitAsync(TimeSpan.FromSeconds(60));

        exitCode.Should().Be(1, "a setting stopped the start, which it says in one line: {0}", printed);
        printed.Should().Contain(said).And.Contain("The emulator did not start: ");
    }

    /// <summary>
    /// A database that cannot be reached at start stops it with a line that says so and what to check, and exit code 1
    /// (it was an unhandled exception: abort, exit code 134, a stack trace; found by a shared-instance walkthrough).
    /// </summary>
    [Fact]
    public async Task DatabaseUnreachableAtStart_StopsItWithALineSayingWhatToCheck()
    {
        var run = Command.RunAsync(
            "dotnet",
            [Builds.Output("Emulator", "Emulator.dll"), "--urls", "http://127.0.0.1:0"],
            dataDirectory,
            new Dictionary<string, string>
            {
                ["Emulator__DataDirectory"] = dataDirectory,
                ["Emulator__PostgresConnectionString"] = $"Host=127.0.0.1;Port={Builds.FreePort()};Database=emulator;Username=emulator;Timeout=3",
            });

        var (exitCode, printed) = await run.WaitAsync(TimeSpan.FromSeconds(60));

        exitCode.Should().Be(1, printed);
        printed.Should().Contain("The emulator did not start: the database could not be opened (").And.Contain("check Emulator:PostgresConnectionString");
    }

    [Fact]
    public async Task Process_WithTheJsonLogFormat_WritesJsonLines()
    {
        var (emulator, _, _) = await EmulatorProcess.StartAsync(dataDirectory, new Dictionary<string, string> { ["Logging__Console__FormatterName"] = "json" });
        await using (emulator)
        {
            var listening = emulator.Output.Split('\n').First(l => l.Contains("Now listening on", StringComparison.Ordinal));

            var line = System.Text.Json.Nodes.JsonNode.Parse(listening)!;
            line["Category"]!.GetValue<string>().Should().Be("Microsoft.Hosting.Lifetime");
            line["Timestamp"]!.GetValue<string>().Should().MatchRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", "an ISO-8601 value, without the simple format's separating space");

            // Every line is JSON a strict parser takes: no member twice (the start line named one placeholder four
            // times, found by a shared-instance walkthrough). That line follows "Now listening" by a moment.
            for (var i = 0; i < 200 && !emulator.Output.Contains("Gateway URL for your Antom client", StringComparison.Ordinal); i++)
            {
                await Task.Delay(50);
            }

            var lines = emulator.Output.Split('\n').Where(l => l.StartsWith('{')).ToList();
            foreach (var each in lines)
            {
                var parse = () => System.Text.Json.JsonDocument.Parse(each, new System.Text.Json.JsonDocumentOptions { AllowDuplicateProperties = false }).Dispose();
                parse.Should().NotThrow(each);
            }

            var whereToPoint = System.Text.Json.Nodes.JsonNode.Parse(lines.Single(l => l.Contains("Gateway URL for your Antom client", StringComparison.Ordinal)))!;
            whereToPoint["State"]!["Dashboard"]!.GetValue<string>().Should().EndWith("/_emulator/ui");
        }
    }

    [Fact]
    public async Task Process_AbsoluteUrlRequestTarget_IsVerifiedAgainstThePathOnly()
    {
        var (emulator, http, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (emulator)
        {
            var path = "/ams/sandbox/api/v1/subscriptions/create";
            var body = Encoding.UTF8.GetBytes(Bodies.Create(DateTimeOffset.Parse("2027-01-01T00:00:00Z")).ToJsonString());
            var time = "2026-11-24T05:43:45+00:00";
            var signature = TestSigner.UrlEncode(TestSigner.SignBase64(Fixtures.DefaultMerchantPrivateKey, path, Fixtures.DefaultClientId, time, body));
            var head = $"POST http://{http.Authority}{path} HTTP/1.1\r\nHost: {http.Authority}\r\nContent-Type: application/json; charset=UTF-8\r\n"
                + $"Client-Id: {Fixtures.DefaultClientId}\r\nRequest-Time: {time}\r\nSignature: algorithm=RSA256,keyVersion=1,signature={signature}\r\n"
                + $"Content-Length: {body.Length}\r\nConnection: close\r\n\r\n";

            using var tcp = new TcpClient();
            await tcp.ConnectAsync(http.Host, http.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(body);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var raw = await reader.ReadToEndAsync();

            raw.Should().StartWith("HTTP/1.1 200");
            raw.Should().Contain("\"resultCode\":\"SUCCESS\"");
        }
    }

    [Fact]
    public async Task Process_Restart_KeepsSubscriptionsAndIdempotencyRecords()
    {
        var merchant = new TestMerchant(Fixtures.DefaultClientId, Fixtures.DefaultMerchantPrivateKey);
        // Started now, so that approval pays phase 1 and the cancelled subscription serves it (one cancelled before any
        // payment ends at once, and the background loop may end it between the two readings).
        var create = Bodies.Create(TimeProvider.System.GetUtcNow());
        var requestId = (string)create["subscriptionRequestId"]!;
        string before;
        AntomReply firstCreate;
        var (emulator, http, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (emulator)
        {
            using var client = new HttpClient { BaseAddress = http };
            var antom = new AntomTestClient(client);
            firstCreate = await antom.CallAsync(merchant, "create", create);
            var approved = await client.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscription-requests/{requestId}/approve", null);
            var subscriptionId = (string)System.Text.Json.Nodes.JsonNode.Parse(await approved.Content.ReadAsStringAsync())!["subscriptionId"]!;
            var cancelled = await antom.CallAsync(merchant, "cancel", Bodies.Cancel(subscriptionId, "CANCEL"));
            cancelled.ResultCode.Should().Be("SUCCESS", cancelled.ResultMessage);
            before = WithoutNotificationAttempts(await client.GetStringAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions?subscriptionRequestId={requestId}"));
        }

        var (restarted, httpAgain, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (restarted)
        {
            using var client = new HttpClient { BaseAddress = httpAgain };
            var after = WithoutNotificationAttempts(await client.GetStringAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions?subscriptionRequestId={requestId}"));
            var repeat = await new AntomTestClient(client).CallAsync(merchant, "create", create);

            after.Should().Be(before);
            after.Should().Contain("\"status\":\"CANCELLED\"");
            repeat.RawBody.Should().Equal(firstCreate.RawBody, "the idempotency record survives the restart");
            repeat.SignatureValid.Should().BeTrue();
        }
    }

    /// <summary>
    /// The subscriptions as listed, minus the notification attempts in their timelines: the cancel's notifySubscription
    /// goes out in the background and is retried after the restart, so its attempts may be recorded at any moment.
    /// </summary>
    private static string WithoutNotificationAttempts(string subscriptions)
    {
        var list = System.Text.Json.Nodes.JsonNode.Parse(subscriptions)!.AsArray();
        foreach (var subscription in list)
        {
            var timeline = subscription!["timeline"]!.AsArray();
            foreach (var entry in timeline.Where(e => (string?)e!["type"] == "notification").ToList())
            {
                timeline.Remove(entry);
            }
        }

        return list.ToJsonString();
    }

    private static async Task<AntomReply> CreateAsync(Uri baseUri, X509Certificate2? certificate)
    {
        using var http = new HttpClient { BaseAddress = baseUri };
        var merchant = new TestMerchant(Fixtures.DefaultClientId, Fixtures.DefaultMerchantPrivateKey);
        return await new AntomTestClient(http).CallAsync(merchant, "create", Bodies.Create(DateTimeOffset.Parse("2027-01-01T00:00:00Z")));
    }

    private static async Task<(AntomReply Reply, X509Certificate2? Certificate)> CreateOverHttpsAsync(Uri baseUri)
    {
        X509Certificate2? seen = null;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
            {
                seen = certificate is null ? null : new X509Certificate2(certificate);
                return errors is SslPolicyErrors.None or SslPolicyErrors.RemoteCertificateChainErrors or SslPolicyErrors.RemoteCertificateNameMismatch
                    || errors == (SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch);
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = baseUri };
        var merchant = new TestMerchant(Fixtures.DefaultClientId, Fixtures.DefaultMerchantPrivateKey);
        var reply = await new AntomTestClient(http).CallAsync(merchant, "create", Bodies.Create(DateTimeOffset.Parse("2027-01-01T00:00:00Z")));
        return (reply, seen);
    }
}
