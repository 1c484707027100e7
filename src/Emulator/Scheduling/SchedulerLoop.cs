using System.Collections.Concurrent;
using Emulator.Hosting;
using Emulator.Persistence;
using Microsoft.Extensions.Options;

namespace Emulator.Scheduling;

/// <summary>
/// The background loop: on every tick, runs due work for each merchant up to its clock's now. Merchants run side by
/// side. A tick that finds a merchant's run still under way (a slow endpoint) does not start a second one beside it:
/// the run goes round once more when it ends, up to the clock's time then, so a tick is never lost. Under a
/// <see cref="TimeProvider"/> that only moves when a test moves it, a lost tick would leave due work undone for good.
/// A merchant run by another instance on a shared database is skipped rather than waited for.
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

    /// <summary>Merchants with a run under way, and those of them that a tick found so (they go round once more).</summary>
    private readonly HashSet<string> active = new(StringComparer.Ordinal), again = new(StringComparer.Ordinal);

    /// <summary>When each merchant's last run ended, counted in <see cref="runsEnded"/> (under the lock of <see cref="active"/>).</summary>
    private readonly Dictionary<string, long> endedAt = new(StringComparer.Ordinal);

    private long runsEnded;

    /// <summary>Whether the database failed the last tick: an outage is logged once, not each tick of every merchant.</summary>
    private volatile bool databaseDown;

    /// <summary>Whether a tick found the merchant's run under way, so that run goes round once more when it ends.</summary>
    public bool WillRunAgain(string clientId)
    {
        lock (active)
        {
            return again.Contains(clientId);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SchedulerInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                IReadOnlyList<(string ClientId, DateTimeOffset? NextDue, ClockState Clock)> due;
                long endedBefore;
                lock (active)
                {
                    endedBefore = runsEnded;
                }

                try
                {
                    due = await merchants.ListWithNextDueAsync(stoppingToken);
                    if (databaseDown)
                    {
                        databaseDown = false;
                        logger.LogInformation("The database answers again: scheduled runs go on");
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A database that is briefly unreachable (a shared server restarting) costs a tick, not the process.
                    Failed(ex, "Scheduler tick could not list merchants");
                    continue;
                }

                var wallNow = time.GetUtcNow();
                foreach (var (clientId, nextDue, clock) in due)
                {
                    lock (active)
                    {
                        if (active.Contains(clientId))
                        {
                            again.Add(clientId);
                            continue;
                        }

                        // A merchant with nothing due by its clock costs this tick nothing more (a thousand idle
                        // merchants of a shared instance used to cost three statements each, every tick). One whose
                        // run ended after the read may have had work added meanwhile: it runs, and looks afresh.
                        var endedSinceRead = endedAt.TryGetValue(clientId, out var ended) && ended > endedBefore;
                        if (!endedSinceRead && (nextDue is null || nextDue > clock.Now(wallNow)))
                        {
                            continue;
                        }

                        active.Add(clientId);
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
        do
        {
            await RunOnceAsync(clientId, stoppingToken);
        }
        while (!stoppingToken.IsCancellationRequested && TickedMeanwhile(clientId));
    }

    /// <summary>
    /// Logs a failure: with its stack trace, unless it is the database failing again while it is down (each tick of
    /// every merchant would log the same trace, seven kilobytes a second during an outage): one line says it once, and
    /// another when the database answers again.
    /// </summary>
    private void Failed(Exception ex, string what)
    {
        if (Persistence.DatabaseFailures.Transient(ex) is not { } database)
        {
            logger.LogError(ex, "{What}", what);
        }
        else if (!databaseDown)
        {
            databaseDown = true;
            logger.LogError(ex, "{What}: the database does not answer; each tick tries again, and the next line about it says when it answers", what);
        }
        else
        {
            logger.LogDebug("{What}: the database still does not answer ({Message})", what, database.Message);
        }
    }

    /// <summary>Whether a tick found this merchant's run under way; if not, the run ends (under the same lock the tick takes).</summary>
    private bool TickedMeanwhile(string clientId)
    {
        lock (active)
        {
            if (again.Remove(clientId))
            {
                return true;
            }

            active.Remove(clientId);
            endedAt[clientId] = ++runsEnded;
            return false;
        }
    }

    private async Task RunOnceAsync(string clientId, CancellationToken stoppingToken)
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
            Failed(ex, $"Scheduled run failed for {clientId}");
        }
    }
}
