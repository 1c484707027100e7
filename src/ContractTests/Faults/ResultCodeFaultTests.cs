using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Faults;

/// <summary>
/// Every (API, code) of the catalogue, injected by rule and by header, answers like Antom: HTTP 200, signed, the
/// catalogue's status and message; state changes only where <c>effect</c> says so.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class ResultCodeFaultTests(EmulatorFactory factory)
{
    private static readonly JsonArray Catalogue = JsonNode.Parse(Fixtures.Read("result-codes.json"))!.AsArray();

    public static TheoryData<string, string, string> Injections()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var row in Catalogue.Where(r => (string)r!["api"]! != "deduction" && (string)r!["resultCode"]! != "SUCCESS"))
        {
            foreach (var way in new[] { "rule", "header" })
            {
                data.Add((string)row!["api"]!, (string)row["resultCode"]!, way);
            }
        }

        return data;
    }

    [Fact]
    public async Task ResultCodes_ServesTheCatalogueFile()
    {
        var served = await factory.CreateClient().GetFromJsonAsync<JsonArray>("/_emulator/v1/result-codes");

        served!.ToJsonString().Should().Be(Catalogue.ToJsonString());
        Catalogue.Select(r => (string)r!["api"]!).Distinct().Should().BeEquivalentTo("create", "change", "update", "cancel", "inquireSubscription", "inquireSubscriptionList", "inquireSubscriptionPayment", "refund", "inquiryRefund", "deduction");
    }

    [Theory]
    [MemberData(nameof(Injections))]
    public async Task InjectedCode_AnswersLikeAntom_AndChangesNothing(string api, string code, string way)
    {
        var (m, call) = await ArrangeAsync(api);
        await using var harness = m;
        var row = Catalogue.Single(r => (string)r!["api"]! == api && (string)r["resultCode"]! == code)!;
        var before = await m.Http.GetStringAsync($"{m.Control}/subscriptions");

        var reply = await InjectAsync(m, api, call, code, way, effect: null);
        var after = await m.Http.GetStringAsync($"{m.Control}/subscriptions");

        reply.SignatureValid.Should().BeTrue();
        reply.ResultCode.Should().Be(code);
        reply.ResultStatus.Should().Be((string)row["resultStatus"]!);
        reply.ResultMessage.Should().Be((string)row["message"]!);
        Strip(after).Should().Be(Strip(before), "an injected failure changes nothing");
        if (api == "refund")
        {
            var refunded = await m.Client.CallAsync(m.Merchant, "inquiryRefund", new JsonObject { ["refundRequestId"] = call["refundRequestId"]!.DeepClone() });
            refunded.ResultCode.Should().Be("ORDER_NOT_EXIST", "a refund answered with an injected failure refunds nothing");
        }
    }

    [Theory]
    [InlineData("create", "rule")]
    [InlineData("create", "header")]
    [InlineData("change", "rule")]
    [InlineData("change", "header")]
    [InlineData("update", "rule")]
    [InlineData("cancel", "rule")]
    [InlineData("refund", "header")]
    public async Task UnknownApplied_TakesEffect_AndTheRetryWithTheSameIdGetsTheOutcome(string api, string way)
    {
        var (m, call) = await ArrangeAsync(api);
        await using var harness = m;

        var unknown = await InjectAsync(m, api, call, "UNKNOWN_EXCEPTION", way, effect: "applied");
        var retry = await m.Client.CallAsync(m.Merchant, api, call);
        var subscriptions = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions"))!;

        unknown.ResultStatus.Should().Be("U");
        retry.ResultCode.Should().Be("SUCCESS", retry.ResultMessage);
        var subscription = subscriptions.Single()!;
        switch (api)
        {
            case "create":
                subscriptions.Should().HaveCount(1, "the first call took effect and the retry replayed it");
                break;
            case "refund":
                ((JsonArray)subscription["timeline"]!).Count(e => ((string)e!["detail"]!).StartsWith("refund ", StringComparison.Ordinal)).Should().Be(1, "the first call took effect and the retry replayed it");
                ((JsonArray)subscription["timeline"]!).Should().Contain(e => ((string)e!["detail"]!).Contains("→ SUCCESS", StringComparison.Ordinal) && ((string)e!["detail"]!).StartsWith("refund ", StringComparison.Ordinal));
                break;
            case "change" or "update":
                ((string)subscription["paymentAmount"]!["value"]!).Should().Be("29900");
                ((JsonArray)subscription["timeline"]!).Count(e => ((string)e!["detail"]!).StartsWith(api + " ", StringComparison.Ordinal)).Should().Be(1);
                break;
            default:
                ((string)subscription["status"]!).Should().Be("CANCELLED");
                break;
        }
    }

    [Theory]
    [InlineData("create", "rule")]
    [InlineData("change", "header")]
    [InlineData("update", "rule")]
    [InlineData("refund", "header")]
    public async Task InjectedFail_IsFinalForItsRequestId_TheSameRequestGetsIt_AnotherBodyIsRepeatReqInconsistent(string api, string way)
    {
        var (m, call) = await ArrangeAsync(api);
        await using var harness = m;
        var before = await m.Http.GetStringAsync($"{m.Control}/subscriptions");
        var idField = api switch { "create" => "subscriptionRequestId", "change" => "subscriptionChangeRequestId", "update" => "subscriptionUpdateRequestId", _ => "refundRequestId" };
        var other = call.DeepClone().AsObject();
        other[idField] = "new-" + Guid.NewGuid().ToString("N");
        var changedBody = call.DeepClone().AsObject();
        changedBody["memo"] = "another body";

        var rejected = await InjectAsync(m, api, call, "RISK_REJECT", way, effect: null);
        var again = await m.Client.CallAsync(m.Merchant, api, call);
        var inconsistent = await m.Client.CallAsync(m.Merchant, api, changedBody);
        var after = await m.Http.GetStringAsync($"{m.Control}/subscriptions");
        var anew = await m.Client.CallAsync(m.Merchant, api, other);

        rejected.ResultCode.Should().Be("RISK_REJECT");
        again.SignatureValid.Should().BeTrue();
        again.Text.Should().Be(rejected.Text, "Antom answers a final result again for the same request id (SPEC §3.12), injected or not");
        inconsistent.ResultCode.Should().Be("REPEAT_REQ_INCONSISTENT");
        Strip(after).Should().Be(Strip(before), "neither the rejected call nor its repeats changed anything");
        anew.ResultCode.Should().Be("SUCCESS", "a new request id is a new request");
    }

    /// <summary>
    /// What Antom never keeps under a request id (the gateway's refusals, a body's field rules, a reused id) is not kept
    /// when injected either, nor is an injected failure of a body the field rules refuse: the corrected request may use
    /// its id.
    /// </summary>
    [Theory]
    [InlineData("PARAM_ILLEGAL", false)]
    [InlineData("INVALID_SIGNATURE", false)]
    [InlineData("REPEAT_REQ_INCONSISTENT", false)]
    [InlineData("RISK_REJECT", true)]
    public async Task InjectedRefusalThatIsNeverKept_OrOfABodyTheRulesRefuse_LeavesTheRequestIdFree(string code, bool brokenBody)
    {
        var (m, call) = await ArrangeAsync("create");
        await using var harness = m;
        var sent = call.DeepClone().AsObject();
        if (brokenBody)
        {
            sent.Remove("subscriptionDescription");
        }

        var injected = await InjectAsync(m, "create", sent, code, "header", effect: null);
        var corrected = await m.Client.CallAsync(m.Merchant, "create", call);

        injected.ResultCode.Should().Be(code);
        corrected.ResultCode.Should().Be("SUCCESS", corrected.ResultMessage);
    }

    [Fact]
    public async Task UnknownNotApplied_TheRetryWithTheSameIdIsProcessedNormally()
    {
        var (m, call) = await ArrangeAsync("create");
        await using var harness = m;

        var unknown = await InjectAsync(m, "create", call, "UNKNOWN_EXCEPTION", "rule", effect: null);
        var emptyAfterUnknown = await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions");
        var retry = await m.Client.CallAsync(m.Merchant, "create", call);

        unknown.ResultStatus.Should().Be("U");
        emptyAfterUnknown.Should().BeEmpty();
        retry.ResultCode.Should().Be("SUCCESS");
    }

    [Fact]
    public async Task Header_UnknownCode_IsParamIllegalNamingTheHeader()
    {
        var (m, call) = await ArrangeAsync("create");
        await using var harness = m;

        var reply = await InjectAsync(m, "create", call, "NOT_A_CODE", "header", effect: null);

        reply.ResultCode.Should().Be("PARAM_ILLEGAL");
        reply.ResultMessage.Should().Contain("header Emulator-Result-Code: 'NOT_A_CODE' is not a result code of create");
    }

    private async Task<(MerchantHarness Harness, JsonObject Call)> ArrangeAsync(string api)
    {
        var start = new DateTimeOffset(2027, 7, 1, 0, 0, 0, TimeSpan.Zero);
        var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        if (api == "create")
        {
            return (m, MerchantHarness.Body(start));
        }

        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(start));
        return (m, api switch
        {
            "change" => Bodies.Change(subscriptionId),
            "update" => Bodies.Update(subscriptionId, amount: "29900"),
            "refund" => Bodies.Refund((string)(await m.SubscriptionAsync(subscriptionId))["phases"]![0]!["paymentId"]!, "5000"),
            "inquiryRefund" => new JsonObject { ["refundRequestId"] = "refund-" + Guid.NewGuid().ToString("N") },
            "cancel" => Bodies.Cancel(subscriptionId),
            _ => new JsonObject { ["subscriptionId"] = subscriptionId },
        });
    }

    private static async Task<AntomReply> InjectAsync(MerchantHarness m, string api, JsonObject call, string code, string way, string? effect)
    {
        if (way == "rule")
        {
            var added = await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = api, resultCode = code, effect });
            added.StatusCode.Should().Be(System.Net.HttpStatusCode.Created, await added.Content.ReadAsStringAsync());
            return await m.Client.CallAsync(m.Merchant, api, call);
        }

        var request = new SignedRequest
        {
            Path = AntomTestClient.PathOf(api),
            Body = System.Text.Encoding.UTF8.GetBytes(call.ToJsonString()),
            ClientId = m.Merchant.ClientId,
            Key = m.Merchant.PrivateKey,
            ExtraHeaders = effect is null ? new() { ["Emulator-Result-Code"] = code } : new() { ["Emulator-Result-Code"] = code, ["Emulator-Effect"] = effect },
        };
        return await m.Client.SendAsync(request);
    }

    // The timeline records refused API calls too; compare what matters: states, plans and phases.
    private static string Strip(string subscriptions) =>
        new JsonArray([.. JsonNode.Parse(subscriptions)!.AsArray().Select(s =>
        {
            var copy = s!.DeepClone().AsObject();
            copy.Remove("timeline");
            return (JsonNode)copy;
        })]).ToJsonString();
}
