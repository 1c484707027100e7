using System.Collections.Concurrent;
using Emulator.Hosting;
using Emulator.Persistence;
using Microsoft.Extensions.Options;

namespace Emulator.Scheduling;

/// <summary>
/// The background loop: on every tick, runs due work for each merchant up to its clock's now. Merchants run side by
/// side, and a merchant whose run is still under way (a slow endpoint, or another instance on a shared database) is
/// skipped rather than waited for.
/// </summary>
public sealed class SchedulerLoop(
    MerchantStore merchants,
    MerchantClocks clocks,
    TimeMachine machine,
    TimeProvider time,
    IOptions<EmulatorOptions> options,
    ILogger<SchedulerLoop> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, Task> running = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SchedulerInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                IReadOnlyList<string> clientIds;
                try
                {
                    clientIds = await merchants.ListIdsAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A database that is briefly unreachable (a shared server restarting) costs a tick, not the process.
                    logger.LogError(ex, "Scheduler tick could not list merchants");
                    continue;
                }

                foreach (var clientId in clientIds)
                {
                    if (running.TryGetValue(clientId, out var task) && !task.IsCompleted)
                    {
                        continue;
                    }

                    running[clientId] = RunAsync(clientId, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(running.Values);
    }

    private async Task RunAsync(string clientId, CancellationToken stoppingToken)
    {
        try
        {
            // The clock itself: a run of another instance that died after this read would otherwise leave this one
            // running up to the time that run had reached, ahead of the clock.
            await machine.RunDueIfFreeAsync(clientId, await clocks.ClockTimeAsync(clientId, stoppingToken), stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Scheduled run failed for {ClientId}", clientId);
        }
    }
}
