using ContractTests.Support;

namespace ContractTests.Hosting;

/// <summary>
/// The test kit as merchants take it: packed as a NuGet package, referenced alone (no project reference, no clone of
/// this repository) by a fresh xunit project, which then runs the README's example against an emulator started in
/// its own process.
/// </summary>
public sealed class KitPackageTests : IAsyncLifetime
{
    private readonly string work = Directory.CreateTempSubdirectory("emulator-kit-package-").FullName;

    // A version of its own, so that NuGet's package cache cannot hand back an earlier build of the kit.
    private readonly string version = $"0.0.0-test.{Guid.NewGuid():N}";

    private static string GlobalPackages => Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(work, recursive: true);
        var cached = Path.Combine(GlobalPackages, "antom.subscription.emulator.testing", version);
        if (Directory.Exists(cached))
        {
            Directory.Delete(cached, recursive: true);
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task PackedKit_ReferencedAlone_RunsTheReadmeExample()
    {
        var root = Path.GetDirectoryName(Fixtures.Directory)!;
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var feed = Path.Combine(work, "feed");
        var consumer = Path.Combine(work, "MerchantTests");
        Directory.CreateDirectory(consumer);

        // The kit was built with the tests; packing it again would rebuild binaries the running tests use.
        var pack = await Command.RunAsync("dotnet",
            ["pack", Path.Combine(root, "src", "Emulator.Testing"), "--no-build", "-c", configuration, "-o", feed, $"-p:PackageVersion={version}", "-nologo"], root);
        pack.ExitCode.Should().Be(0, pack.Output);

        await File.WriteAllTextAsync(Path.Combine(consumer, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="kit" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(consumer, "MerchantTests.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <IsPackable>false</IsPackable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Antom.Subscription.Emulator.Testing" Version="{version}" />
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                <PackageReference Include="xunit" Version="2.9.3" />
                <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />
              </ItemGroup>
              <ItemGroup>
                <Using Include="Xunit" />
              </ItemGroup>
            </Project>
            """);
        File.Copy(Path.Combine(root, "src", "ContractTests", "Harness", "ReadmeExampleTests.cs"), Path.Combine(consumer, "SubscriptionTests.cs"));

        var test = await Command.RunAsync("dotnet", ["test", consumer, "-nologo"], consumer);

        test.ExitCode.Should().Be(0, test.Output);
        test.Output.Should().MatchRegex(@"Passed!\s+-\s+Failed:\s+0,\s+Passed:\s+1,", "the README's example ran and passed in the merchant's project");
    }
}
