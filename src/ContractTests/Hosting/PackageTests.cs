using ContractTests.Harness;
using ContractTests.Support;

namespace ContractTests.Hosting;

/// <summary>
/// The test kit and the conformance tool as merchants take them: packed as NuGet packages into a folder and used from
/// there alone (no project reference, no clone of this repository).
/// </summary>
public sealed class PackageTests : IDisposable
{
    private const string KitPackage = "Antom.Subscription.Emulator.Testing";
    private const string ToolPackage = "Antom.Subscription.Emulator.Conformance";

    private readonly string work = Directory.CreateTempSubdirectory("emulator-packages-").FullName;

    // A version of its own, so that NuGet's package cache cannot hand back an earlier build.
    private readonly string version = $"0.0.0-test.{Guid.NewGuid():N}";

    private static string Root => Path.GetDirectoryName(Fixtures.Directory)!;

    // Further versions a test packed, removed from NuGet's cache with the first.
    private readonly List<string> versions = [];

    private string Feed => Path.Combine(work, "feed");

    private static string GlobalPackages => Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public void Dispose()
    {
        Directory.Delete(work, recursive: true);
        foreach (var id in new[] { KitPackage, ToolPackage })
        {
            var package = Path.Combine(GlobalPackages, id.ToLowerInvariant());
            foreach (var packed in versions.Append(version).Where(v => Directory.Exists(Path.Combine(package, v))))
            {
                Directory.Delete(Path.Combine(package, packed), recursive: true);
            }

            if (Directory.Exists(package) && !Directory.EnumerateFileSystemEntries(package).Any())
            {
                Directory.Delete(package);
            }
        }
    }

