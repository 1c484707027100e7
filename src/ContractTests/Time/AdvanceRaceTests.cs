using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ContractTests.Time;

/// <summary>
/// An advance and the calls made while it runs: a call may do what the run has just read as due before the run writes
/// (seen in CrashPointTests on PostgreSQL: a decline of a request at its expiry).
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class AdvanceRaceTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Frozen = new(2031, 3, 10, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Advance_ACallEndsWhatTheRunReadAsDue_RunsOnToWhatFallsDueLater()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        var declined = await m.CreateAsync(MerchantHarness.Body(Frozen));
        var later = MerchantHarness.Body(Frozen);
        later["subscriptionExpiryTime"] = Frozen.AddMinutes(45).ToString("yyyy-MM-dd'T'HH:mm:sszzz");
        await m.CreateAsync(later);

        // The decline's CREATE goes out later: at the first expiry the run has nothing of its own to do.
        var fault = await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "notifySubscription", delivery = "delay", delay = "PT2H", times = 1 });
        fault.StatusCode.Should().Be(HttpStatusCode.Created);
        var errorsBefore = factory.Errors.GetSnapshot().Count;

        Task<HttpResponseMessage> decline, advance;
        await using (await HoldTheWriterAsync())
        {
            // The decline (at 08:00) waits for the database's writer; the run reads the request as due at its expiry
            // (08:30), then waits for the writer behind the decline, which is committed first.
            decline = m.Http.PostAsync($"{m.Control}/subscription-requests/{declined}/decline", null);
            await Task.Delay(TimeSpan.FromMilliseconds(300));
            advance = m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", new { by = "PT1H" });
            await ReachedAsync(m, Frozen.AddMinutes(30));
            await Task.Delay(TimeSpan.FromMilliseconds(300));
        }

        (await decline).StatusCode.Should().Be(HttpStatusCode.OK);
        var answer = await advance;
        var text = await answer.Content.ReadAsStringAsync();
        var events = JsonNode.Parse(text)!["events"]!.AsArray();

        answer.StatusCode.Should().Be(HttpStatusCode.OK, text);
        events.Where(e => (string)e!["type"]! == "authorizationExpired")
            .Select(e => DateTimeOffset.Parse((string)e!["at"]!, System.Globalization.CultureInfo.InvariantCulture))
            .Should().Equal([Frozen.AddMinutes(45)], "the advance runs on past what the decline did, to the other request's expiry");
        factory.Errors.GetSnapshot().Skip(errorsBefore).Select(e => e.Message).Should().BeEmpty("a call doing what was due is no fault of the run");
    }

    /// <summary>Until the advance's run has reached <paramref name="at"/> (the clock reads the time the run has reached).</summary>
    private static async Task ReachedAsync(MerchantHarness m, DateTimeOffset at)
    {
        for (var i = 0; i < 500; i++)
        {
            var clock = await m.Http.GetFromJsonAsync<JsonObject>($"{m.Control}/clock");
            if (DateTimeOffset.Parse((string)clock!["now"]!, System.Globalization.CultureInfo.InvariantCulture) >= at)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10));
        }

        throw new Xunit.Sdk.XunitException($"the advance's run did not reach {at:O}");
    }

    /// <summary>Holds the database's write lock (the file's on SQLite, the writers' advisory lock on PostgreSQL) until disposed.</summary>
    private async Task<DbConnection> HoldTheWriterAsync()
    {
        var options = factory.Services.GetRequiredService<IOptions<Emulator.Hosting.EmulatorOptions>>().Value;
        DbConnection connection = EmulatorFactory.OnPostgres
            ? new Npgsql.NpgsqlConnection(options.PostgresConnectionString)
            : new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = options.DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = EmulatorFactory.OnPostgres
            ? $"BEGIN; SELECT pg_advisory_xact_lock({Emulator.Persistence.PostgresDatabase.WriterKey})"
            : "BEGIN IMMEDIATE";
        await command.ExecuteNonQueryAsync();
        return connection;
    }
}
