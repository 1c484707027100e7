using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ContractTests.Support;

namespace ContractTests.Harness;

/// <summary>
/// The wire format pinned as golden JSON in <c>fixtures/golden/</c>: every request, response and notification kind,
/// produced by the emulator through raw HTTP. A renamed, retyped or reordered field fails here even where a generated
/// client would round-trip it. Regenerate with <c>UPDATE_GOLDEN=1 dotnet test Emulator.sln --filter GoldenJsonTests</c>.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed partial class GoldenJsonTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Start = new(2027, 2, 1, 10, 0, 0, TimeSpan.FromHours(8));

    [Fact]
    public async Task WireFormat_MatchesTheGoldenFiles()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var create = MerchantHarness.Body(Start);
        create["subscriptionRequestId"] = "golden-create-1";
        create["env"]!["terminalType"] = "APP";
        create["env"]!["osType"] = "IOS";
        var createReply = await m.Client.CallAsync(m.Merchant, "create", create);
        var subscriptionId = (string)JsonNode.Parse(await (await m.Http.PostAsync($"{m.Control}/subscription-requests/golden-create-1/approve", null)).Content.ReadAsStringAsync())!["subscriptionId"]!;
        var change = Bodies.Change(subscriptionId, "golden-change-1");
        var changeReply = await m.Client.CallAsync(m.Merchant, "change", change);
        var update = Bodies.Update(subscriptionId, "golden-update-1");
        update["subscriptionDescription"] = "Emulator Premium, family plan";
        var updateReply = await m.Client.CallAsync(m.Merchant, "update", update);
        var paymentId = (string)(await m.SubscriptionAsync(subscriptionId))["phases"]![0]!["paymentId"]!;
        var refund = Bodies.Refund(paymentId, "5000", "golden-refund-1");
        refund["refundReason"] = "partial refund";
        var refundReply = await m.Client.CallAsync(m.Merchant, "refund", refund);
        var inquiryRefund = new JsonObject { ["refundRequestId"] = "golden-refund-1" };
        var inquiryRefundReply = await m.Client.CallAsync(m.Merchant, "inquiryRefund", inquiryRefund);
        var cancel = Bodies.Cancel(subscriptionId);
        var cancelReply = await m.Client.CallAsync(m.Merchant, "cancel", cancel);
        await m.AdvanceAsync("PT1M");
        var received = m.Receiver.Received;
        JsonObject Notice(string type) => received.First(r => !r.IsPayment && (string)r.Json["subscriptionNotificationType"]! == type).Json;

        var produced = new Dictionary<string, string>
        {
            ["create-request.json"] = create.ToJsonString(),
            ["create-response.json"] = createReply.Text,
            ["change-request.json"] = change.ToJsonString(),
            ["change-response.json"] = changeReply.Text,
            ["cancel-request.json"] = cancel.ToJsonString(),
            ["cancel-response.json"] = cancelReply.Text,
            ["notify-subscription-create.json"] = received.First(r => !r.IsPayment).Json.ToJsonString(),
            ["notify-payment.json"] = received.First(r => r.IsPayment).Json.ToJsonString(),
            ["update-request.json"] = update.ToJsonString(),
            ["update-response.json"] = updateReply.Text,
            ["refund-request.json"] = refund.ToJsonString(),
            ["refund-response.json"] = refundReply.Text,
            ["inquiry-refund-request.json"] = inquiryRefund.ToJsonString(),
            ["inquiry-refund-response.json"] = inquiryRefundReply.Text,
            ["notify-subscription-change.json"] = Notice("CHANGE").ToJsonString(),
            ["notify-subscription-update.json"] = Notice("UPDATE").ToJsonString(),
            ["notify-subscription-cancel.json"] = Notice("CANCEL").ToJsonString(),
        };

        foreach (var (file, json) in produced)
        {
            var path = Fixtures.Path(Path.Combine("golden", file));
            var normalized = Normalize(json);
            if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
            {
                await File.WriteAllTextAsync(path, normalized);
            }

            normalized.Should().Be(await File.ReadAllTextAsync(path), $"fixtures/golden/{file} pins the wire format");
        }
    }

    /// <summary>Indented, with the values that change from run to run (ids, tokens, ports) replaced by their shape.</summary>
    private static string Normalize(string json)
    {
        var text = JsonSerializer.Serialize(JsonNode.Parse(json), new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        text = Id().Replace(text, "\"<35-digit id>\"");
        text = Token().Replace(text, "/authorize/<token>");
        text = Port().Replace(text, "http://<host>/");
        return text.ReplaceLineEndings("\n") + "\n";
    }

    [GeneratedRegex("\"[0-9]{35}\"")]
    private static partial Regex Id();

    [GeneratedRegex("/authorize/[0-9a-f]{32}")]
    private static partial Regex Token();

    [GeneratedRegex("http://localhost/")]
    private static partial Regex Port();
}
