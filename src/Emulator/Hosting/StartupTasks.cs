using System.Security.Cryptography;
using System.Text;
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
            var separator = entry.LastIndexOf(':');
            var scenario = separator > 0 ? scenarios.Find(entry[(separator + 1)..]) : null;
            if (scenario is null || await merchants.FindAsync(entry[..separator], cancellationToken) is null)
            {
                throw new InvalidDataException($"Emulator:StartupScenarios: '{entry}' must be clientId:scenarioName of a registered merchant and a file in fixtures/scenarios");
            }

            await scenarios.ApplyAsync(entry[..separator], scenario, cancellationToken);
            logger.LogInformation("Scenario {Scenario} applied to {ClientId}", scenario.Name, entry[..separator]);
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

        // Created when it does not exist yet. Once it exists, what a PUT changed (its notification URLs) is kept across
        // restarts until the fixture itself is edited: then the fixture's values replace the stored ones.
        var fromFixture = new Merchant(
            clientId,
            root.GetProperty("keyVersion").GetString() ?? "1",
            publicKey,
            root.GetProperty("subscriptionNotificationUrl").GetString(),
            root.GetProperty("paymentNotificationUrl").GetString(),
            time.GetUtcNow());
        fromFixture = fromFixture with { FixtureHash = FixtureHashOf(fromFixture) };
        var stored = (await merchants.FindAsync(clientId, cancellationToken))?.Merchant;
        if (stored is null)
        {
            await merchants.SaveAsync(fromFixture, cancellationToken);
        }
        else if (stored.FixtureHash is null)
        {
            // Stored by a version that did not record which fixture it came from. As that version's fixture left it
            // (its key, and the notification URLs it shipped with), it takes the fixture's values; else they are a
            // PUT's, and kept.
            var asShipped = stored.PublicKey == fromFixture.PublicKey && stored.KeyVersion == fromFixture.KeyVersion
                && stored.SubscriptionNotificationUrl == "http://localhost:8081/antom/notify-subscription"
                && stored.PaymentNotificationUrl == "http://localhost:8081/antom/notify-payment";
            await merchants.SaveAsync((asShipped ? fromFixture with { CreatedAt = stored.CreatedAt } : stored) with { FixtureHash = fromFixture.FixtureHash }, cancellationToken);
        }
        else if (stored.FixtureHash != fromFixture.FixtureHash)
        {
            await merchants.SaveAsync(fromFixture with { CreatedAt = stored.CreatedAt }, cancellationToken);
            logger.LogInformation(
                "{File} changed since {ClientId} was loaded from it: its key version, public key and notification URLs replace the stored ones",
                file, clientId);
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

    /// <summary>What the merchant's fixture says, as a short digest: a PUT keeps it, an edit of the fixture changes it.</summary>
    private static string FixtureHashOf(Merchant merchant) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join('\n', merchant.KeyVersion, merchant.PublicKey, merchant.SubscriptionNotificationUrl, merchant.PaymentNotificationUrl))))[..16];

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
