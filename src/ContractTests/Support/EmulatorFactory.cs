using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
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

    /// <summary>The errors the emulator logged (background work fails nowhere else).</summary>
    public FakeLogCollector Errors { get; } = new(Options.Create(new FakeLogCollectorOptions { FilteredLevels = { LogLevel.Error, LogLevel.Critical } }));

    /// <summary>
    /// <c>EMULATOR_TEST_STORAGE=postgres</c> runs the in-process tests on PostgreSQL instead of SQLite (one throwaway
    /// server for the run, one database per emulator): what <c>.ci/run</c> does to show both stores behave the same.
    /// </summary>
    public static bool OnPostgres => Environment.GetEnvironmentVariable("EMULATOR_TEST_STORAGE") == "postgres";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Emulator:DataDirectory", DataDirectory);
        if (OnPostgres)
        {
            builder.UseSetting("Emulator:PostgresConnectionString", SharedPostgres.CreateDatabaseAsync().GetAwaiter().GetResult());
        }

        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Time));
        builder.ConfigureLogging(logging => logging.AddProvider(new FakeLoggerProvider(Errors)));
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