    /// <summary>
    /// The merchant's test project references the kit's package and the merchant's own web app, whose top-level
    /// statements make a global <c>Program</c> class too: the emulator's must not clash with it.
    /// </summary>
    [Fact]
    public async Task PackedKit_ReferencedBesideTheMerchantsOwnApp_RunsTheReadmeExample()
    {
        await PackAsync("Emulator.Testing");
        var app = Path.Combine(work, "MerchantApp");
        Directory.CreateDirectory(app);
        await File.WriteAllTextAsync(Path.Combine(app, "MerchantApp.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
            var app = WebApplication.CreateBuilder(args).Build();
            app.MapGet("/ping", () => "pong");
            app.Run();
            """);
        var consumer = Path.Combine(work, "MerchantTests");
        Directory.CreateDirectory(consumer);
        await WriteFeedConfigAsync(consumer);
        await File.WriteAllTextAsync(Path.Combine(consumer, "MerchantTests.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <IsPackable>false</IsPackable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{KitPackage}" Version="{version}" />
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                <PackageReference Include="xunit" Version="2.9.3" />
                <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />
              </ItemGroup>
              <ItemGroup>
                <ProjectReference Include="../MerchantApp/MerchantApp.csproj" />
                <Using Include="Xunit" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(consumer, "MerchantAppTests.cs"), """
            using Microsoft.AspNetCore.Mvc.Testing;

            public sealed class MerchantAppTests
            {
                [Fact]
                public async Task MerchantApp_AnswersBesideTheEmulator()
                {
                    await using var emulator = await Emulator.Testing.AntomEmulator.StartAsync();
                    await using var app = new WebApplicationFactory<Program>();
                    Assert.Equal("pong", await app.CreateClient().GetStringAsync("/ping"));
                }
            }
            """);
        File.Copy(Path.Combine(Root, "src", "ContractTests", "Harness", "ReadmeExampleTests.cs"), Path.Combine(consumer, "SubscriptionTests.cs"));

        var test = await Command.RunAsync("dotnet", ["test", consumer, "-nologo"], consumer);

        test.ExitCode.Should().Be(0, test.Output);
        test.Output.Should().MatchRegex(@"Passed!\s+-\s+Failed:\s+0,\s+Passed:\s+2,", "the README's example and the merchant's own app test ran and passed");
    }

    /// <summary>
    /// A merchant who packs the kit again takes the new build with the README's <c>dotnet restore --force</c>: a plain
    /// restore finds the project unchanged and keeps the version its floating reference resolved to before.
    /// </summary>
    [Fact]
    public async Task PackedKit_PackedAgain_TheReadmesForcedRestoreTakesTheNewBuild()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(Root, "README.md"));
        var (first, second) = ($"0.0.1-{version[6..]}", $"0.0.2-{version[6..]}");
        versions.AddRange([first, second]);
        await PackAsync("Emulator.Testing", first);
        var consumer = Path.Combine(work, "FloatingConsumer");
        Directory.CreateDirectory(consumer);
        await WriteFeedConfigAsync(consumer);
        await File.WriteAllTextAsync(Path.Combine(consumer, "FloatingConsumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{KitPackage}" Version="0.0.*-*" />
              </ItemGroup>
            </Project>
            """);
        var restored = await Command.RunAsync("dotnet", ["restore", consumer, "-nologo"], consumer);
        restored.ExitCode.Should().Be(0, restored.Output);
        await PackAsync("Emulator.Testing", second);

        var plain = await Command.RunAsync("dotnet", ["restore", consumer, "-nologo"], consumer);
        var plainAssets = await File.ReadAllTextAsync(Path.Combine(consumer, "obj", "project.assets.json"));
        var forced = await Command.RunAsync("dotnet", ["restore", consumer, "--force", "-nologo"], consumer);
        var forcedAssets = await File.ReadAllTextAsync(Path.Combine(consumer, "obj", "project.assets.json"));

        plain.ExitCode.Should().Be(0, plain.Output);
        plainAssets.Should().Contain($"{KitPackage}/{first}", "a plain restore keeps what it resolved: the trap the README warns of");
        forced.ExitCode.Should().Be(0, forced.Output);
        forcedAssets.Should().Contain($"{KitPackage}/{second}");
        readme.Contains("`dotnet restore --force`", StringComparison.Ordinal).Should().BeTrue("the README tells a merchant who packed again how to take the new build");
    }

    /// <summary>
    /// Packed without a version of one's own, the packages get a newer one at every pack: a merchant who packs again
    /// after an update must not get the earlier build back from NuGet's cache, which never replaces a version it holds.
    /// </summary>
    [Theory]
    [InlineData("Emulator.Testing")]
    [InlineData("Emulator.Conformance")]
    public async Task PackageVersion_ChangesAtEveryPack(string project)
    {
        var read = await Command.RunAsync("dotnet", ["msbuild", Path.Combine(Root, "src", project), "-getProperty:PackageVersion", "-nologo"], Root);

        read.ExitCode.Should().Be(0, read.Output);
        read.Output.Trim().Should().MatchRegex(@"^1\.0\.\d{6}\.\d{1,6}$", "1.0.<yyMMdd>.<HHmmss>, not a fixed 1.0.0");
    }

    /// <summary>
    /// The tool package made as docs/conformance.md says, with its build: the build copies the fixtures beside the tool,
    /// and the pack adds them again, which NuGet reported as NU5118, an error under the repository's warnings-as-errors;
    /// no package was made. Built under a folder of its own, so the binaries the tests run on stay. (The kit's package
    /// takes the emulator's files from the emulator's usual output folder, so it cannot be built under another; the tests
    /// above pack it from the build they run on.)
    /// </summary>
    [Fact]
    public async Task DocumentedPackCommandOfTheConformanceTool_WithItsBuild_MakesThePackageWithItsFixtures()
    {
        const string project = "Emulator.Conformance";
        const string entry = "tools/net10.0/any/fixtures/keys/antom-private.pem";
        var output = Path.Combine(work, "documented-pack", project);
        var artifacts = Path.Combine(work, "documented-pack-build", project);

        var pack = await Command.RunAsync("dotnet",
            ["pack", Path.Combine(Root, "src", project), "-c", "Release", "-o", output, "--artifacts-path", artifacts, $"-p:PackageVersion={version}",
                // NSwag finds the built app by the project's usual output folder, not the artifacts one (on a clean clone it
                // is not there): the OpenAPI document, which the package does not carry, is left out of this build.
                "-p:SkipOpenApiGeneration=true", "-nologo"], Root);

        pack.ExitCode.Should().Be(0, pack.Output);
        var package = Directory.EnumerateFiles(output, "*.nupkg").Should().ContainSingle().Subject;
        using var zip = System.IO.Compression.ZipFile.OpenRead(package);
        zip.Entries.Select(e => e.FullName).Should().Contain(entry);
    }

    [Fact]
    public async Task PackedConformanceTool_InstalledFromTheFolder_WritesTheScorecard()
    {
        await PackAsync("Emulator.Conformance");
        var tools = Path.Combine(work, "tools");
        var install = await Command.RunAsync("dotnet",
            ["tool", "install", "--tool-path", tools, "--add-source", Feed, "--version", version, ToolPackage], work);
        install.ExitCode.Should().Be(0, install.Output);

        // Without --antom-private-key: the installed tool signs with the default key from the fixtures it carries (and
        // reads their result-code catalogue), as a clone's build does.
        await ConformanceTests.CheckCommandLineToolAsync(Path.Combine(tools, "antom-conformance"), [], keyFile: false);
    }

    /// <summary>A consumer's own nuget.config, with the feed folder the tests pack into as its package source.</summary>
    private Task WriteFeedConfigAsync(string consumer) => File.WriteAllTextAsync(Path.Combine(consumer, "nuget.config"), $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="kit" value="{Feed}" />
          </packageSources>
        </configuration>
        """);

    /// <summary>Packs a project of this repository into the feed folder, from the build the tests run on.</summary>
    private async Task PackAsync(string project, string? packageVersion = null)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        // Built with the tests; packing with a build would rebuild binaries the running tests use.
        var pack = await Command.RunAsync("dotnet",
            ["pack", Path.Combine(Root, "src", project), "--no-build", "-c", configuration, "-o", Feed, $"-p:PackageVersion={packageVersion ?? version}", "-nologo"], Root);
        pack.ExitCode.Should().Be(0, pack.Output);
    }
}
