using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ContractTests.Lifecycle;

/// <summary>Idempotency per SPEC §10: (client id, API, request id); same body → same bytes; other body → inconsistent.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class IdempotencyTests
{
    private readonly EmulatorFactory factory;
    private readonly AntomTestClient client;
    private readonly Scenario scenario;

    public IdempotencyTests(EmulatorFactory factory)
    {
        this.factory = factory;
        client = new AntomTestClient(factory.CreateClient());
        scenario = new Scenario(client, factory);
    }

    [Fact]
    public async Task Create_RepeatedWithTheSameBody_ReturnsTheFirstBodyByteForByteFreshlySigned()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());

        var first = await client.CallAsync(merchant, "create", body);
        factory.Time.Advance(TimeSpan.FromSeconds(3));
        var repeat = await client.CallAsync(merchant, "create", body, requestTime: "1764000009999");
        var stored = await client.Http.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions");

        repeat.RawBody.Should().Equal(first.RawBody);
        repeat.SignatureValid.Should().BeTrue();
        repeat.Headers["response-time"].Should().NotBe(first.Headers["response-time"]);
        stored.Should().HaveCount(1);
    }

    [Fact]
    public async Task Create_RepeatedAfterItsAuthorizationDeadlinePassed_GetsTheFirstAnswer_NotParamIllegal()
    {
        // A merchant's retry after a timeout may come after a time rule of the first call has lapsed.
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());
        body["subscriptionExpiryTime"] = factory.Time.GetUtcNow().AddMinutes(1).ToString("yyyy-MM-dd'T'HH:mm:sszzz");

        var first = await client.CallAsync(merchant, "create", body);
        factory.Time.Advance(TimeSpan.FromMinutes(2));
        var repeat = await client.CallAsync(merchant, "create", body);
        body["subscriptionDescription"] = "another body under the same id";
        var other = await client.CallAsync(merchant, "create", body);

        first.ResultCode.Should().Be("SUCCESS", first.ResultMessage);
        repeat.RawBody.Should().Equal(first.RawBody, "the same request gets the first answer, even once its rules no longer hold");
        repeat.SignatureValid.Should().BeTrue();
        other.ResultCode.Should().Be("REPEAT_REQ_INCONSISTENT", "another body under a used request id is refused as such, valid or not");
        other.ResultMessage.Should().Contain("was already used for create with a different body")
            .And.Contain("this body also breaks a rule: subscriptionExpiryTime: must be after the time of the request");
    }

    [Fact]
    public async Task Change_RepeatedAfterItsDeadlinePassed_GetsTheFirstAnswer_NotParamIllegal()
    {
        var (merchant, subscriptionId) = await scenario.CreateActiveAsync();
        var body = Bodies.Change(subscriptionId);
        body["subscriptionExpiryTime"] = factory.Time.GetUtcNow().AddMinutes(1).ToString("yyyy-MM-dd'T'HH:mm:sszzz");

        var first = await client.CallAsync(merchant, "change", body);
        factory.Time.Advance(TimeSpan.FromMinutes(2));
        var repeat = await client.CallAsync(merchant, "change", body);

        first.ResultCode.Should().Be("SUCCESS", first.ResultMessage);
        repeat.RawBody.Should().Equal(first.RawBody);
        repeat.ResultCode.Should().Be("SUCCESS");
    }

    [Fact]
    public async Task Create_SentTwentyTimesAtOnce_CreatesOneSubscription_AndEveryCallGetsItsAnswer()
    {
        // Concurrent twins meet inside one write (group commit on SQLite): all but the first must read the first's answer.
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());

        var replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => client.CallAsync(merchant, "create", body))));
        var stored = await client.Http.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions");

        replies.Should().AllSatisfy(r =>
        {
            r.ResultCode.Should().Be("SUCCESS");
            r.SignatureValid.Should().BeTrue();
            r.RawBody.Should().Equal(replies[0].RawBody);
        });
        stored.Should().HaveCount(1);
    }

    [Fact]
    public async Task Create_RepeatedWithOtherWhiteSpace_IsTheSameRequest()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());
        var first = await client.CallAsync(merchant, "create", body);

        var indented = await client.SendAsync(new SignedRequest
        {
            Path = AntomTestClient.PathOf("create"),
            Body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body, new JsonSerializerOptions { WriteIndented = true })),
            ClientId = merchant.ClientId,
            Key = merchant.PrivateKey,
        });

        indented.RawBody.Should().Equal(first.RawBody);
    }

    [Fact]
    public async Task Create_RepeatedWithItsMembersInAnotherOrder_IsTheSameRequest()
    {
        // JSON objects are unordered: a retry serialized by another library (or a dictionary) is the same request.
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());
        var first = await client.CallAsync(merchant, "create", body);
        var reversed = Reversed(body);
        reversed.Select(m => m.Key).Should().NotEqual(body.Select(m => m.Key));

        var repeat = await client.CallAsync(merchant, "create", reversed);
        reversed["paymentAmount"]!["value"] = "1";
        var other = await client.CallAsync(merchant, "create", reversed);

        first.ResultCode.Should().Be("SUCCESS", first.ResultMessage);
        repeat.RawBody.Should().Equal(first.RawBody);
        other.ResultCode.Should().Be("REPEAT_REQ_INCONSISTENT", "reordering is no licence to change a value");

        static JsonObject Reversed(JsonObject o) =>
            new(o.Reverse().Select(m => KeyValuePair.Create(m.Key, m.Value is JsonObject inner ? Reversed(inner) : m.Value?.DeepClone())));
    }

    [Fact]
    public async Task Create_RepeatedWithoutTheNullMembersItSent_IsTheSameRequest()
    {
        // Found running the official .NET SDK: it sends every unset field as null, and its request classes gain fields from
        // one version to the next, so a retry (or one sent by other code) may carry more or fewer nulls. Null is absent.
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());
        var withNulls = (JsonObject)body.DeepClone();
        withNulls["subscriptionEndTime"] = null;
        withNulls["trials"] = null;
        withNulls["paymentMethod"]!["paymentMethodId"] = null;

        var first = await client.CallAsync(merchant, "create", withNulls);
        var repeat = await client.CallAsync(merchant, "create", body);
        body["subscriptionEndTime"] = "2099-12-31T23:59:59+08:00";
        var other = await client.CallAsync(merchant, "create", body);

        first.ResultCode.Should().Be("SUCCESS", first.ResultMessage);
        repeat.RawBody.Should().Equal(first.RawBody);
        other.ResultCode.Should().Be("REPEAT_REQ_INCONSISTENT", "a value where the first request had null is another request");
    }

    [Fact]
    public async Task Create_FirstAnsweredByAVersionThatHashedNulls_StillGetsItsFirstAnswer()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());
        body["trials"] = null;
        using var document = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(body));
        var storedAnswer = """{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"subscriptionId":"kept-with-nulls-hashed"}""";
        var database = factory.Services.GetRequiredService<Emulator.Persistence.Database>();
        await database.WriteAsync(work => Emulator.Persistence.IdempotencyStore.TryInsertAsync(
            work, merchant.ClientId, "create", (string)body["subscriptionRequestId"]!, Emulator.Protocol.BodyHashes.SortedWithNulls(document.RootElement), storedAnswer, default), default);

        var repeat = await client.CallAsync(merchant, "create", body);

        Encoding.UTF8.GetString(repeat.RawBody).Should().Be(storedAnswer);
    }

    [Fact]
    public async Task Create_FirstAnsweredByAnEarlierVersion_StillGetsItsFirstAnswer()
    {
        // Earlier versions stored the hash of the body in its written order; a data directory they left keeps working.
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body);
        using var document = JsonDocument.Parse(bytes);
        var storedAnswer = """{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"subscriptionId":"kept-by-an-earlier-version"}""";
        var database = factory.Services.GetRequiredService<Emulator.Persistence.Database>();
        await database.WriteAsync(work => Emulator.Persistence.IdempotencyStore.TryInsertAsync(
            work, merchant.ClientId, "create", (string)body["subscriptionRequestId"]!, Emulator.Protocol.BodyHashes.InWrittenOrder(document.RootElement), storedAnswer, default), default);

        var repeat = await client.CallAsync(merchant, "create", body);

        Encoding.UTF8.GetString(repeat.RawBody).Should().Be(storedAnswer);
    }

    [Fact]
    public async Task Create_SameRequestIdOtherBody_IsRepeatReqInconsistent()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow(), requestId: "same-id");
        await client.CallAsync(merchant, "create", body);
        body["paymentAmount"]!["value"] = "1";

        var reply = await client.CallAsync(merchant, "create", body);

        reply.ResultCode.Should().Be("REPEAT_REQ_INCONSISTENT");
        reply.ResultStatus.Should().Be("F");
        reply.ResultMessage.Should().Contain("same-id");
    }

    [Fact]
    public async Task Create_RequestIdSentAsANumber_OtherBodyBreakingARule_IsRepeatReqInconsistent()
    {
        // Found by the wire fuzz: the id, read as text by the field rules ("20270001"), was not looked up when the
        // body broke a rule, so the refusal was PARAM_ILLEGAL, as if the id were new.
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());
        body["subscriptionRequestId"] = 20270001;
        var first = await client.CallAsync(merchant, "create", body);
        body["periodRule"]!["periodType"] = "MONTHLY";

        var other = await client.CallAsync(merchant, "create", body);
        var journal = (await client.Http.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/api-calls"))!;

        first.ResultCode.Should().Be("SUCCESS", first.ResultMessage);
        other.ResultCode.Should().Be("REPEAT_REQ_INCONSISTENT", "another body under a used request id is refused as such, valid or not");
        other.ResultMessage.Should().Contain("'20270001' was already used for create").And.Contain("this body also breaks a rule: periodRule.periodType");
        journal.Select(c => (string?)c!["requestId"]).Should().Equal(["20270001", "20270001"], "the journal names the id as the field rules read it");
    }

    [Fact]
    public async Task Create_SameRequestIdForAnotherMerchant_IsANewRequest()
    {
        var one = await TestMerchant.CreateAsync(client.Http);
        var two = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow(), requestId: "shared-id");
        await client.CallAsync(one, "create", body);
        body["subscriptionDescription"] = "another plan";

        var reply = await client.CallAsync(two, "create", body);

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
    }

    [Fact]
    public async Task Create_AfterParamIllegal_TheCorrectedRequestMayReuseTheId()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());
        body["periodRule"]!["periodType"] = "MONTHLY";
        var refused = await client.CallAsync(merchant, "create", body);
        body["periodRule"]!["periodType"] = "MONTH";

        var corrected = await client.CallAsync(merchant, "create", body);

        refused.ResultCode.Should().Be("PARAM_ILLEGAL");
        corrected.ResultCode.Should().Be("SUCCESS", corrected.ResultMessage);
    }

    [Fact]
    public async Task Change_Repeated_IsAppliedOnce_AndAnswersTheSame()
    {
        var (merchant, subscriptionId) = await scenario.CreateActiveAsync();
        var change = Bodies.Change(subscriptionId);

        var first = await client.CallAsync(merchant, "change", change);
        var repeat = await client.CallAsync(merchant, "change", change);
        change["paymentAmount"]!["value"] = "1";
        var inconsistent = await client.CallAsync(merchant, "change", change);
        var timeline = (await scenario.GetAsync(merchant, subscriptionId))["timeline"]!.AsArray();

        repeat.RawBody.Should().Equal(first.RawBody);
        inconsistent.ResultCode.Should().Be("REPEAT_REQ_INCONSISTENT");
        timeline.Select(e => (string)e!["detail"]!).Where(d => d.StartsWith("change ", StringComparison.Ordinal)).Should().SatisfyRespectively(
            d => d.Should().EndWith("→ SUCCESS", "applied once: its repeat is not another change"),
            d => d.Should().Contain("→ REPEAT_REQ_INCONSISTENT, refused before it reached the subscription"));
    }

    [Fact]
    public async Task Change_RefusedFinally_IsRememberedAsRefused()
    {
        var (merchant, subscriptionId) = await scenario.CreateActiveAsync();
        await client.CallAsync(merchant, "cancel", Bodies.Cancel(subscriptionId, "TERMINATE"));
        var change = Bodies.Change(subscriptionId);

        var first = await client.CallAsync(merchant, "change", change);
        var repeat = await client.CallAsync(merchant, "change", change);

        first.ResultCode.Should().Be("PROCESS_FAIL");
        repeat.RawBody.Should().Equal(first.RawBody);
    }
}
