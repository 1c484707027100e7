using Emulator.Testing.Conformance;
using Microsoft.Extensions.Configuration;

// Runs the conformance suite against a merchant's integration and writes conformance.md and conformance.json.
//   dotnet run --project src/Emulator.Conformance -- --emulator http://localhost:5080 --client-id SANDBOX_… \
//     --subscription-url http://localhost:8081/antom/notify/subscription --payment-url http://localhost:8081/antom/notify/payment \
//     [--processed-url …] [--trigger-url …] [--admin-token …] [--antom-private-key path.pem] [--settle-seconds 2] [--out conformance]
// Exit code: 0 when no check failed, 1 otherwise, 2 for a usage error.
var settings = new ConfigurationBuilder().AddCommandLine(args).Build();
Uri? Url(string name) => settings[name] is { Length: > 0 } value ? new Uri(value) : null;
if (Url("emulator") is not { } emulator || settings["client-id"] is not { } clientId || Url("subscription-url") is not { } subscriptionUrl || Url("payment-url") is not { } paymentUrl)
{
    Console.Error.WriteLine("usage: antom-conformance --emulator URL --client-id ID --subscription-url URL --payment-url URL [--processed-url URL] [--trigger-url URL] [--admin-token T] [--antom-private-key PEM-FILE] [--settle-seconds S] [--out DIR]");
    return 2;
}

var suite = new ConformanceSuite(new ConformanceOptions
{
    EmulatorUrl = emulator,
    ClientId = clientId,
    SubscriptionNotificationUrl = subscriptionUrl,
    PaymentNotificationUrl = paymentUrl,
    ProcessedUrl = Url("processed-url"),
    TriggerUrl = Url("trigger-url"),
    AdminToken = settings["admin-token"],
    AntomPrivateKeyPem = settings["antom-private-key"] is { Length: > 0 } pemFile ? await File.ReadAllTextAsync(pemFile) : null,
    SettleTime = double.TryParse(settings["settle-seconds"], System.Globalization.CultureInfo.InvariantCulture, out var settle) && settle >= 0 ? TimeSpan.FromSeconds(settle) : TimeSpan.FromSeconds(2),
});
var scorecard = await suite.RunAsync();
var output = settings["out"] ?? "conformance";
await scorecard.WriteAsync(output);
Console.WriteLine(scorecard.ToMarkdown());
Console.WriteLine($"Scorecard written to {Path.GetFullPath(output)}");
return scorecard.Passed ? 0 : 1;
