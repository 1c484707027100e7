using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Lifecycle;

/// <summary>
/// <c>payments/refund</c> and <c>payments/inquiryRefund</c> for period payments (SPEC §3.11, §4.8; docs/emulation.md "refund"),
/// signed on the wire: done when answered, partial and repeated up to the payment, within 12 months, idempotent.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class RefundTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Start = new(2027, 3, 1, 9, 0, 0, TimeSpan.FromHours(8));

    private static async Task<(MerchantHarness Harness, string SubscriptionId, string PaymentId)> PaidAsync(EmulatorFactory factory)
    {
        var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        var paymentId = (string)(await m.SubscriptionAsync(subscriptionId))["phases"]![0]!["paymentId"]!;
        return (m, subscriptionId, paymentId);
    }

    [Fact]
    public async Task Refund_AfterTerminate_RefundsThePayment_AndInquiryRefundFindsItByEitherId()
    {
        var (m, subscriptionId, paymentId) = await PaidAsync(factory);
        await using var harness = m;
        (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId, "TERMINATE"))).ResultCode.Should().Be("SUCCESS");
        var refund = Bodies.Refund(paymentId, "19900");
        refund["refundReason"] = "buyer complaint";

        var reply = await m.Client.CallAsync(m.Merchant, "refund", refund);
        var byRequestId = await m.Client.CallAsync(m.Merchant, "inquiryRefund", new JsonObject { ["refundRequestId"] = refund["refundRequestId"]!.DeepClone() });

        reply.SignatureValid.Should().BeTrue();
        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        var refundId = (string)reply.Json["refundId"]!;
        refundId.Should().MatchRegex("^[0-9]{35}$").And.StartWith("20270301");
        ((string)reply.Json["refundRequestId"]!).Should().Be((string)refund["refundRequestId"]!);
        ((string)reply.Json["paymentId"]!).Should().Be(paymentId);
        ((string)reply.Json["refundAmount"]!["value"]!).Should().Be("19900");
        ((string)reply.Json["refundTime"]!).Should().Be("2027-03-01T09:00:00+08:00", "the merchant's clock, in the plan's offset");
        var byRefundId = await m.Client.CallAsync(m.Merchant, "inquiryRefund", new JsonObject { ["refundId"] = refundId, ["refundRequestId"] = "not-this-one" });
        foreach (var inquiry in new[] { byRequestId, byRefundId })
        {
            inquiry.SignatureValid.Should().BeTrue();
            inquiry.ResultCode.Should().Be("SUCCESS", inquiry.ResultMessage);
            ((string)inquiry.Json["refundId"]!).Should().Be(refundId);
            ((string)inquiry.Json["refundStatus"]!).Should().Be("SUCCESS");
            ((string)inquiry.Json["refundAmount"]!["value"]!).Should().Be("19900");
            ((string)inquiry.Json["refundTime"]!).Should().Be("2027-03-01T09:00:00+08:00");
        }

        var view = await m.SubscriptionAsync(subscriptionId);
        var listed = ((JsonArray)view["refunds"]!).Should().ContainSingle().Subject!;
        ((string)listed["refundId"]!).Should().Be(refundId);
        ((string)listed["paymentId"]!).Should().Be(paymentId);
        ((string)listed["amount"]!["value"]!).Should().Be("19900");
        var page = await m.Http.GetStringAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}/subscriptions/{subscriptionId}");
        page.Should().Contain($"<div>199.00 PHP 2027-03-01 09:00:00 +08:00 <code>{refundId}</code></div>", "the dashboard shows the refund beside its phase");
        var timeline = ((JsonArray)view["timeline"]!).Select(e => (string)e!["detail"]!);
        timeline.Should().Contain($"refund {(string)refund["refundRequestId"]!} → SUCCESS: 19900 PHP of phase 1 ({paymentId}) refunded as {refundId}");
        m.Receiver.Received.Should().NotContain(r => r.Path.Contains("refund", StringComparison.OrdinalIgnoreCase), "Antom sends no notifyRefund for subscription refunds");
        var journal = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/api-calls"))!;
        var refundCall = journal.Single(c => (string)c!["api"]! == "refund")!;
        ((string)refundCall["requestId"]!).Should().Be((string)refund["refundRequestId"]!);
        ((string)refundCall["subscriptionId"]!).Should().Be(subscriptionId, "the journal names the subscription whose payment was refunded");
    }

    [Fact]
    public async Task Refund_InParts_UpToThePayment_ThenRefundAmountExceedSaysWhatIsLeft()
    {
        var (m, _, paymentId) = await PaidAsync(factory);
        await using var harness = m;

        var first = await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund(paymentId, "9900"));
        var tooMuch = await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund(paymentId, "10001"));
        var rest = await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund(paymentId, "10000"));
        var more = await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund(paymentId, "1"));

        first.ResultCode.Should().Be("SUCCESS");
        tooMuch.ResultCode.Should().Be("REFUND_AMOUNT_EXCEED");
        tooMuch.ResultStatus.Should().Be("F");
        tooMuch.ResultMessage.Should().Be("refundAmount 10001 PHP and the 9900 PHP refunded before (or being refunded) exceed the payment's 19900 PHP; at most 10000 PHP is left to refund");
        rest.ResultCode.Should().Be("SUCCESS");
        more.ResultCode.Should().Be("REFUND_AMOUNT_EXCEED");
        ((string?)tooMuch.Json["refundId"]).Should().BeNull("ids are given only with S");
    }

    [Fact]
    public async Task Refund_SameRequestIdAgain_ReplaysTheAnswer_AnotherAmountIsRepeatReqInconsistent()
    {
        var (m, _, paymentId) = await PaidAsync(factory);
        await using var harness = m;
        var refund = Bodies.Refund(paymentId, "19900");

        var first = await m.Client.CallAsync(m.Merchant, "refund", refund);
        var again = await m.Client.CallAsync(m.Merchant, "refund", refund);
        var other = await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund(paymentId, "100", (string)refund["refundRequestId"]!));

        first.ResultCode.Should().Be("SUCCESS");
        again.Text.Should().Be(first.Text, "a retry after a timeout must not refund twice");
        other.ResultCode.Should().Be("REPEAT_REQ_INCONSISTENT");
    }

    [Fact]
    public async Task Refund_TheSameRequestTwiceAtOnce_GetsOneAnswer_AndRefundsOnce()
    {
        var (m, subscriptionId, paymentId) = await PaidAsync(factory);
        await using var harness = m;
        var refund = Bodies.Refund(paymentId, "100");

        var replies = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => m.Client.CallAsync(m.Merchant, "refund", refund)));

        replies.Should().OnlyContain(r => r.ResultCode == "SUCCESS", "a double click or a retry racing its first call is answered as the first call was");
        replies.Select(r => r.Text).Distinct().Should().ContainSingle();
        ((JsonArray)(await m.SubscriptionAsync(subscriptionId))["timeline"]!).Count(e => ((string)e!["detail"]!).StartsWith("refund ", StringComparison.Ordinal)).Should().Be(1);
    }

    [Fact]
    public async Task Refund_OfAFailedPayment_InAnotherCurrency_OrAnUnknownOne_IsRefused()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", times = 1 })).EnsureSuccessStatusCode();
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Start));
        var failedPayment = (string)(await m.SubscriptionAsync(subscriptionId))["phases"]![0]!["paymentId"]!;
        await m.AdvanceAsync("P1M");
        var paidPayment = (string)(await m.SubscriptionAsync(subscriptionId))["phases"]![1]!["paymentId"]!;

        var ofFailed = await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund(failedPayment, "100"));
        var inUsd = await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund(paidPayment, "100", currency: "USD"));
        var ofUnknown = await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund("20270301110000000000000000000000009", "100"));
        var inquiryOfUnknown = await m.Client.CallAsync(m.Merchant, "inquiryRefund", new JsonObject { ["refundRequestId"] = "never-sent" });

        ofFailed.ResultCode.Should().Be("ORDER_STATUS_INVALID");
        ofFailed.ResultMessage.Should().Be($"payment '{failedPayment}' of phase 1 failed (USER_BALANCE_NOT_ENOUGH): there is nothing to refund");
        inUsd.ResultCode.Should().Be("CURRENCY_NOT_SUPPORT");
        inUsd.ResultMessage.Should().Be("refundAmount.currency must be PHP, the payment's currency (got USD)");
        ofUnknown.ResultCode.Should().Be("ORDER_NOT_EXIST");
        inquiryOfUnknown.ResultCode.Should().Be("ORDER_NOT_EXIST");
        inquiryOfUnknown.ResultMessage.Should().Be("no refund with refundRequestId 'never-sent' exists for this client id");
    }

    [Fact]
    public async Task Refund_OfAFreeTrialPeriod_SaysThereIsNothingToRefund()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var body = MerchantHarness.Body(Start);
        body["trials"] = new JsonArray(new JsonObject { ["trialStartPeriod"] = 1, ["trialAmount"] = Bodies.Amount("PHP", "0") });
        var subscriptionId = await m.CreateAndApproveAsync(body);
        var freePayment = (string)(await m.SubscriptionAsync(subscriptionId))["phases"]![0]!["paymentId"]!;

        var reply = await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund(freePayment, "100"));

        reply.ResultCode.Should().Be("REFUND_AMOUNT_EXCEED");
        reply.ResultMessage.Should().Be($"payment '{freePayment}' of phase 1 was 0 PHP (a free trial period): there is nothing to refund");
    }

    [Fact]
    public async Task Refund_OfAnotherMerchantsPayment_DoesNotExistForThisMerchant()
    {
        var (m, _, paymentId) = await PaidAsync(factory);
        await using var harness = m;
        await using var other = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var reply = await other.Client.CallAsync(other.Merchant, "refund", Bodies.Refund(paymentId, "100"));

        reply.ResultCode.Should().Be("ORDER_NOT_EXIST");
    }

    [Fact]
    public async Task Refund_TwelveMonthsAfterThePayment_IsRefundWindowExceed_TheDayBeforeItIsNot()
    {
        var (m, subscriptionId, paymentId) = await PaidAsync(factory);
        await using var harness = m;
        (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId, "TERMINATE"))).ResultCode.Should().Be("SUCCESS");

        await m.AdvanceToAsync(Start.AddMonths(12).AddDays(-1));
        var inTime = await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund(paymentId, "100"));
        await m.AdvanceToAsync(Start.AddMonths(12));
        var late = await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund(paymentId, "100"));

        inTime.ResultCode.Should().Be("SUCCESS");
        late.ResultCode.Should().Be("REFUND_WINDOW_EXCEED");
        late.ResultMessage.Should().Contain("it could be refunded for 12 months, until 2028-03-01T09:00:00.0000000+08:00");
    }

    [Fact]
    public async Task Refund_LeftProcessingByAFault_IsProcessingForItsDelay_ThenSucceeds_AndARepeatSaysWhereItStands()
    {
        var (m, subscriptionId, paymentId) = await PaidAsync(factory);
        await using var harness = m;
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "refund", resultCode = "REFUND_IN_PROCESS", effect = "processing", delay = "PT2H" }))
            .StatusCode.Should().Be(System.Net.HttpStatusCode.Created);
        var refund = Bodies.Refund(paymentId, "9900");
        var byRequestId = new JsonObject { ["refundRequestId"] = refund["refundRequestId"]!.DeepClone() };

        var reply = await m.Client.CallAsync(m.Merchant, "refund", refund);
        var pending = await m.Client.CallAsync(m.Merchant, "inquiryRefund", byRequestId);
        var again = await m.Client.CallAsync(m.Merchant, "refund", refund);
        var tooMuch = await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund(paymentId, "10001"));
        var listed = ((JsonArray)(await m.SubscriptionAsync(subscriptionId))["refunds"]!).Should().ContainSingle().Subject!;
        await m.AdvanceAsync("PT2H");
        var done = await m.Client.CallAsync(m.Merchant, "inquiryRefund", byRequestId);
        var afterwards = await m.Client.CallAsync(m.Merchant, "refund", refund);

        reply.ResultCode.Should().Be("REFUND_IN_PROCESS");
        reply.ResultStatus.Should().Be("U");
        pending.ResultCode.Should().Be("SUCCESS", "the inquiry itself succeeded");
        ((string)pending.Json["refundStatus"]!).Should().Be("PROCESSING");
        pending.Json["refundTime"].Should().BeNull("refundTime is given once the refund succeeded");
        var refundId = (string)pending.Json["refundId"]!;
        again.ResultCode.Should().Be("REFUND_IN_PROCESS", "the same request while the refund processes");
        again.ResultStatus.Should().Be("U");
        again.ResultMessage.Should().Be($"refund {refundId} of 9900 PHP is still being processed; ask again with the same refundRequestId, or call inquiryRefund");
        tooMuch.ResultCode.Should().Be("REFUND_AMOUNT_EXCEED", "a processing refund holds its part of the payment");
        ((string)listed["status"]!).Should().Be("PROCESSING");
        ((string)done.Json["refundStatus"]!).Should().Be("SUCCESS");
        ((string)done.Json["refundTime"]!).Should().Be("2027-03-01T11:00:00+08:00", "it succeeded when its two hours were over, on the merchant's clock");
        afterwards.ResultCode.Should().Be("SUCCESS");
        ((string)afterwards.Json["refundId"]!).Should().Be(refundId);
        ((string)afterwards.Json["refundTime"]!).Should().Be("2027-03-01T11:00:00+08:00");
        var view = await m.SubscriptionAsync(subscriptionId);
        ((string)view["refunds"]![0]!["status"]!).Should().Be("SUCCESS");
        ((JsonArray)view["timeline"]!).Should().Contain(e => (string)e!["detail"]! == $"refund {refundId} of 9900 PHP (phase 1, {paymentId}) settled: SUCCESS (its processing time was over)"
            && (string)e["at"]! == "2027-03-01T11:00:00+08:00", "the timeline says when it succeeded by itself");
        ((JsonArray)view["timeline"]!).Select(e => (string)e!["detail"]!).Should().Contain(
            d => d.StartsWith($"refund {(string)refund["refundRequestId"]!} → PROCESSING, answered REFUND_IN_PROCESS by a fault (effect processing): 9900 PHP of phase 1 ({paymentId}) taken as {refundId}, processing until ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Refund_LeftProcessingByTheScenario_IsSettledFromTheDashboard()
    {
        var (m, subscriptionId, paymentId) = await PaidAsync(factory);
        await using var harness = m;
        (await m.Http.PostAsync($"{m.Control}/scenarios/refund-processing", null)).EnsureSuccessStatusCode();
        var refund = Bodies.Refund(paymentId, "5000");
        var reply = await m.Client.CallAsync(m.Merchant, "refund", refund);
        var byRequestId = new JsonObject { ["refundRequestId"] = refund["refundRequestId"]!.DeepClone() };
        var refundId = (string)(await m.Client.CallAsync(m.Merchant, "inquiryRefund", byRequestId)).Json["refundId"]!;
        var self = $"/_emulator/ui/merchants/{m.Merchant.ClientId}";
        static HttpContent Form(string form) => new StringContent(form, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");

        var page = await m.Http.GetStringAsync($"{self}/subscriptions/{subscriptionId}");
        var badStatus = await m.Http.PostAsync($"{self}/refunds/{refundId}/settle", Form($"status=PROCESSING&back={subscriptionId}"));
        var unknown = await m.Http.PostAsync($"{self}/refunds/nope/settle", Form($"status=FAIL&back={subscriptionId}"));
        var settled = await m.Http.PostAsync($"{self}/refunds/{refundId}/settle", Form($"status=FAIL&back={subscriptionId}"));
        var again = await m.Http.PostAsync($"{self}/refunds/{refundId}/settle", Form($"status=SUCCESS&back={subscriptionId}"));
        var failed = await m.Client.CallAsync(m.Merchant, "inquiryRefund", byRequestId);

        reply.ResultCode.Should().Be("REFUND_IN_PROCESS", "the scenario leaves the next refund processing");
        page.Should().Contain($"id=\"settle-success-{refundId}\"").And.Contain($"id=\"settle-fail-{refundId}\"");
        badStatus.StatusCode.Should().Be(System.Net.HttpStatusCode.BadRequest);
        unknown.StatusCode.Should().Be(System.Net.HttpStatusCode.NotFound);
        settled.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, "the form redirects to the subscription's page");
        (await settled.Content.ReadAsStringAsync()).Should().NotContain($"settle-fail-{refundId}");
        again.StatusCode.Should().Be(System.Net.HttpStatusCode.Conflict);
        ((string)failed.Json["refundStatus"]!).Should().Be("FAIL");
    }

    [Fact]
    public async Task Refund_ProcessingUntilSettled_FailsWhenTheTestSaysSo_AndNoLongerHoldsThePayment()
    {
        var (m, subscriptionId, paymentId) = await PaidAsync(factory);
        await using var harness = m;
        var refund = Bodies.Refund(paymentId, "19900");
        var byRequestId = new JsonObject { ["refundRequestId"] = refund["refundRequestId"]!.DeepClone() };
        var forced = new SignedRequest
        {
            Path = AntomTestClient.PathOf("refund"),
            Body = System.Text.Encoding.UTF8.GetBytes(refund.ToJsonString()),
            ClientId = m.Merchant.ClientId,
            Key = m.Merchant.PrivateKey,
            ExtraHeaders = new() { ["Emulator-Result-Code"] = "REFUND_IN_PROCESS", ["Emulator-Effect"] = "processing" },
        };

        var reply = await m.Client.SendAsync(forced);
        await m.AdvanceAsync("P10D");
        var stillPending = await m.Client.CallAsync(m.Merchant, "inquiryRefund", byRequestId);
        var refundId = (string)stillPending.Json["refundId"]!;
        var settle = await m.Http.PostAsJsonAsync($"{m.Control}/refunds/{refundId}/settle", new { status = "FAIL" });
        var settled = (await settle.Content.ReadFromJsonAsync<JsonObject>())!;
        var failed = await m.Client.CallAsync(m.Merchant, "inquiryRefund", byRequestId);
        var again = await m.Client.CallAsync(m.Merchant, "refund", refund);
        var anew = await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund(paymentId, "19900"));
        var twice = await m.Http.PostAsJsonAsync($"{m.Control}/refunds/{refundId}/settle", new { status = "SUCCESS" });
        var unknown = await m.Http.PostAsJsonAsync($"{m.Control}/refunds/no-such-refund/settle", new { status = "SUCCESS" });
        var badStatus = await m.Http.PostAsJsonAsync($"{m.Control}/refunds/{refundId}/settle", new { status = "PROCESSING" });

        reply.ResultCode.Should().Be("REFUND_IN_PROCESS");
        ((string)stillPending.Json["refundStatus"]!).Should().Be("PROCESSING", "without a delay it processes until a test settles it");
        settle.StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
        ((string)settled["status"]!).Should().Be("FAIL");
        ((string)settled["settledAt"]!).Should().StartWith("2027-03-11T09:00:00");
        ((string)failed.Json["refundStatus"]!).Should().Be("FAIL");
        failed.Json["refundTime"].Should().BeNull();
        again.ResultCode.Should().Be("PROCESS_FAIL");
        again.ResultStatus.Should().Be("F");
        again.ResultMessage.Should().Be($"refund {refundId} of 19900 PHP failed at 2027-03-11T09:00:00+08:00: nothing was refunded");
        anew.ResultCode.Should().Be("SUCCESS", "a failed refund gave the payment's amount back to refund");
        twice.StatusCode.Should().Be(System.Net.HttpStatusCode.Conflict);
        (await twice.Content.ReadAsStringAsync()).Should().Contain($"refund {refundId} is FAIL (since 2027-03-11T09:00:00");
        unknown.StatusCode.Should().Be(System.Net.HttpStatusCode.NotFound);
        badStatus.StatusCode.Should().Be(System.Net.HttpStatusCode.BadRequest);
        var view = await m.SubscriptionAsync(subscriptionId);
        ((JsonArray)view["timeline"]!).Select(e => (string)e!["detail"]!).Should().Contain($"refund {refundId} of 19900 PHP (phase 1, {paymentId}) settled: FAIL");
        var page = await m.Http.GetStringAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}/subscriptions/{subscriptionId}");
        page.Should().Contain($"<code>{refundId}</code> <span class=\"F\">FAIL</span>", "the dashboard says which refund failed");
    }

    [Theory]
    [InlineData("create", "UNKNOWN_EXCEPTION", null, "effect processing applies to a U result code of refund")]
    [InlineData("refund", "REFUND_AMOUNT_EXCEED", null, "effect processing applies to a U result code of refund")]
    [InlineData("refund", "REFUND_IN_PROCESS", "PT0S", "a refund that processes for no time is one done when answered")]
    public async Task ProcessingEffect_OnAnythingButAURefundAnsweredU_IsRefused(string target, string code, string? delay, string detail)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var added = await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target, resultCode = code, effect = "processing", delay });

        added.StatusCode.Should().Be(System.Net.HttpStatusCode.BadRequest);
        (await added.Content.ReadAsStringAsync()).Should().Contain(detail);
    }
}
