using System.Text.Json;
using Emulator.Merchants;
using Emulator.Persistence;
using Emulator.Protocol;
using Microsoft.Extensions.Options;

namespace Emulator.Hosting;

/// <summary>Before the server listens: migrate the database and register the default merchant from <c>fixtures/</c>.</summary>
public sealed class StartupTasks(
    Database database,
    MerchantRegistry merchants,
    AntomSigningKey signingKey,
    Faults.ScenarioLibrary scenarios,
    Notifications.Outbox outbox,
    TimeProvider time,
    IOptions<EmulatorOptions> options,
    ILogger<StartupTasks> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Beside the start (on the other core): the first signature loads OpenSSL's RSA code and compiles the signing
        // path, which the first API call would otherwise wait for.
        _ = Task.Run(() => signingKey.Sign("warm-up"u8.ToArray()), CancellationToken.None);
        await database.MigrateAsync(cancellationToken);
        if (await outbox.ScheduleHeldAsync(null, options.Value.SandboxRetries, cancellationToken) is > 0 and var released)
        {
            logger.LogInformation("{Count} notifications held back by a reorder fault get the time they go out", released);
        }

        logger.LogInformation(
            "Storage: {Kind}{Where}", database.Kind, database.IsShared ? " (shared: other instances may use the same database)" : $" at {Path.GetFullPath(options.Value.DatabasePath)}");
        if (options.Value.LoadDefaultMerchant)
        {
            await LoadDefaultMerchantAsync(cancellationToken);
        }

        foreach (var entry in options.Value.StartupScenarios)
        {
            if (EmulatorOptions.StartupScenario(entry) is not (var clientId, var name)
                || scenarios.Find(name) is not { } scenario
                || await merchants.FindAsync(clientId, cancellationToken) is null)
            {
                throw new InvalidDataException($"Emulator:StartupScenarios: '{entry}' must be clientId:scenarioName of a registered merchant and a file in fixtures/scenarios");
            }

            await scenarios.ApplyAsync(clientId, scenario, cancellationToken);
            logger.LogInformation("Scenario {Scenario} applied to {ClientId}", scenario.Name, clientId);
        }
    }

    private async Task LoadDefaultMerchantAsync(CancellationToken cancellationToken)
    {
        var file = options.Value.FixturePath("default-merchant.json");
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(file, cancellationToken));
        var root = document.RootElement;
        var clientId = root.GetProperty("clientId").GetString()!;
        var keyText = await File.ReadAllTextAsync(options.Value.FixturePath(root.GetProperty("publicKeyFile").GetString()!), cancellationToken);
        if (!RsaKeys.TryNormalizePublicKey(keyText, out var publicKey, out var error))
        {
            throw new InvalidDataException($"{file}: {error}");
        }

        // Created when it does not exist yet. Once it exists, an edit of the fixture reaches it at the next start, but
        // only in the values that still are the fixture's: what a PUT changed (its notification URLs) stays. Several
        // instances with fixtures of their own take turns the same way, never undoing a PUT.
        var fixture = new MerchantFixture(
            root.GetProperty("keyVersion").GetString() ?? "1",
            publicKey,
            root.GetProperty("subscriptionNotificationUrl").GetString(),
            root.GetProperty("paymentNotificationUrl").GetString());

        // Read and written in one unit of work: instances starting together on one database insert it once (the first
        // one's, CreatedAt included), and none writes over what another, or a PUT, wrote after its read.
        var (stored, loaded) = await merchants.ChangeAsync(
            clientId,
            existing => existing is null
                ? new Merchant(clientId, fixture.KeyVersion, fixture.PublicKey, fixture.SubscriptionNotificationUrl, fixture.PaymentNotificationUrl, time.GetUtcNow(), fixture)
                : fixture.AppliedTo(existing, existing.Fixture ?? ShippedBefore(fixture)),
            cancellationToken);
        if (stored is not null && loaded is not null && loaded with { Fixture = stored.Fixture } != stored)
        {
            logger.LogInformation("{File} changed since {ClientId} was loaded from it: its new values replace those a PUT did not change", file, clientId);
        }

        // Its key parsed and the verifying path run once, beside the start, before its first call arrives.
        _ = Task.Run(async () =>
        {
            if (await merchants.FindAsync(clientId, CancellationToken.None) is var (_, key))
            {
                AntomSignature.Verify(key, "warm-up"u8, new byte[key.KeySize / 8]);
            }
        }, CancellationToken.None);
        logger.LogInformation("Default merchant {ClientId} ready (private key: fixtures/keys/merchant-private.pkcs8.b64)", clientId);
    }

    /// <summary>
    /// What a merchant stored without a record of its fixture (by an earlier version, or made again with a PUT) is taken
    /// to have been loaded from: today's key (a different one is a PUT's, and stays), and the notification URLs the
    /// fixture had before this version (as shipped, they take today's; others are a PUT's, and stay).
    /// </summary>
    private static MerchantFixture ShippedBefore(MerchantFixture fixture) =>
        fixture with { SubscriptionNotificationUrl = "http://localhost:8081/antom/notify-subscription", PaymentNotificationUrl = "http://localhost:8081/antom/notify-payment" };

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
