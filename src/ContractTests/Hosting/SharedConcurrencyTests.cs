using System.Globalization;
using ContractTests.Support;
using Xunit.Abstractions;

namespace ContractTests.Hosting;

/// <summary>
/// Several emulator processes on one PostgreSQL database, attacked with concurrent, randomized traffic (see
/// <see cref="SharedTraffic"/>): they must behave as one emulator. A seed decides what is sent; <c>SHARED_SEEDS</c>
/// runs that many seeds from <c>SHARED_FIRST_SEED</c> (default 1), <c>SHARED_INSTANCES</c> sets how many instances
/// (default 2).
/// </summary>
public sealed class SharedConcurrencyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<string> dataDirectories = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        foreach (var directory in dataDirectories)
        {
            Directory.Delete(directory, recursive: true);
        }

        return Task.CompletedTask;
    }

    [SkippableFact]
    public async Task InstancesOnOneDatabase_ConcurrentRandomizedTraffic_BehaveAsOneEmulator()
    {
        SharedPostgresTests.SkipUnlessPostgres();
        var first = Setting("SHARED_FIRST_SEED", 1);
        var seeds = Setting("SHARED_SEEDS", 2);
        var count = Setting("SHARED_INSTANCES", 2);
        await using var postgres = await PostgresServer.StartAsync();
        var environment = new Dictionary<string, string>
        {
            ["Emulator__PostgresConnectionString"] = await postgres.CreateDatabaseAsync("concurrency"),
            ["Emulator__SchedulerInterval"] = "00:00:00.100",
            ["Emulator__NotificationTimeout"] = "00:00:10",
        };
        for (var i = 0; i < count; i++)
        {
            dataDirectories.Add(Directory.CreateTempSubdirectory($"emulator-concurrency-{i}-").FullName);
        }

        // Started together: they migrate the same empty database at once.
        var started = await Task.WhenAll(dataDirectories.Select(d => EmulatorProcess.StartAsync(d, environment)));
        var processes = started.Select(s => s.Process).ToList();
        var clients = started.Select(s => new HttpClient { BaseAddress = s.Http, Timeout = TimeSpan.FromMinutes(2) }).ToList();
        try
        {
            for (var seed = first; seed < first + seeds; seed++)
            {
                await RunSeedAsync(seed, "frozen clock", traffic => traffic.RunAsync(), clients);
                await RunSeedAsync(seed, "ticking clock", traffic => traffic.RunTickingAsync(), clients);
            }

            // Nothing logged as a failure by any instance (an unexpected exception, a run that made no progress).
            var failures = processes.SelectMany((p, i) => p.Output.Split('\n').Where(IsFailure).Select(l => $"{(char)('A' + i)}: {l}")).ToList();
            failures.Should().BeEmpty("no instance logs a failure under concurrent traffic");
        }
        catch
        {
            for (var i = 0; i < processes.Count; i++)
            {
                output.WriteLine($"instance {(char)('A' + i)}:\n{processes[i].Output}");
            }

            throw;
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }

            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }
        }
    }

    private async Task RunSeedAsync(int seed, string part, Func<SharedTraffic, Task> run, IReadOnlyList<HttpClient> clients)
    {
        var traffic = new SharedTraffic(seed, clients);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await run(traffic);
            output.WriteLine($"seed {seed}, {part}: {traffic.Log.Count} steps in {watch.Elapsed.TotalSeconds:0.0} s");
            if (Environment.GetEnvironmentVariable("SHARED_LOG") == "1")
            {
                output.WriteLine(string.Join("\n", traffic.Log));
            }
        }
        catch (Exception ex)
        {
            throw new Xunit.Sdk.XunitException(
                $"seed {seed}, {part}, failed (replay: SHARED_FIRST_SEED={seed} SHARED_SEEDS=1): {ex.Message}\n--- what it did ---\n{string.Join("\n", traffic.Log)}\n--- at ---\n{ex.StackTrace}");
        }
    }

    // Single-line console logs: "<UTC time> fail: Category[id] message".
    private static bool IsFailure(string line) =>
        System.Text.RegularExpressions.Regex.IsMatch(line, @"^(\S+ )?(fail|crit): ");

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;
}
