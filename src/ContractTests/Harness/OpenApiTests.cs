using System.Net;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Harness;

/// <summary>The OpenAPI document NSwag generates at build: committed, served, and describing the wire as it is.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class OpenApiTests(EmulatorFactory factory)
{
    private static string Committed => Path.Combine(Path.GetDirectoryName(Fixtures.Directory)!, "docs", "openapi.json");

    private static string Built => Builds.Output("Emulator", "openapi.json");

    [Fact]
    public void CommittedDocument_IsWhatTheBuildProduces()
    {
        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI") == "1")
        {
            File.Copy(Built, Committed, overwrite: true);
        }

        File.ReadAllText(Committed).ReplaceLineEndings("\n").Should().Be(
            File.ReadAllText(Built).ReplaceLineEndings("\n"),
            "docs/openapi.json must be regenerated when the API changes: UPDATE_OPENAPI=1 dotnet test Emulator.sln --filter OpenApiTests");
    }

    [Fact]
    public async Task Document_DescribesTheAntomSurfaceWithItsRules()
    {
        var document = JsonNode.Parse(await File.ReadAllTextAsync(Committed))!;
        var schemas = document["components"]!["schemas"]!;
        var create = document["paths"]!["/ams/api/v1/subscriptions/create"]!["post"]!;

        create["parameters"]!.AsArray().Select(p => (string)p!["name"]!).Should().Contain(["Client-Id", "Request-Time", "Signature"]);
        create["responses"]!["200"]!["headers"]!.AsObject().Select(h => h.Key).Should().Contain(["client-id", "response-time", "signature"]);
        ((int)schemas["CreateSubscriptionWire"]!["properties"]!["subscriptionRequestId"]!["maxLength"]!).Should().Be(64);
        schemas["CreateSubscriptionWire"]!["required"]!.AsArray().Select(r => (string)r!).Should().Contain(["periodRule", "paymentMethod", "env"]);
        schemas["PeriodType"]!["enum"]!.AsArray().Select(e => (string)e!).Should().Equal("DAY", "WEEK", "MONTH", "YEAR");
        schemas["CancellationType"]!["enum"]!.AsArray().Select(e => (string)e!).Should().Equal("CANCEL", "TERMINATE");
        schemas.AsObject().Select(s => s.Key).Should().Contain(["NotifySubscriptionWire", "NotifyPaymentWire"]);
        var notificationType = new System.Text.RegularExpressions.Regex((string)schemas["NotifySubscriptionWire"]!["properties"]!["subscriptionNotificationType"]!["pattern"]!);
        new[] { "CREATE", "CHANGE", "UPDATE", "CANCEL", "TERMINATE" }.Should().OnlyContain(t => notificationType.IsMatch(t), "every type the emulator sends fits the published schema");
        document["paths"]!.AsObject().Select(p => p.Key).Should().Contain(["/_emulator/v1/merchants/{clientId}/clock/advance", "/_emulator/v1/merchants/{clientId}/faults"]);
    }

    [Fact]
    public async Task Emulator_ServesTheDocumentAndAnApiReferencePage()
    {
        var http = factory.CreateClient();

        var served = JsonNode.Parse(await http.GetStringAsync("/_emulator/v1/openapi.json"))!;
        var reference = await http.GetAsync("/_emulator/api-reference/index.html");

        served["paths"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo(JsonNode.Parse(await File.ReadAllTextAsync(Committed))!["paths"]!.AsObject().Select(p => p.Key));
        reference.StatusCode.Should().Be(HttpStatusCode.OK);
        (await reference.Content.ReadAsStringAsync()).Should().Contain("swagger-ui");
    }
}
