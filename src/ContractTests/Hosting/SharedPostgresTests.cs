using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;
using Xunit.Abstractions;

namespace ContractTests.Hosting;

/// <summary>
/// The shared deployment: two emulator processes on one PostgreSQL database behave as one emulator. Subscriptions are
/// created and approved through both, the merchant's clock is advanced 12 months a month at a time through one then the
/// other (while both background loops run), and every phase is deducted once and every notification delivered once.
/// </summary>
public sealed class SharedPostgresTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Subscriptions = 100;
    private static readonly DateTimeOffset Start = new(2027, 1, 15, 0, 0, 0, TimeSpan.Zero);
    private readonly string dataA = Directory.CreateTempSubdirectory("emulator-shared-a-").FullName;
    private readonly string dataB = Directory.CreateTempSubdirectory("emulator-shared-b-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(dataA, recursive: true);
        Directory.Delete(dataB, recursive: true);
        return Task.CompletedTask;
    }

    [SkippableFact]
    public async Task TwoInstancesOnOneDatabase_TwelveMonthsThroughBoth_EachPhaseOnce_EachNotificationDeliveredOnceAndAcknowledged()
    {
        SkipUnlessPostgres();
        await using var postgres = await PostgresServer.StartAsync();
        var environment = new Dictionary<string, string>
        {
            ["Emulator__PostgresConnectionString"] = await postgres.CreateDatabaseAsync("shared"),
            ["Emulator__SchedulerInterval"] = "00:00:00.100",
        };
        await using var receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey);

        // Started together: the two migrate the same empty database at once.
        var starting = await Task.WhenAll(EmulatorProcess.StartAsync(dataA, environment), EmulatorProcess.StartAsync(dataB, environment));
        var (a, httpA, _) = starting[0];
        var (b, httpB, _) = starting[1];
        await using (a)
        await using (b)
        {
            try
            {
                await DriveAndCheckAsync(httpA, httpB, receiver);
            }
            catch
            {
                output.WriteLine("instance A:\n" + a.Output + "\ninstance B:\n" + b.Output);
                throw;
            }
        }
    }

    private async Task DriveAndCheckAsync(Uri httpA, Uri httpB, NotificationInbox receiver)
    {
        using var clientA = new HttpClient { BaseAddress = httpA };
        using var clientB = new HttpClient { BaseAddress = httpB };
        HttpClient[] instances = [clientA, clientB];
        var merchant = await TestMerchant.CreateAsync(clientA, receiver, Start);

        // Idempotency holds across instances: the same create through B answers A's bytes.
        var twin = MerchantHarness.Body(Start);
        var throughA = await new AntomTestClient(clientA).CallAsync(merchant, "create", twin);
        var throughB = await new AntomTestClient(clientB).CallAsync(merchant, "create", twin);
        throughA.ResultCode.Should().Be("SUCCESS", throughA.ResultMessage);
        throughB.RawBody.Should().Equal(throughA.RawBody, "a repeated request id gets the first answer, whichever instance took it");

        await Task.WhenAll(Enumerable.Range(0, Subscriptions - 1).Select(async i =>
        {
            var body = MerchantHarness.Body(Start);
            var created = await new AntomTestClient(instances[i % 2]).CallAsync(merchant, "create", body);
            created.ResultCode.Should().Be("SUCCESS", created.ResultMessage);
            (await instances[(i + 1) % 2].PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscription-requests/{(string)body["subscriptionRequestId"]!}/approve", null))
                .EnsureSuccessStatusCode();
        }));
        (await clientB.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscription-requests/{(string)twin["subscriptionRequestId"]!}/approve", null)).EnsureSuccessStatusCode();

        for (var month = 1; month <= 12; month++)
        {
            var target = Start.AddMonths(month);
            var advanced = await instances[month % 2].PostAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}/clock/advance", new { to = target });
            advanced.EnsureSuccessStatusCode();
            var seenByOther = (await instances[(month + 1) % 2].GetFromJsonAsync<JsonObject>($"/_emulator/v1/merchants/{merchant.ClientId}/clock"))!;
            DateTimeOffset.Parse((string)seenByOther["now"]!, System.Globalization.CultureInfo.InvariantCulture).Should().Be(target, "the clock is shared");
        }

        var subscriptions = (await clientB.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions"))!;
        var notifications = (await clientA.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/notifications"))!;
        var delivered = receiver.Received;
        output.WriteLine($"{subscriptions.Count} subscriptions, {notifications.Count} notifications, {delivered.Count} deliveries");

        var paymentIds = YearChecks.EveryPhaseOnce(subscriptions, Subscriptions);
        notifications.Where(n => (string)n!["kind"]! == "notifyPayment").Should().HaveCount(Subscriptions * 13);
        notifications.Should().OnlyContain(n => (string)n!["status"]! == "acknowledged");
        delivered.GroupBy(r => r.NotificationId).Should().OnlyContain(g => g.Count() == 1, "every attempt was acknowledged, so nothing was sent twice");
        delivered.Select(r => r.NotificationId).Should().BeEquivalentTo(notifications.Select(n => (string)n!["notificationId"]!));
        delivered.Where(r => r.IsPayment).Select(r => (string)r.Json["paymentId"]!).Should().BeEquivalentTo(paymentIds);
        delivered.Should().OnlyContain(r => r.SignatureValid);
    }

    /// <summary>CI installs PostgreSQL and sets EMULATOR_REQUIRE_POSTGRES=1, so there a missing server fails the test.</summary>
    public static void SkipUnlessPostgres() =>
        Skip.If(
            PostgresServer.FindBinaries() is null && Environment.GetEnvironmentVariable("EMULATOR_REQUIRE_POSTGRES") != "1",
            "PostgreSQL is not installed here (apt-get install postgresql, as .ci/run does)");
}
