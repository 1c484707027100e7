using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Lifecycle;

/// <summary>Every transition of the subscription machine and every refused one, through the wire (SPEC §4.2, §10).</summary>
[Collection(EmulatorCollection.Name)]
public sealed class TransitionsTests
{
    private readonly EmulatorFactory factory;
    private readonly AntomTestClient client;
    private readonly Scenario scenario;

    public TransitionsTests(EmulatorFactory factory)
    {
        this.factory = factory;
        client = new AntomTestClient(factory.CreateClient());
        scenario = new Scenario(client, factory);
    }

    [Fact]
    public async Task Approve_PendingRequest_BecomesActive()
    {
        var (merchant, requestId) = await scenario.CreatePendingAsync();

        var response = await Decide(merchant, requestId, "approve");
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        ((string)body!["status"]!).Should().Be("ACTIVE");
        ((string)body["subscriptionId"]!).Should().MatchRegex($"^{factory.Time.GetUtcNow():yyyyMMdd}[0-9]{{27}}$");
    }

    [Fact]
    public async Task Decline_PendingRequest_BecomesTerminated_AndCannotBeApprovedAfter()
    {
        var (merchant, requestId) = await scenario.CreatePendingAsync();

        var declined = await Decide(merchant, requestId, "decline");
        var approveAfter = await Decide(merchant, requestId, "approve");

        ((string)(await declined.Content.ReadFromJsonAsync<JsonObject>())!["status"]!).Should().Be("TERMINATED");
        approveAfter.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await approveAfter.Content.ReadAsStringAsync()).Should().Contain("cannot approve a subscription that is TERMINATED");
    }

    [Fact]
    public async Task Approve_Twice_IsConflictNamingTheState()
    {
        var (merchant, requestId) = await scenario.CreatePendingAsync();
        await Decide(merchant, requestId, "approve");

        var again = await Decide(merchant, requestId, "approve");

        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await again.Content.ReadAsStringAsync()).Should().Contain("cannot approve a subscription that is ACTIVE");
    }

    [Fact]
    public async Task Approve_AfterTheExpiryTime_IsRefusedAndTheRequestEnds()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());
        var expiry = factory.Time.GetUtcNow().AddMinutes(5);
        body["subscriptionExpiryTime"] = expiry.ToString("yyyy-MM-dd'T'HH:mm:sszzz");
        await client.CallAsync(merchant, "create", body);
        var requestId = (string)body["subscriptionRequestId"]!;
        var beforeExpiry = await client.Http.GetAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions?subscriptionRequestId={requestId}");

        factory.Time.SetUtcNow(expiry.AddSeconds(1));
        var tooLate = await Decide(merchant, requestId, "approve");
        var after = await scenario.GetByRequestIdAsync(merchant, requestId);

        (await beforeExpiry.Content.ReadAsStringAsync()).Should().Contain("AWAITING_AUTHORIZATION");
        tooLate.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await tooLate.Content.ReadAsStringAsync()).Should().Contain("the authorization window closed at");
        ((string)after["status"]!).Should().Be("TERMINATED");
        after["timeline"]!.ToJsonString().Should().Contain("ExpireAuthorization");
    }

    [Fact]
    public async Task Approve_UnknownRequest_Is404()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);

        var response = await Decide(merchant, "no-such-request", "approve");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Change_Active_Succeeds_AndTheNewAmountIsStored()
    {
        var (merchant, subscriptionId) = await scenario.CreateActiveAsync();

        var reply = await client.CallAsync(merchant, "change", Bodies.Change(subscriptionId));
        var subscription = await scenario.GetAsync(merchant, subscriptionId);

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        reply.Json.Select(p => p.Key).Should().Equal("result");
        ((string)subscription["status"]!).Should().Be("ACTIVE");
        ((string)subscription["paymentAmount"]!["value"]!).Should().Be("29900");
    }

    /// <summary>
    /// A request the buyer has not authorized has no subscription id the merchant can know (notifySubscription CREATE
    /// gives it): change, update and cancel by that id find nothing, as inquireSubscription does, and change nothing.
    /// </summary>
    [Theory]
    [InlineData("change")]
    [InlineData("update")]
    [InlineData("cancel")]
    public async Task ChangeUpdateOrCancel_ByTheIdOfAPendingRequest_IsSubscriptionNotExist(string api)
    {
        var (merchant, requestId) = await scenario.CreatePendingAsync();
        var subscriptionId = (string)(await scenario.GetByRequestIdAsync(merchant, requestId))["subscriptionId"]!;
        var body = api switch
        {
            "change" => Bodies.Change(subscriptionId),
            "update" => new JsonObject { ["subscriptionUpdateRequestId"] = "upd-" + requestId, ["subscriptionId"] = subscriptionId, ["subscriptionDescription"] = "Gold" },
            _ => Bodies.Cancel(subscriptionId),
        };

        var reply = await client.CallAsync(merchant, api, body);
        var inquiry = await client.CallAsync(merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = subscriptionId });
        var approve = await Decide(merchant, requestId, "approve");
        var after = await scenario.GetByRequestIdAsync(merchant, requestId);

        (reply.ResultCode, reply.ResultStatus).Should().Be(("SUBSCRIPTION_NOT_EXIST", "F"));
        reply.ResultMessage.Should().Be(inquiry.ResultMessage, "the same answer as inquireSubscription's");
        approve.StatusCode.Should().Be(HttpStatusCode.OK, "the request still awaits the buyer");
        ((string)after["status"]!).Should().Be("ACTIVE");
        ((string)after["description"]!).Should().NotBe("Gold");
    }

    [Theory]
    [InlineData("CANCEL", "CANCELLED")]
    [InlineData("TERMINATE", "TERMINATED")]
    public async Task Change_AfterCancellation_IsProcessFailNamingTheState(string cancellationType, string state)
    {
        var (merchant, subscriptionId) = await scenario.CreateActiveAsync();
        await client.CallAsync(merchant, "cancel", Bodies.Cancel(subscriptionId, cancellationType));

        var reply = await client.CallAsync(merchant, "change", Bodies.Change(subscriptionId));

        reply.ResultCode.Should().Be("PROCESS_FAIL");
        reply.ResultMessage.Should().Contain(state);
    }

    [Theory]
    [InlineData(null, -40, "subscriptionStartTime: may lie in the past by less than one billing period (every month)")]
    [InlineData("WEEK", -10, "subscriptionStartTime: may lie in the past by less than one billing period (every week)")]
    [InlineData(null, -10, null)]
    public async Task Change_StartInThePast_MayLieLessThanOnePeriodBack_AsOnCreate(string? periodType, int days, string? refusal)
    {
        // An earlier start would charge every period since at once. The subscription began 20 days ago (the short-trial
        // technique), so a start 10 days back does not come before the phase it paid (refused otherwise).
        var (merchant, subscriptionId) = await scenario.CreateActiveAsync(start: scenario.Now.AddDays(-20));
        var change = Bodies.Change(subscriptionId);
        change["subscriptionStartTime"] = scenario.Now.AddDays(days).ToString("yyyy-MM-dd'T'HH:mm:sszzz");
        if (periodType is not null)
        {
            change["periodRule"] = new JsonObject { ["periodType"] = periodType, ["periodCount"] = 1 };
        }

        var reply = await client.CallAsync(merchant, "change", change);
        var subscription = await scenario.GetAsync(merchant, subscriptionId);

        if (refusal is null)
        {
            reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
            ((string)subscription["paymentAmount"]!["value"]!).Should().Be("29900");
        }
        else
        {
            reply.ResultCode.Should().Be("PARAM_ILLEGAL");
            reply.ResultMessage.Should().Contain(refusal);
            ((string)subscription["paymentAmount"]!["value"]!).Should().Be("19900", "a refused change changes nothing");
            var again = await client.CallAsync(merchant, "change", Bodies.Change(subscriptionId, (string)change["subscriptionChangeRequestId"]!));
            again.ResultCode.Should().Be("SUCCESS", "a refused request id is not kept: the corrected request may reuse it");
        }
    }

    [Fact]
    public async Task Approve_ChargesPhaseOneWithTheApproval_SoACancelRightAfterItCannotComeBetween()
    {
        // The merchant's time machine is busy (a notification held by the receiver), so the approve call waits for its
        // turn to deliver; a cancel sent meanwhile must find phase 1 already charged.
        var start = new DateTimeOffset(2027, 6, 1, 0, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        var busyRequest = await m.CreateAsync(MerchantHarness.Body(start));
        var laterRequest = await m.CreateAsync(MerchantHarness.Body(start));
        var (arrived, release) = m.HoldAnswers();
        var busy = m.Http.PostAsync($"{m.Control}/subscription-requests/{busyRequest}/approve", null);
        await arrived.WaitAsync(TimeSpan.FromSeconds(30));

        var approve = m.Http.PostAsync($"{m.Control}/subscription-requests/{laterRequest}/approve", null);
        var subscriptionId = await ActiveIdAsync(m, laterRequest);
        var cancel = await client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId));
        release();
        await busy;
        await approve;
        var subscription = await scenario.GetAsync(m.Merchant, subscriptionId);

        cancel.ResultCode.Should().Be("SUCCESS");
        subscription["phases"]!.AsArray().Select(p => (int)p!["phaseNo"]!).Should().Equal([1], "phase 1 is charged with the approval, before the cancel");
    }

    /// <summary>The subscription id of a request once its approval is stored (the approve call itself may still be running).</summary>
    private static async Task<string> ActiveIdAsync(MerchantHarness m, string requestId)
    {
        for (var attempt = 0; attempt < 2_000; attempt++)
        {
            var found = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions?subscriptionRequestId={requestId}"))!.Single()!;
            if ((string)found["status"]! == "ACTIVE")
            {
                return (string)found["subscriptionId"]!;
            }

            await Task.Yield();
        }

        throw new TimeoutException($"request {requestId} was not approved");
    }

    [Fact]
    public async Task ApiCallJournal_RecordsEachCallsOwnResult_AReplayedOneToo()
    {
        var (merchant, subscriptionId) = await scenario.CreateActiveAsync();
        await client.CallAsync(merchant, "cancel", Bodies.Cancel(subscriptionId, "TERMINATE"));
        var change = Bodies.Change(subscriptionId);
        await client.CallAsync(merchant, "change", change);
        var replayed = await client.CallAsync(merchant, "change", change);

        var calls = await client.Http.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/api-calls");

        replayed.ResultCode.Should().Be("PROCESS_FAIL", "a repeated change gives the first answer");
        calls!.Select(c => $"{c!["api"]} {c["resultCode"]} {c["resultStatus"]}").Should().Equal(
            "create SUCCESS S", "cancel SUCCESS S", "change PROCESS_FAIL F", "change PROCESS_FAIL F");
    }

    [Fact]
    public async Task Cancel_Active_BecomesCancelled_AndCancellingAgainSucceedsWithoutChange()
    {
        var (merchant, subscriptionId) = await scenario.CreateActiveAsync();

        var first = await client.CallAsync(merchant, "cancel", Bodies.Cancel(subscriptionId, "CANCEL"));
        var second = await client.CallAsync(merchant, "cancel", Bodies.Cancel(subscriptionId, "CANCEL"));
        var subscription = await scenario.GetAsync(merchant, subscriptionId);

        first.ResultCode.Should().Be("SUCCESS");
        second.ResultCode.Should().Be("SUCCESS");
        ((string)subscription["status"]!).Should().Be("CANCELLED");
        subscription["timeline"]!.AsArray().Count(e => ((string)e!["detail"]!).Contains("→ CANCELLED")).Should().Be(1);
    }

    [Fact]
    public async Task Terminate_Cancelled_BecomesTerminated_AndTerminatingAgainSucceeds()
    {
        var (merchant, subscriptionId) = await scenario.CreateActiveAsync();
        await client.CallAsync(merchant, "cancel", Bodies.Cancel(subscriptionId, "CANCEL"));

        var terminate = await client.CallAsync(merchant, "cancel", Bodies.Cancel(subscriptionId, "TERMINATE"));
        var again = await client.CallAsync(merchant, "cancel", Bodies.Cancel(subscriptionId, "TERMINATE"));

        terminate.ResultCode.Should().Be("SUCCESS");
        again.ResultCode.Should().Be("SUCCESS");
        (await scenario.StatusAsync(merchant, subscriptionId)).Should().Be("TERMINATED");
    }

    [Fact]
    public async Task Cancel_Terminated_IsProcessFail()
    {
        var (merchant, subscriptionId) = await scenario.CreateActiveAsync();
        await client.CallAsync(merchant, "cancel", Bodies.Cancel(subscriptionId, "TERMINATE"));

        var reply = await client.CallAsync(merchant, "cancel", Bodies.Cancel(subscriptionId, "CANCEL"));

        reply.ResultCode.Should().Be("PROCESS_FAIL");
        reply.ResultMessage.Should().Contain("TERMINATED");
    }

    [Theory]
    [InlineData("CANCEL")]
    [InlineData("TERMINATE")]
    public async Task Cancel_PendingRequestBySubscriptionRequestId_EndsItTerminated(string cancellationType)
    {
        var (merchant, requestId) = await scenario.CreatePendingAsync();

        var reply = await client.CallAsync(merchant, "cancel", new JsonObject { ["subscriptionRequestId"] = requestId, ["cancellationType"] = cancellationType });
        var approve = await Decide(merchant, requestId, "approve");

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        ((string)(await scenario.GetByRequestIdAsync(merchant, requestId))["status"]!).Should().Be("TERMINATED");
        approve.StatusCode.Should().Be(HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("change")]
    [InlineData("cancel")]
    public async Task ChangeOrCancel_UnknownSubscription_IsSubscriptionNotExist(string api)
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var id = "20260301190000000000000000000099999";

        var reply = await client.CallAsync(merchant, api, api == "change" ? Bodies.Change(id) : Bodies.Cancel(id));

        reply.ResultCode.Should().Be("SUBSCRIPTION_NOT_EXIST");
        reply.ResultStatus.Should().Be("F");
    }

    [Theory]
    [InlineData("change")]
    [InlineData("cancel")]
    public async Task ChangeOrCancel_AnotherMerchantsSubscription_IsSubscriptionNotExistAndChangesNothing(string api)
    {
        var (owner, subscriptionId) = await scenario.CreateActiveAsync();
        var stranger = await TestMerchant.CreateAsync(client.Http);

        var reply = await client.CallAsync(stranger, api, api == "change" ? Bodies.Change(subscriptionId) : Bodies.Cancel(subscriptionId, "TERMINATE"));
        var subscription = await scenario.GetAsync(owner, subscriptionId);
        var seenByStranger = await client.Http.GetAsync($"/_emulator/v1/merchants/{stranger.ClientId}/subscriptions/{subscriptionId}");

        reply.ResultCode.Should().Be("SUBSCRIPTION_NOT_EXIST");
        reply.ResultMessage.Should().Be($"no subscription '{subscriptionId}' exists for this client id");
        ((string)subscription["status"]!).Should().Be("ACTIVE");
        ((string)subscription["paymentAmount"]!["value"]!).Should().Be("19900");
        seenByStranger.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Timeline_OfACallAnsweredUByAnAppliedFault_SaysWhatHappenedAndWhatTheCallerSaw()
    {
        var (merchant, subscriptionId) = await scenario.CreateActiveAsync();
        var change = Bodies.Change(subscriptionId);
        (await client.Http.PostAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}/faults", new { target = "change", resultCode = "UNKNOWN_EXCEPTION", effect = "applied" })).EnsureSuccessStatusCode();

        var seen = await client.CallAsync(merchant, "change", change);
        var retried = await client.CallAsync(merchant, "change", change);
        var timeline = (await scenario.GetAsync(merchant, subscriptionId))["timeline"]!.AsArray().Select(e => (string)e!["detail"]!).ToList();

        seen.ResultStatus.Should().Be("U");
        retried.ResultCode.Should().Be("SUCCESS", "the change took place; its retry gets the first answer");
        timeline.Should().ContainSingle(d => d.StartsWith("change ", StringComparison.Ordinal))
            .Which.Should().EndWith("→ SUCCESS, answered UNKNOWN_EXCEPTION by a fault (effect applied)");
    }

    [Fact]
    public async Task Timeline_OfACallAnsweredWithHttp500ByAnAppliedFault_SaysWhatHappenedAndWhatTheCallerSaw()
    {
        var (merchant, subscriptionId) = await scenario.CreateActiveAsync();
        (await client.Http.PostAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}/faults", new { target = "cancel", transport = "http500", effect = "applied" })).EnsureSuccessStatusCode();

        var seen = await client.CallAsync(merchant, "cancel", Bodies.Cancel(subscriptionId));
        var timeline = (await scenario.GetAsync(merchant, subscriptionId))["timeline"]!.AsArray().Select(e => (string)e!["detail"]!).ToList();

        seen.Status.Should().Be(HttpStatusCode.InternalServerError);
        timeline.Should().ContainSingle(d => d.StartsWith("cancel ", StringComparison.Ordinal))
            .Which.Should().EndWith("→ SUCCESS, answered TRANSPORT_HTTP500 by a fault (effect applied)");
    }

    [Fact]
    public async Task Timeline_OfCallsRefusedBeforeTheyReachedTheSubscription_ListsEachOnceWithWhy()
    {
        var (merchant, subscriptionId) = await scenario.CreateActiveAsync();
        var faults = $"/_emulator/v1/merchants/{merchant.ClientId}/faults";
        (await client.Http.PostAsJsonAsync(faults, new { target = "change", resultCode = "RISK_REJECT" })).EnsureSuccessStatusCode();
        (await client.Http.PostAsJsonAsync(faults, new { target = "cancel", transport = "http500" })).EnsureSuccessStatusCode();
        var rejected = Bodies.Change(subscriptionId, "chg-rejected");
        var broken = Bodies.Change(subscriptionId, "chg-broken");
        broken["paymentAmount"]!["value"] = "12.5";
        var accepted = Bodies.Change(subscriptionId, "chg-accepted");

        var risk = await client.CallAsync(merchant, "change", rejected);
        var illegal = await client.CallAsync(merchant, "change", broken);
        var lost = await client.CallAsync(merchant, "cancel", Bodies.Cancel(subscriptionId));
        var success = await client.CallAsync(merchant, "change", accepted);
        var replay = await client.CallAsync(merchant, "change", accepted);
        var stranger = await TestMerchant.CreateAsync(client.Http);
        (await client.CallAsync(stranger, "change", Bodies.Change(subscriptionId, "chg-stranger"))).ResultCode.Should().Be("SUBSCRIPTION_NOT_EXIST");
        var timeline = (await scenario.GetAsync(merchant, subscriptionId))["timeline"]!.AsArray().Select(e => (string)e!["detail"]!).ToList();

        (risk.ResultCode, illegal.ResultCode, lost.Status, success.ResultCode, replay.ResultCode)
            .Should().Be(("RISK_REJECT", "PARAM_ILLEGAL", HttpStatusCode.InternalServerError, "SUCCESS", "SUCCESS"));
        timeline.Where(d => d.StartsWith("change ", StringComparison.Ordinal) || d.StartsWith("cancel ", StringComparison.Ordinal)).Should().SatisfyRespectively(
            d => d.Should().StartWith("change chg-rejected → RISK_REJECT by a fault, refused before it reached the subscription: "),
            d => d.Should().StartWith("change chg-broken → PARAM_ILLEGAL, refused before it reached the subscription: paymentAmount.value"),
            d => d.Should().StartWith($"cancel {subscriptionId} → TRANSPORT_HTTP500 by a fault, refused before it reached the subscription: "),
            d => d.Should().Be("change chg-accepted → SUCCESS", "a call that reached the subscription is listed once, and its replay not again"));
        timeline.Should().NotContain(d => d.Contains("chg-stranger", StringComparison.Ordinal), "another merchant's call does not reach this timeline");
    }

    [Fact]
    public async Task Timeline_OfARefusedCall_IsOnlyThatOfTheSubscriptionItsApiNames()
    {
        // Found by the wire fuzz: a refused create carrying a subscriptionId member (which create does not read) was
        // put in that subscription's timeline, and journalled as a call about it.
        var (merchant, subscriptionId) = await scenario.CreateActiveAsync();
        var subscriptionRequestId = (string)(await scenario.GetAsync(merchant, subscriptionId))["subscriptionRequestId"]!;
        var create = Bodies.Create(factory.Time.GetUtcNow(), "create-stray");
        create["subscriptionId"] = subscriptionId;
        create["periodRule"]!["periodType"] = "MONTHLY";
        var change = Bodies.Change(subscriptionId, "chg-stray");
        change.Remove("subscriptionId");
        change["subscriptionRequestId"] = subscriptionRequestId;
        var refund = Bodies.Refund("20260301110000000000000000000000001", "0", "rfd-stray");
        refund["subscriptionId"] = subscriptionId;

        var replies = new[]
        {
            await client.CallAsync(merchant, "create", create),
            await client.CallAsync(merchant, "change", change),
            await client.CallAsync(merchant, "refund", refund),
        };
        var timeline = (await scenario.GetAsync(merchant, subscriptionId))["timeline"]!.AsArray().Select(e => (string)e!["detail"]!).ToList();
        var journal = (await client.Http.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/api-calls"))!
            .Where(c => ((string?)c!["requestId"])?.Contains("stray", StringComparison.Ordinal) == true).ToList();

        replies.Select(r => r.ResultCode).Should().AllBe("PARAM_ILLEGAL");
        timeline.Should().NotContain(d => d.Contains("stray", StringComparison.Ordinal), "none of these calls names the subscription by a field its API reads");
        journal.Select(c => (string?)c!["requestId"]).Should().Equal("create-stray", "chg-stray", "rfd-stray");
        journal.Should().OnlyContain(c => c!["subscriptionId"] == null, "the journal ties none of them to the subscription");
    }

    [Fact]
    public async Task Timeline_RecordsStateChangesAndApiCallsWithTimes()
    {
        var (merchant, subscriptionId) = await scenario.CreateActiveAsync();
        await client.CallAsync(merchant, "change", Bodies.Change(subscriptionId));
        await client.CallAsync(merchant, "cancel", Bodies.Cancel(subscriptionId));

        var all = (await scenario.GetAsync(merchant, subscriptionId))["timeline"]!.AsArray();
        var timeline = all.Where(e => (string)e!["type"]! != "notification").ToList();

        all.Select(e => (string)e!["detail"]!).Should().ContainMatch("notifySubscription ntf_* attempt 1: unreachable")
            .And.ContainMatch("notifyPayment ntf_* attempt 1: unreachable");
        timeline.Select(e => (string)e!["type"]!).Should().Equal("stateChanged", "apiCall", "stateChanged", "deduction", "stateChanged", "planChanged", "apiCall", "stateChanged", "apiCall");
        timeline.Select(e => (string)e!["detail"]!).Should().ContainMatch("AWAITING_AUTHORIZATION → ACTIVE*")
            .And.ContainMatch("change * → SUCCESS").And.ContainMatch("ACTIVE → CANCELLED*");
        timeline.Should().OnlyContain(e => DateTimeOffset.Parse((string)e!["at"]!) >= EmulatorFactory.Start);
    }

    [Fact]
    public async Task SubscriptionIds_Are35DigitsStartingWithTheDate_AndUnique()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        for (var i = 0; i < 30; i++)
        {
            await client.CallAsync(merchant, "create", Bodies.Create(factory.Time.GetUtcNow()));
        }

        var ids = (await client.Http.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions"))!
            .Select(s => (string)s!["subscriptionId"]!).ToList();

        ids.Should().HaveCount(30).And.OnlyHaveUniqueItems();
        ids.Should().AllSatisfy(id => id.Should().MatchRegex("^[0-9A-Z]{35}$").And.StartWith(factory.Time.GetUtcNow().ToString("yyyyMMdd")));
    }

    private Task<HttpResponseMessage> Decide(TestMerchant merchant, string requestId, string decision) =>
        client.Http.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscription-requests/{requestId}/{decision}", null);
}
