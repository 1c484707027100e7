using Emulator.Hosting;
using Emulator.Merchants;
using Emulator.Persistence;
using Microsoft.Extensions.Options;

namespace Emulator.Scheduling;

/// <summary>
/// With <see cref="EmulatorOptions.MerchantRetention"/> set, once a minute (wall time): writes when merchants were used,
/// then deletes those unused for longer than the retention, but the default merchant and those of the startup
/// scenarios. Each deletion is logged.
/// </summary>
public sealed class MerchantRetention(
    MerchantStore store,
    MerchantActivity activity,
    MerchantRemoval removal,
    TimeProvider time,
    IOptions<EmulatorOptions> options,
    ILogger<MerchantRetention> logger) : BackgroundService
{
    public static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.MerchantRetention is not { } retention)
        {
            return;
        }

        var kept = options.Value.StartupScenarios.Select(EmulatorOptions.StartupScenario).OfType<(string ClientId, string Scenario)>()
            .Select(named => named.ClientId).ToHashSet(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(SweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await SweepAsync(retention, kept, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "Merchant retention sweep failed");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SweepAsync(TimeSpan retention, HashSet<string> kept, CancellationToken cancellationToken)
    {
        var uses = activity.Pending();
        await store.RecordUseAsync(uses, cancellationToken);
        activity.Written(uses);
        var now = time.GetUtcNow();
        foreach (var merchant in await store.UnusedSinceAsync(now - retention, now, cancellationToken))
        {
            // Used since the uses were taken: kept (its use is written at the next sweep).
            if (merchant.Fixture is not null || kept.Contains(merchant.ClientId) || activity.UsedSinceTaken(merchant.ClientId))
            {
                continue;
            }

            if (await removal.DeleteAsync(merchant.ClientId, cancellationToken))
            {
                logger.LogInformation("Merchant {ClientId} deleted: unused for more than {Retention} (Emulator:MerchantRetention)", merchant.ClientId, retention);
            }
        }
    }
}
