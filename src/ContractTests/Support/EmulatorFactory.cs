using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ContractTests.Support;

/// <summary>
/// One in-process emulator per test collection, on its own temporary data directory, with a clock the tests move.
/// Tests isolate themselves by using their own merchant (client id), as merchants' own suites would.
/// </summary>
public sealed class EmulatorFactory : WebApplicationFactory<Program>
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("emulator-tests-").FullName;

    public FakeTimeProvider Time { get; } = new(Start);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Emulator:DataDirectory", DataDirectory);
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Time));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file on a slow shutdown; the temp folder is cleaned by the OS.
        }
    }
}
