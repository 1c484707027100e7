using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Protocol;

/// <summary>
/// inquireSubscription, inquireSubscriptionList and inquireSubscriptionPayment over the wire (SPEC §3.6–3.8, §2.9,
/// §2.10): signed, the subscriptions and their payments as the merchant's clock sees them.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class InquiryTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Start = new(2027, 3, 10, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Inquire_ActiveSubscription_DescribesItsCurrentPeriod()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var body = MerchantHarness.Body(Start);
        var subscriptionId = await m.CreateAndApproveAsync(body);
        await m.AdvanceAsync("P1MT2H");

        var reply = await m.Client.CallAsync(m.Merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = subscriptionId });
        var info = reply.Json["subscription"]!.AsObject();

        reply.SignatureValid.Should().BeTrue();
        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        ((string)info["subscriptionId"]!).Should().Be(subscriptionId);
        ((string)info["subscriptionRequestId"]!).Should().Be((string)body["subscriptionRequestId"]!);
        ((string)info["status"]!).Should().Be("ACTIVE");
        ((string)info["subscriptionStartTime"]!).Should().Be("2027-03-10T08:00:00+00:00");
        info.ContainsKey("subscriptionEndTime").Should().BeFalse("it renews until cancelled");
        info["currentPhaseNo"]!.GetValueKind().Should().Be(JsonValueKind.Number, "the SDK models parse it as a number");
        ((int)info["currentPhaseNo"]!).Should().Be(2);
        ((string)info["currentPeriodStart"]!).Should().Be("2027-04-10T08:00:00+00:00");
        ((string)info["currentPeriodEnd"]!).Should().Be("2027-05-10T08:00:00+00:00");
        ((int)info["periodRule"]!["periodCount"]!).Should().Be(1);
        ((string)info["periodRule"]!["periodType"]!).Should().Be("MONTH");
        ((string)info["periodType"]!).Should().Be("MONTH", "the SDK models also declare the period at the top level (SPEC §2.9)");
        info["periodCount"]!.GetValueKind().Should().Be(JsonValueKind.Number);
        ((int)info["periodCount"]!).Should().Be(1);
        ((string)info["description"]!).Should().Be((string)body["subscriptionDescription"]!).And.Be((string)info["subscriptionDescription"]!);
        ((string)info["subscriptionNotifyUrl"]!).Should().Be(m.Receiver.SubscriptionUrl, "the merchant's default, as the create omitted it");
        ((string)info["paymentAmount"]!["value"]!).Should().Be((string)body["paymentAmount"]!["value"]!);
        ((string)info["paymentMethod"]!["paymentMethodType"]!).Should().Be((string)body["paymentMethod"]!["paymentMethodType"]!);
        DateTimeOffset.Parse((string)info["lastUpdateTime"]!, CultureInfo.InvariantCulture).Should().Be(Start, "the approval was its last change: deductions are payments, listed by inquireSubscriptionPayment");
    }

    [Theory]
    [InlineData("CANCEL", "CANCELLED", true)]
    [InlineData("TERMINATE", "TERMINATED", false)]
    public async Task Inquire_AfterCancel_SaysItsStatus(string type, string status, bool hasCurrentPeriod)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId, type));

        var info = (await m.Client.CallAsync(m.Merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = subscriptionId })).Json["subscription"]!.AsObject();

        ((string)info["status"]!).Should().Be(status);
        info.ContainsKey("currentPhaseNo").Should().Be(hasCurrentPeriod, "a cancelled subscription serves its paid period; a terminated one has none");
    }

    [Fact]
    public async Task Inquire_UnknownAwaitingOrOtherMerchantsSubscription_DoesNotExist()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await using var other = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var othersId = await other.CreateAndApproveAsync(MerchantHarness.Body(Start));
        var requestId = await m.CreateAsync(MerchantHarness.Body(Start));
        var awaiting = (string)(await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions?subscriptionRequestId={requestId}"))!.Single()!["subscriptionId"]!;

        foreach (var id in new[] { "20270310NOSUCHSUBSCRIPTION000000000", awaiting, othersId })
        {
            var reply = await m.Client.CallAsync(m.Merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = id });

            reply.ResultCode.Should().Be("SUBSCRIPTION_NOT_EXIST", id);
            reply.ResultStatus.Should().Be("F");
            reply.Json.ContainsKey("subscription").Should().BeFalse();
        }
    }

    [Fact]
    public async Task Inquire_WithoutSubscriptionId_IsParamIllegalNamingIt()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var reply = await m.Client.CallAsync(m.Merchant, "inquireSubscription", new JsonObject { ["merchantAccountId"] = "M1" });

        reply.ResultCode.Should().Be("PARAM_ILLEGAL");
        reply.ResultMessage.Should().Contain("subscriptionId");
    }

    [Fact]
    public async Task InquirePayments_ListsEachDeductedPhase_FilteredAndPaged()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", match = new { phaseNo = 2 } })).EnsureSuccessStatusCode();
        await m.AdvanceAsync("P2M");
        async Task<JsonObject> InquireAsync(JsonObject body)
        {
            body["subscriptionId"] = subscriptionId;
            var reply = await m.Client.CallAsync(m.Merchant, "inquireSubscriptionPayment", body);
            reply.SignatureValid.Should().BeTrue();
            reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
            return reply.Json;
        }

        var all = await InquireAsync([]);
        var failed = await InquireAsync(new JsonObject { ["paymentStatuses"] = new JsonArray("FAIL") });
        var secondPage = await InquireAsync(new JsonObject { ["pageSize"] = 2, ["currentPage"] = "2" });

        var payments = all["payments"]!.AsArray();
        payments.Select(p => (int)p!["phaseNo"]!).Should().Equal(1, 2, 3);
        payments.Select(p => (string)p!["status"]!).Should().Equal("SUCCESS", "FAIL", "SUCCESS");
        payments[0]!["phaseNo"]!.GetValueKind().Should().Be(JsonValueKind.Number);
        payments[1]!.AsObject().ContainsKey("paymentTime").Should().BeFalse("a failed payment never reached success");
        ((string)payments[0]!["paymentTime"]!).Should().Be("2027-03-10T08:00:00+00:00");
        var notified = m.Payments(subscriptionId).Select(p => (string)p.Json["paymentId"]!);
        payments.Select(p => (string)p!["paymentId"]!).Should().Equal(notified, "the ids of the notifyPayment sent for each phase");
        all["paginator"]!.ToJsonString().Should().Be("""{"currentPage":1,"pageSize":10,"totalPage":1,"totalCount":3}""");
        failed["payments"]!.AsArray().Select(p => (int)p!["phaseNo"]!).Should().Equal(2);
        secondPage["payments"]!.AsArray().Select(p => (int)p!["phaseNo"]!).Should().Equal(3);
        secondPage["paginator"]!.ToJsonString().Should().Be("""{"currentPage":2,"pageSize":2,"totalPage":2,"totalCount":3}""");
    }

    [Fact]
    public async Task InquirePayments_OfAnUnknownSubscription_IsAnEmptyList()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var reply = await m.Client.CallAsync(m.Merchant, "inquireSubscriptionPayment", new JsonObject { ["subscriptionId"] = "20270310NOSUCHSUBSCRIPTION000000000" });

        reply.ResultCode.Should().Be("SUCCESS");
        reply.Json["payments"]!.AsArray().Should().BeEmpty();
        ((int)reply.Json["paginator"]!["totalCount"]!).Should().Be(0);
    }

    [Theory]
    [InlineData("""{"subscriptionId":"S","pageSize":11}""", "pageSize: must be from 1 to 10")]
    [InlineData("""{"subscriptionId":"S","currentPage":0}""", "currentPage: must be at least 1")]
    [InlineData("""{"subscriptionId":"S","paymentStatuses":["PENDING"]}""", "paymentStatuses[0]: must be one of SUCCESS, FAIL")]
    [InlineData("""{"subscriptionId":"S","paymentStatuses":["SUCCESS","FAIL","SUCCESS","FAIL"]}""", "paymentStatuses: must have at most 3 elements")]
    [InlineData("""{"pageSize":1}""", "subscriptionId")]
    [InlineData("""{"subscriptionId":"S","pageSize":2147483648}""", "pageSize: must be an integer from 1 to 10")]
    [InlineData("""{"subscriptionId":"S","paymentStatuses":[null]}""", "(got null)")]
    public async Task InquirePayments_BadField_IsParamIllegalNamingIt(string body, string message)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var reply = await m.Client.CallAsync(m.Merchant, "inquireSubscriptionPayment", JsonNode.Parse(body)!);

        reply.ResultCode.Should().Be("PARAM_ILLEGAL");
        reply.ResultMessage.Should().Contain(message);
    }

    [Fact]
    public async Task Inquire_AfterAChangeToALaterStart_StillDescribesThePeriodBeingServed()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        await m.AdvanceAsync("P5D");
        var change = Bodies.Change(subscriptionId);
        change["subscriptionStartTime"] = Start.AddMonths(3).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
        var changed = await m.Client.CallAsync(m.Merchant, "change", change);
        changed.ResultCode.Should().Be("SUCCESS", changed.ResultMessage);
        await m.AdvanceAsync("P5D");

        var info = (await m.Client.CallAsync(m.Merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = subscriptionId })).Json["subscription"]!.AsObject();

        ((int)info["currentPhaseNo"]!).Should().Be(1);
        ((string)info["currentPeriodStart"]!).Should().Be("2027-03-10T08:00:00+00:00", "phase 1, charged at the approval, is the period being served");
        ((string)info["currentPeriodEnd"]!).Should().Be("2027-04-10T08:00:00+00:00");
        DateTimeOffset.Parse((string)info["lastUpdateTime"]!, CultureInfo.InvariantCulture).Should().Be(Start.AddDays(5), "the change");
    }

    [Fact]
    public async Task Inquire_LastUpdateTime_IsTheLastStateChange_NotARefusedOrRepeatedCall()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        await m.AdvanceAsync("P1D");
        await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId));
        await m.AdvanceAsync("P1D");
        (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId))).ResultCode.Should().Be("SUCCESS", "cancelling again succeeds without effect");
        (await m.Client.CallAsync(m.Merchant, "change", Bodies.Change(subscriptionId))).ResultCode.Should().Be("PROCESS_FAIL");

        var info = (await m.Client.CallAsync(m.Merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = subscriptionId })).Json["subscription"]!.AsObject();

        DateTimeOffset.Parse((string)info["lastUpdateTime"]!, CultureInfo.InvariantCulture).Should().Be(Start.AddDays(1), "the cancel; neither the repeat nor the refused change changed anything");
        DateTimeOffset.Parse((string)info["subscriptionExpiryTime"]!, CultureInfo.InvariantCulture).Should().Be(Start.AddMinutes(30), "the authorization window of the request (SPEC §10)");
    }

    [Fact]
    public async Task Inquire_SubscriptionWithATrial_ListsIt()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var body = MerchantHarness.Body(Start);
        body["trials"] = new JsonArray(new JsonObject { ["trialStartPeriod"] = 1, ["trialEndPeriod"] = 1, ["trialAmount"] = new JsonObject { ["currency"] = "PHP", ["value"] = "0" } });
        var subscriptionId = await m.CreateAndApproveAsync(body);

        var info = (await m.Client.CallAsync(m.Merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = subscriptionId })).Json["subscription"]!.AsObject();

        info["trials"]!.ToJsonString().Should().Be("""[{"trialStartPeriod":1,"trialEndPeriod":1,"trialAmount":{"currency":"PHP","value":"0"}}]""");
    }

    [Fact]
    public async Task InquireList_ListsTheWindowsSubscriptions_FilteredAndPaged()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await using var other = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        await other.CreateAndApproveAsync(MerchantHarness.Body(Start));
        var active = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        var cancelled = await m.CreateAndApproveAsync(MerchantHarness.Body(Start, "USD", "1000"));
        var weekly = MerchantHarness.Body(Start);
        weekly["periodRule"] = new JsonObject { ["periodType"] = "WEEK", ["periodCount"] = 1 };
        var terminated = await m.CreateAndApproveAsync(weekly);
        var awaitingRequest = await m.CreateAsync(MerchantHarness.Body(Start));
        var later = await m.CreateAndApproveAsync(MerchantHarness.Body(Start.AddDays(10)));
        (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(cancelled))).ResultCode.Should().Be("SUCCESS");
        (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(terminated, "TERMINATE"))).ResultCode.Should().Be("SUCCESS");
        var change = Bodies.Change(active);
        change["subscriptionStartTime"] = Start.AddMonths(1).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
        (await m.Client.CallAsync(m.Merchant, "change", change)).ResultCode.Should().Be("SUCCESS");
        async Task<JsonObject> ListAsync(JsonObject body)
        {
            var reply = await m.Client.CallAsync(m.Merchant, "inquireSubscriptionList", body);
            reply.SignatureValid.Should().BeTrue();
            reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
            return reply.Json;
        }

        IEnumerable<string> Ids(JsonObject answer) => answer["subscriptions"]!.AsArray().Select(s => (string)s!["subscriptionId"]!);
        Ids(await ListAsync([])).Should().Equal([active, cancelled, terminated], "the awaiting request is not known to the merchant yet");
        await m.AdvanceAsync("P1D");
        var expired = (string)(await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions?subscriptionRequestId={awaitingRequest}"))!.Single()!["subscriptionId"]!;
        var window = await ListAsync([]);

        Ids(window).Should().Equal([active, cancelled, terminated, expired], "the last 7 days of initial start times, by default; the later start and the other merchant's are not listed, the expired request is TERMINATED");
        var first = window["subscriptions"]![0]!.AsObject();
        ((string)first["status"]!).Should().Be("ACTIVE");
        ((string)first["subscriptionStartTime"]!).Should().Be("2027-04-10T08:00:00+00:00", "the changed start is shown; the initial one is what the window filters on");
        first["currentPhaseNo"]!.GetValueKind().Should().Be(JsonValueKind.Number);
        window["subscriptions"]!.AsArray().Select(s => (string)s!["status"]!).Should().Equal("ACTIVE", "CANCELLED", "TERMINATED", "TERMINATED");
        window["paginator"]!.ToJsonString().Should().Be("""{"currentPage":1,"pageSize":10,"totalPage":1,"totalCount":4}""");
        Ids(await ListAsync(new JsonObject { ["statuses"] = new JsonArray("CANCELLED", "TERMINATED") })).Should().Equal(cancelled, terminated, expired);
        Ids(await ListAsync(new JsonObject { ["currencies"] = new JsonArray("USD") })).Should().Equal(cancelled);
        Ids(await ListAsync(new JsonObject { ["periodTypes"] = new JsonArray("WEEK") })).Should().Equal(terminated);
        Ids(await ListAsync(new JsonObject { ["periodTypes"] = new JsonArray("MONTH"), ["currencies"] = new JsonArray("PHP"), ["statuses"] = new JsonArray("ACTIVE") })).Should().Equal(active);
        Ids(await ListAsync(new JsonObject { ["paymentMethodTypes"] = new JsonArray("KAKAOPAY") })).Should().BeEmpty();
        var secondPage = await ListAsync(new JsonObject { ["pageSize"] = 3, ["currentPage"] = 2 });
        Ids(secondPage).Should().Equal(expired);
        secondPage["paginator"]!.ToJsonString().Should().Be("""{"currentPage":2,"pageSize":3,"totalPage":2,"totalCount":4}""");
        Ids(await ListAsync(new JsonObject { ["startTimeFrom"] = "2027-03-15T00:00:00+00:00", ["startTimeTo"] = "2027-03-31T00:00:00+00:00" })).Should().Equal(later);
        await m.AdvanceAsync("P8D");
        Ids(await ListAsync([])).Should().BeEmpty("the window's 7 days have passed the first three's start");
    }

    [Theory]
    [InlineData("""{"pageSize":101}""", "pageSize: must be from 1 to 100")]
    [InlineData("""{"currentPage":0}""", "currentPage: must be at least 1")]
    [InlineData("""{"statuses":["AWAITING_AUTHORIZATION"]}""", "statuses[0]: must be one of ACTIVE, CANCELLED, TERMINATED")]
    [InlineData("""{"statuses":["ACTIVE","CANCELLED","TERMINATED","ACTIVE"]}""", "statuses: must have at most 3 elements")]
    [InlineData("""{"periodTypes":["DAY","WEEK","MONTH","YEAR","DAY"]}""", "periodTypes: must have at most 4 elements")]
    [InlineData("""{"periodTypes":["QUARTER"]}""", "periodTypes[0]: must be one of DAY, WEEK, MONTH, YEAR")]
    [InlineData("""{"currencies":["USDX"]}""", "currencies[0]: must be a string of 1 to 3 characters")]
    [InlineData("""{"paymentMethodTypes":"GCASH"}""", "paymentMethodTypes: must be an array, not a string")]
    [InlineData("""{"startTimeFrom":"2027-03-10"}""", "startTimeFrom: must be an ISO-8601 date-time with offset")]
    [InlineData("""{"startTimeFrom":"0001-01-01T00:00:00+01:00"}""", "startTimeFrom: must be an ISO-8601 date-time with offset that exists, its instant in UTC within the years 0001 to 9999")]
    [InlineData("""{"startTimeFrom":"2027-03-10T08:00:00.0000000000+00:00"}""", "startTimeFrom: must be at most 32 characters")]
    [InlineData("""{"startTimeFrom":"2027-03-12T00:00:00+00:00","startTimeTo":"2027-03-11T00:00:00+00:00"}""", "startTimeFrom: must not be after startTimeTo")]
    [InlineData("""{"startTimeTo":"2027-01-01T00:00:00+00:00"}""", "startTimeTo: must not be before startTimeFrom, which is 7 days before the request time when absent")]
    public async Task InquireList_BadField_IsParamIllegalNamingIt(string body, string message)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var reply = await m.Client.CallAsync(m.Merchant, "inquireSubscriptionList", JsonNode.Parse(body)!);

        reply.SignatureValid.Should().BeTrue();
        reply.ResultCode.Should().Be("PARAM_ILLEGAL");
        reply.ResultMessage.Should().Contain(message);
    }
}
