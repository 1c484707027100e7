using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using ContractTests.Support;

namespace ContractTests.Hosting;

/// <summary>
/// No Docker engine runs here, so this checks what can be checked without one: the published app starts from the
/// Dockerfile's own entry point, arguments and settings, answers a signed call, and its HEALTHCHECK command passes.
/// </summary>
public sealed partial class DockerfileTests : IAsyncLifetime
{
    private readonly string work = Directory.CreateTempSubdirectory("emulator-docker-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(work, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task PublishedApp_StartsFromTheDockerfilesEntryPointAndSettings()
    {
        var root = Path.GetDirectoryName(Fixtures.Directory)!;
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(root, "Dockerfile"));
        var entrypoint = JsonArray(dockerfile, "ENTRYPOINT");
        var healthcheck = JsonArray(HealthLine().Match(dockerfile).Groups[1].Value);
        var env = EnvLine().Matches(dockerfile).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

        dockerfile.Should().Contain("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build").And.Contain("FROM mcr.microsoft.com/dotnet/aspnet:10.0")
            .And.Contain("USER app").And.Contain("VOLUME /data").And.Contain("EXPOSE 8080 8443");
        entrypoint.Should().Equal("dotnet", "Emulator.dll");
        env.Should().ContainKey("Emulator__DataDirectory").WhoseValue.Should().Be("/data");
        env.Should().ContainKey("Urls").WhoseValue.Should().Be("http://+:8080;https://+:8443");
        env.Keys.Should().NotContain(k => k.StartsWith("Emulator__ControlNetworks", StringComparison.Ordinal), "the image trusts no network unless its run line says so: a port published on all interfaces keeps callers' own addresses");
        dockerfile.Should().Contain("-e Emulator__ControlNetworks__0=172.16.0.0/12", "the run line shown trusts Docker's bridge networks, from which the host's calls come");
        Regex.IsMatch(dockerfile, "^CMD ", RegexOptions.Multiline).Should().BeFalse("arguments given to docker run would replace the CMD's, and with them the URLs");

        var publish = Path.Combine(work, "app");
        // The Dockerfile's own publish command, into a temp folder instead of /app.
        var publishCommand = Regex.Match(dockerfile, @"^RUN (dotnet publish .+)$", RegexOptions.Multiline).Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        publishCommand.Should().Contain("/app");
        (await RunAsync("dotnet", [.. publishCommand.Skip(1).Select(a => a == "/app" ? publish : a), "-nologo", "-v", "q"], root)).Should().Be(0);
        File.Exists(Path.Combine(publish, "fixtures", "default-merchant.json")).Should().BeTrue("the image carries the fixtures");

        // The same entry point and settings, with the container's ports swapped for a free loopback one and /data for a
        // temp folder, and an argument as docker run would add one.
        var port = Builds.FreePort();
        var start = new ProcessStartInfo(entrypoint[0]) { WorkingDirectory = publish, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in entrypoint.Skip(1).Append("--Logging:LogLevel:Default=Warning"))
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (name, value) in env)
        {
            start.Environment[name] = value;
        }

        start.Environment["Urls"] = env["Urls"].Replace("http://+:8080", $"http://127.0.0.1:{port}").Replace(";https://+:8443", "");
        start.Environment["Emulator__DataDirectory"] = Path.Combine(work, "data");
        using var app = Process.Start(start)!;
        try
        {
            var probe = healthcheck.Select(a => a.Replace("http://127.0.0.1:8080", $"http://127.0.0.1:{port}")).ToList();
            var healthy = false;
            for (var attempt = 0; attempt < 60 && !healthy; attempt++)
            {
                healthy = await RunAsync(probe[0], probe.Skip(1).ToArray(), publish) == 0;
            }

            healthy.Should().BeTrue("the HEALTHCHECK command reports the started app healthy");
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var reply = await new AntomTestClient(http).CallAsync(new TestMerchant(Fixtures.DefaultClientId, Fixtures.DefaultMerchantPrivateKey), "create", Bodies.Create(DateTimeOffset.Parse("2030-01-01T00:00:00Z")));
            reply.ResultCode.Should().Be("SUCCESS");
            reply.SignatureValid.Should().BeTrue();
            File.Exists(Path.Combine(work, "data", "emulator.db")).Should().BeTrue();
        }
        finally
        {
            app.Kill(entireProcessTree: true);
            await app.WaitForExitAsync();
        }

        (await RunAsync(healthcheck[0], [.. healthcheck.Skip(1).Select(a => a.Replace("8080", port.ToString()))], publish)).Should().Be(1, "the probe fails when nothing answers");
    }

    private static string[] JsonArray(string dockerfile, string instruction) =>
        JsonArray(Regex.Match(dockerfile, $"^{instruction} (\\[.*\\])$", RegexOptions.Multiline).Groups[1].Value);

    private static string[] JsonArray(string json) => JsonSerializer.Deserialize<string[]>(json)!;


    private static async Task<int> RunAsync(string file, IEnumerable<string> args, string directory) =>
        (await Command.RunAsync(file, args, directory)).ExitCode;

    [GeneratedRegex(@"^HEALTHCHECK .*CMD (\[.*\])$", RegexOptions.Multiline)]
    private static partial Regex HealthLine();

    [GeneratedRegex(@"^ENV (\w+)=(\S+)$", RegexOptions.Multiline)]
    private static partial Regex EnvLine();
}
