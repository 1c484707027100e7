using System.Net.Http.Json;
using System.Security.Cryptography;
using ContractTests.Support;
using Emulator.Testing;
using Emulator.Testing.Conformance;
using SampleMerchant;

namespace ContractTests.Harness;

/// <summary>
/// The conformance suite run against the two sample merchants: the correct one passes every check; the careless one
/// (acks unverified notifications, retries a U with a new request id, takes a badly signed cancel answer for done) fails
/// exactly those checks.
/// </summary>
public sealed class ConformanceTests
{
    private static readonly string[] CarelessMistakes =
    [
        "refuse-forged-signature", "refuse-wrong-key", "refuse-tampered-body", "api-request-id-reused-after-unknown", "api-request-id-reused-after-timeout", "api-answer-signature-verified",
        "api-change-retried-after-unknown", "api-refund-retried-after-unknown", "api-change-answer-signature-verified", "api-refund-answer-signature-verified", "api-cancel-answer-signature-verified",
    ];

    [Fact]
    public async Task CorrectSampleMerchant_PassesEveryCheck()
    {
        var scorecard = await RunAgainstSampleAsync(careless: false);

        scorecard.Checks.Should().HaveCount(24);
        scorecard.Checks.Should().OnlyContain(c => c.Outcome == CheckResult.Pass, scorecard.ToMarkdown());
    }

    [Fact]
    public async Task CarelessSampleMerchant_FailsExactlyItsMistakes()
    {
        var scorecard = await RunAgainstSampleAsync(careless: true);

        scorecard.Failed.Should().BeEquivalentTo(CarelessMistakes, scorecard.ToMarkdown());
        scorecard.Checks.Where(c => !CarelessMistakes.Contains(c.Id)).Should().OnlyContain(c => c.Outcome == CheckResult.Pass);
        scorecard.Checks.Single(c => c.Id == "api-request-id-reused-after-unknown").Reason.Should().Contain("a second subscription may be created");
        scorecard.Checks.Single(c => c.Id == "api-change-answer-signature-verified").Reason.Should().Contain("retried as chg-").And.Contain("the plan may be changed twice");
        scorecard.Checks.Single(c => c.Id == "api-refund-answer-signature-verified").Reason.Should().Contain("retried as rfd-").And.Contain("the buyer may be refunded twice");
        scorecard.Checks.Single(c => c.Id == "api-cancel-answer-signature-verified").Reason.Should().Contain("did not send the cancel again").And.Contain("may not be Antom's");
    }

    /// <summary>
    /// Each mistake the sample merchant can be told to make fails the checks it should, saying why, and nothing else;
    /// without one, the sample passes every check.
    /// </summary>
    [Theory]
    [InlineData("", "", "")]
    [InlineData("same-request-id", "api-request-ids-unique", "sub-order")]
    [InlineData("drop-early-payment", "out-of-order-tolerated", "never processed")]
    [InlineData("count-duplicates", "duplicate-processed-once", "processed 2 times")]
    [InlineData("ignore-unknown", "api-request-id-reused-after-unknown api-request-id-reused-after-timeout api-answer-signature-verified api-change-retried-after-unknown api-refund-retried-after-unknown api-cancel-confirmed-after-timeout api-change-answer-signature-verified api-refund-answer-signature-verified api-cancel-answer-signature-verified", "did not retry|did not send it again: the subscription is still ACTIVE|did not send the cancel again")]
    [InlineData("new-id-on-unknown", "api-request-id-reused-after-unknown api-request-id-reused-after-timeout api-answer-signature-verified api-change-retried-after-unknown api-refund-retried-after-unknown api-change-answer-signature-verified api-refund-answer-signature-verified", "retried as sub-|retried as chg-|retried as rfd-")]
    [InlineData("trust-unverified-answers", "api-answer-signature-verified api-change-answer-signature-verified api-refund-answer-signature-verified api-cancel-answer-signature-verified", "may not be Antom's")]
    [InlineData("trust-unverified-cancel", "api-cancel-answer-signature-verified", "did not send the cancel again (nor read the subscription back): the cancel took place this time")]
    [InlineData("verify-payments-only", "refuse-forged-signature refuse-wrong-key refuse-tampered-body", "acknowledged by the notifySubscription endpoint")]
    [InlineData("processed-hook-404", "duplicate-processed-once out-of-order-tolerated", "answered HTTP 404")]
    [InlineData("reject-failed-payments", "ack-failed-payment", "phase 2 notifyPayment F USER_BALANCE_NOT_ENOUGH without paymentTime answered HTTP 500")]
    [InlineData("reject-zero-amount", "ack-free-trial-payment", "its phase 1 notifyPayment of 0 PHP answered HTTP 500")]
    [InlineData("create-only", "ack-subscription-notification-types", "CHANGE (ACTIVE) answered HTTP 500 InvalidOperationException: unexpected notifySubscription CHANGE/ACTIVE; UPDATE (ACTIVE) answered HTTP 500")]
    [InlineData("strict-fields", "ack-unknown-fields", "notifySubscription CREATE with `conformanceNewField` answered HTTP 500 JsonException: The JSON property 'conformanceNewField' could not be mapped")]
    [InlineData("same-request-id+ignore-unknown", "api-request-ids-unique api-request-id-reused-after-unknown api-request-id-reused-after-timeout api-answer-signature-verified api-change-retried-after-unknown api-refund-retried-after-unknown api-cancel-confirmed-after-timeout api-change-answer-signature-verified api-refund-answer-signature-verified", "sub-order|the change took place stays unknown|the refund took place stays unknown|did not send it again|did not retry")]
    [InlineData("no-trigger", "api-signatures-valid api-requests-accepted api-request-ids-unique api-request-id-reused-after-unknown api-request-id-reused-after-timeout api-no-change-after-cancel api-answer-signature-verified api-change-retried-after-unknown api-refund-retried-after-unknown api-cancel-confirmed-after-timeout api-change-answer-signature-verified api-refund-answer-signature-verified api-cancel-answer-signature-verified", "made no API call")]
    public async Task Mistake_FailsExactlyTheChecksItSpoils_SayingWhy(string mistake, string failing, string reason)
    {
        var scorecard = await RunAgainstSampleMakingAsync(mistake, withProcessedHook: true);

        string[] expected = failing.Length == 0 ? [] : failing.Split(' ');
        scorecard.Failed.Should().BeEquivalentTo(expected, scorecard.ToMarkdown());
        // What a mistake leaves nothing to judge by is skipped, saying why: an integration that never re-sends its cancel
        // leaves no cancelled subscription to judge later changes by; one whose purchases share a request id, no second
        // subscription to cancel.
        var cannotJudge = new Dictionary<string, string>();
        if (expected.Contains("api-cancel-confirmed-after-timeout"))
        {
            cannotJudge["api-no-change-after-cancel"] = "cancel did not take place";
        }

        if (mistake.Split('+').Contains("same-request-id"))
        {
            cannotJudge["api-cancel-answer-signature-verified"] = "used the first purchase's request id sub-order";
        }

        scorecard.Checks.Where(c => !expected.Contains(c.Id) && !cannotJudge.ContainsKey(c.Id)).Should().OnlyContain(c => c.Outcome == CheckResult.Pass, scorecard.ToMarkdown());
        foreach (var (id, why) in cannotJudge.Where(j => !expected.Contains(j.Key)))
        {
            scorecard.Checks.Single(c => c.Id == id).Should().Match<CheckResult>(c => c.Outcome == CheckResult.Skipped && c.Reason.Contains(why, StringComparison.Ordinal), scorecard.ToMarkdown());
        }

        foreach (var failed in scorecard.Checks.Where(c => expected.Contains(c.Id)))
        {
            // One of the reasons given ('|' between them), each check saying why in its own words.
            reason.Split('|').Should().Contain(r => failed.Reason.Contains(r, StringComparison.Ordinal), $"{failed.Id}: {failed.Reason}\n{scorecard.ToMarkdown()}");
        }
    }

    /// <summary>
    /// An integration that answers each purchase at once and retries an unknown outcome in the background, with the
    /// same request id, a second later: correct, and judged so once its calls have settled.
    /// </summary>
    [Fact]
    public async Task IntegrationRetryingInTheBackground_PassesEveryCheck()
    {
        Scorecard? scorecard = null;
        await RunAgainstSampleAsync(careless: false, async (emulator, merchant, url) =>
        {
            var options = Options(emulator, merchant.ClientId, new Uri(url, "antom/notify/subscription"), new Uri(url, "antom/notify/payment"), new Uri(url, "conformance"));
            scorecard = await new ConformanceSuite(options with { ProcessedUrl = new Uri(url, "conformance/processed"), SettleTime = TimeSpan.FromSeconds(2) }).RunAsync();
        }, settings: ["--Merchant:RetryInBackground=true"]);

        scorecard!.Checks.Should().OnlyContain(c => c.Outcome == CheckResult.Pass, scorecard.ToMarkdown());
    }

    /// <summary>
    /// An integration that changes plans with Antom's newer update call is judged as one that uses change: correct, it
    /// passes; retrying an update answered U under a new request id fails the same check, naming update.
    /// </summary>
    [Theory]
    [InlineData("", "")]
    [InlineData("new-id-on-unknown", "retried as upd-")]
    public async Task IntegrationUsingUpdate_IsJudgedAsForChange(string mistake, string reason)
    {
        Scorecard? scorecard = null;
        await RunAgainstSampleAsync(careless: false, async (emulator, merchant, url) =>
        {
            var options = Options(emulator, merchant.ClientId, new Uri(url, "antom/notify/subscription"), new Uri(url, "antom/notify/payment"), new Uri(url, "conformance"));
            scorecard = await new ConformanceSuite(options with { ProcessedUrl = new Uri(url, "conformance/processed") }).RunAsync();
        }, mistake.Length == 0 ? [] : [mistake], settings: ["--Merchant:UseUpdate=true"]);

        var change = scorecard!.Checks.Single(c => c.Id == "api-change-retried-after-unknown");
        if (mistake.Length == 0)
        {
            scorecard.Checks.Should().OnlyContain(c => c.Outcome == CheckResult.Pass, scorecard.ToMarkdown());
            change.Reason.Should().StartWith("after U on upd-");
            scorecard.Checks.Single(c => c.Id == "api-change-answer-signature-verified").Reason.Should().StartWith("after an answer signed with another key than Antom's on upd-");
        }
        else
        {
            change.Outcome.Should().Be(CheckResult.Fail);
            change.Reason.Should().Contain(reason).And.Contain("the plan may be changed twice");
        }
    }

    /// <summary>
    /// The sample, the reference integration, handles an update Antom refuses while a renewal's payment is being
    /// processed: the refusal is final for that request id, so it sends the same change again under a new one once the
    /// payment's notifyPayment has come.
    /// </summary>
    [Fact]
    public async Task SampleUsingUpdate_SendsARefusedUpdateAgain_UnderANewId_OnceThePaymentIsDone()
    {
        await RunAgainstSampleAsync(careless: false, async (emulator, merchant, url) =>
        {
            using var trigger = new HttpClient { BaseAddress = url };
            await merchant.FreezeClockAsync(); // the sample starts its subscriptions at the wall-clock time
            var requestId = (string)(await (await trigger.PostAsync("conformance/subscribe", null)).Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["subscriptionRequestId"]!;
            var subscriptionId = (string)(await merchant.ApproveAsync(requestId))["subscriptionId"]!;
            await merchant.AddFaultAsync(new { target = "deduction", resultCode = "PAYMENT_IN_PROCESS", effect = "processing", match = new { phaseNo = 2 } });
            var paymentId = (string)(await merchant.AdvanceAsync("P1M")).Single(e => (string)e!["type"]! == "paymentProcessing")!["paymentId"]!;

            var refused = await trigger.PostAsJsonAsync("conformance/change", new { subscriptionId });
            await merchant.SettlePaymentAsync(paymentId, "SUCCESS");
            System.Text.Json.Nodes.JsonObject[] updates = [];
            for (var wait = 0; wait < 100 && !updates.Any(u => (string)u["resultCode"]! == "SUCCESS"); wait++)
            {
                await Task.Delay(50);
                updates = [.. (await merchant.ApiCallsAsync()).Select(c => c!.AsObject()).Where(c => (string)c["api"]! == "update")];
            }

            refused.StatusCode.Should().Be(System.Net.HttpStatusCode.Accepted, "the change waits for the payment");
            updates.Select(u => (string)u["resultCode"]!).Should().Equal(["UPDATE_FORBIDDEN_DURING_PAYMENT", "SUCCESS"]);
            updates.Select(u => (string)u["requestId"]!).Should().OnlyHaveUniqueItems("a request id refused with an F keeps that answer");
            ((string)(await merchant.SubscriptionAsync(subscriptionId))["paymentAmount"]!["value"]!).Should().Be("29900", "the change took place once the payment was done");
        }, settings: ["--Merchant:UseUpdate=true"]);
    }

    /// <summary>Without the processed-count hook, what only it could show is skipped, not passed.</summary>
    [Theory]
    [InlineData("", "duplicate-processed-once out-of-order-tolerated")]
    [InlineData("drop-early-payment", "duplicate-processed-once out-of-order-tolerated")]
    public async Task WithoutTheProcessedHook_WhatItAloneShowsIsSkipped(string mistake, string skipped)
    {
        var scorecard = await RunAgainstSampleMakingAsync(mistake, withProcessedHook: false);

        scorecard.Checks.Where(c => c.Outcome == CheckResult.Skipped).Select(c => c.Id).Should().BeEquivalentTo(skipped.Split(' '), scorecard.ToMarkdown());
        scorecard.Failed.Should().BeEmpty();
    }

    /// <summary>Refunds are optional for an integration: without a refund trigger (404) the refund checks are skipped, not failed.</summary>
    [Fact]
    public async Task WithoutARefundTrigger_TheRefundCheckIsSkipped()
    {
        var scorecard = await RunAgainstSampleMakingAsync("no-refund-trigger", withProcessedHook: true);

        scorecard.Checks.Where(c => c.Id.StartsWith("api-refund-", StringComparison.Ordinal)).Should().HaveCount(2)
            .And.OnlyContain(c => c.Outcome == CheckResult.Skipped && c.Reason.Contains("the integration has no refund trigger", StringComparison.Ordinal) && c.Reason.Contains("answered HTTP 404", StringComparison.Ordinal));
        scorecard.Failed.Should().BeEmpty(scorecard.ToMarkdown());
    }

    private static async Task<Scorecard> RunAgainstSampleMakingAsync(string mistake, bool withProcessedHook)
    {
        Scorecard? scorecard = null;
        await RunAgainstSampleAsync(careless: false, async (emulator, merchant, url) =>
        {
            var options = Options(emulator, merchant.ClientId, new Uri(url, "antom/notify/subscription"), new Uri(url, "antom/notify/payment"), new Uri(url, "conformance"));
            scorecard = await new ConformanceSuite(withProcessedHook ? options with { ProcessedUrl = new Uri(url, "conformance/processed") } : options).RunAsync();
        }, mistake.Length == 0 ? [] : mistake.Split('+'));
        return scorecard!;
    }

    /// <summary>
    /// The sample is what merchants copy: with notification URLs that carry a query (a tenant, a token), it verifies
    /// each notification over the request target it was called at, path and query, as they are signed. Verified over
    /// the path alone, it refused every valid notification.
    /// </summary>
    [Fact]
    public async Task Sample_WithNotificationUrlsCarryingAQuery_VerifiesAndAcknowledges()
    {
        Scorecard? scorecard = null;
        await RunAgainstSampleAsync(careless: false, async (emulator, merchant, url) =>
        {
            var options = Options(emulator, merchant.ClientId, new Uri(url, "antom/notify/subscription?tenant=acme&token=a%2Fb"), new Uri(url, "antom/notify/payment?tenant=acme&token=a%2Fb"), new Uri(url, "conformance"));
            scorecard = await new ConformanceSuite(options with { ProcessedUrl = new Uri(url, "conformance/processed") }).RunAsync();
        });

        scorecard!.Checks.Should().OnlyContain(c => c.Outcome == CheckResult.Pass, scorecard.ToMarkdown());
    }

    [Fact]
    public async Task EndpointThatAcknowledgesNothingProperly_FailsTheSignatureChecksAsInconclusive()
    {
        // Plain "SUCCESS" for every notification: the forged ones are not acknowledged, but neither are the valid ones.
        await using var emulator = await AntomEmulator.StartAsync();
        await using var merchant = await emulator.CreateMerchantAsync();
        await using var endpoint = await NotificationInbox.StartAsync(await emulator.AntomPublicKeyAsync());
        endpoint.Answer = _ => Task.FromResult((200, "SUCCESS"));

        var scorecard = await new ConformanceSuite(Options(emulator, merchant.ClientId, new Uri(endpoint.SubscriptionUrl), new Uri(endpoint.PaymentUrl), trigger: null)).RunAsync();

        scorecard.Checks.Where(c => c.Id.StartsWith("refuse-", StringComparison.Ordinal) || ShapeChecks.Contains(c.Id)).Should().HaveCount(7)
            .And.OnlyContain(c => c.Outcome == CheckResult.Fail && c.Reason.StartsWith("cannot tell", StringComparison.Ordinal), scorecard.ToMarkdown());
        scorecard.Failed.Should().Contain(["ack-notify-subscription", "ack-notify-payment"]);
    }

    /// <summary>
    /// A receiver that closes the connection after each answer (HTTP/1.0, as Python's http.server) gets each delivery on
    /// a connection of its own. Found by a Python merchant's walkthrough: now and then a delivery went on a pooled
    /// connection the receiver had just closed, and failed without reaching it.
    /// </summary>
    [Fact]
    public async Task Deliveries_GoEachOnAConnectionOfItsOwn()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        await using var merchant = await emulator.CreateMerchantAsync();
        await using var receiver = Http10Receiver.Start();

        var scorecard = await new ConformanceSuite(Options(emulator, merchant.ClientId, new Uri(receiver.Url + "/antom/subscription"), new Uri(receiver.Url + "/antom/payment"), trigger: null)).RunAsync();

        scorecard.Checks.Single(c => c.Id == "ack-notify-payment").Outcome.Should().Be(CheckResult.Pass, scorecard.ToMarkdown());
        receiver.Received.Should().HaveCountGreaterThan(10).And.OnlyContain(r => r.Headers["connection"] == "close", "every delivery asks for its connection to be closed after the answer");
    }

    /// <summary>
    /// A delivery that got no HTTP answer (the connection dropped) is not a refusal: it shows nothing of a signature
    /// check, where the suite used to count it as one.
    /// </summary>
    [Fact]
    public async Task EndpointThatDropsTheConnection_OnANotificationItCannotVerify_IsNotJudgedAsRefusingIt()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        await using var merchant = await emulator.CreateMerchantAsync();
        await using var receiver = Http10Receiver.Start(dropUnverified: true);

        var scorecard = await new ConformanceSuite(Options(emulator, merchant.ClientId, new Uri(receiver.Url + "/antom/subscription"), new Uri(receiver.Url + "/antom/payment"), trigger: null)).RunAsync();

        scorecard.Checks.Where(c => c.Id is "ack-notify-subscription" or "ack-notify-payment").Should().OnlyContain(c => c.Outcome == CheckResult.Pass, scorecard.ToMarkdown());
        scorecard.Checks.Where(c => c.Id.StartsWith("refuse-", StringComparison.Ordinal)).Should().HaveCount(3)
            .And.OnlyContain(c => c.Outcome == CheckResult.Fail && c.Reason.StartsWith("cannot tell", StringComparison.Ordinal) && c.Reason.Contains("gave no HTTP answer", StringComparison.Ordinal), scorecard.ToMarkdown());
    }

    private static string[] Members(System.Text.Json.Nodes.JsonObject json) => [.. json.Select(m => m.Key)];

    private static readonly string[] ShapeChecks = ["ack-free-trial-payment", "ack-failed-payment", "ack-unknown-fields", "ack-subscription-notification-types"];

    /// <summary>
    /// The shapes the suite sends besides a plain success are the emulator's own bodies, signed with Antom's key so that
    /// they verify: a failed renewal without paymentTime, a free period of 0 after its CREATE, every notifySubscription
    /// type with its status, and a member added after the others. An endpoint that acknowledges each passes.
    /// </summary>
    [Fact]
    public async Task NotificationShapes_AreTheEmulatorsBodies_SignedWithAntomsKey()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        await using var merchant = await emulator.CreateMerchantAsync();
        await using var endpoint = await NotificationInbox.StartAsync(await emulator.AntomPublicKeyAsync());

        var scorecard = await new ConformanceSuite(Options(emulator, merchant.ClientId, new Uri(endpoint.SubscriptionUrl), new Uri(endpoint.PaymentUrl), trigger: null)).RunAsync();

        var payment = Members(System.Text.Json.Nodes.JsonNode.Parse(Fixtures.Read("golden/notify-payment.json"))!.AsObject());
        var subscription = Members(System.Text.Json.Nodes.JsonNode.Parse(Fixtures.Read("golden/notify-subscription-create.json"))!.AsObject());
        var genuine = endpoint.Received.Where(n => n.SignatureValid).ToList();
        scorecard.Checks.Where(c => ShapeChecks.Contains(c.Id)).Should().HaveCount(4).And.OnlyContain(c => c.Outcome == CheckResult.Pass, scorecard.ToMarkdown());

        var failed = genuine.Single(n => n.ResultCode == "USER_BALANCE_NOT_ENOUGH");
        Members(failed.Json).Should().Equal(payment.Where(m => m != "paymentTime"), "a failed payment has no paymentTime");
        ((string)failed.Json["result"]!["resultStatus"]!).Should().Be("F");
        ((string)failed.Json["result"]!["resultMessage"]!).Should().NotBeNullOrEmpty();
        failed.PhaseNo.Should().Be(2);

        var free = genuine.Single(n => n.AmountValue == "0");
        Members(free.Json).Should().Equal(payment);
        free.ResultCode.Should().Be("SUCCESS");
        genuine.Should().Contain(n => n.SubscriptionId == free.SubscriptionId && n.SubscriptionNotificationType == "CREATE" && n.Order < free.Order, "the free period's subscription is created first");

        genuine.Where(n => !n.IsPayment && !n.Json.ContainsKey("conformanceNewField")).Should().OnlyContain(n => Members(n.Json).SequenceEqual(subscription))
            .And.Subject.Select(n => $"{n.SubscriptionNotificationType}/{n.SubscriptionStatus}").Should()
            .Contain(["CHANGE/ACTIVE", "UPDATE/ACTIVE", "CANCEL/ACTIVE", "TERMINATE/TERMINATED", "CREATE/TERMINATED"]);

        var extended = genuine.Where(n => n.Json.ContainsKey("conformanceNewField")).ToList();
        extended.Select(n => n.Kind).Should().BeEquivalentTo(["notifySubscription", "notifyPayment"]);
        extended.Should().OnlyContain(n => Members(n.Json).Last() == "conformanceNewField"
            && Members(n.Json).SkipLast(1).SequenceEqual(n.IsPayment ? payment : subscription));
    }

    [Fact]
    public async Task UnknownClientId_FailsTheApiChecksSayingSo_AndStillWritesTheScorecard()
    {
        await using var emulator = await AntomEmulator.StartAsync();
        await using var endpoint = await NotificationInbox.StartAsync(await emulator.AntomPublicKeyAsync());

        var scorecard = await new ConformanceSuite(Options(emulator, "SANDBOX_MISTYPED", new Uri(endpoint.SubscriptionUrl), new Uri(endpoint.PaymentUrl), trigger: new Uri("http://127.0.0.1:9/conformance"))).RunAsync();

        scorecard.Checks.Where(c => c.Id.StartsWith("api-", StringComparison.Ordinal)).Should().HaveCount(13)
            .And.OnlyContain(c => c.Outcome == CheckResult.Fail && c.Reason.Contains("check --client-id", StringComparison.Ordinal));
    }

    /// <summary>
    /// Rules already in force would act on the integration's calls before the suite's own, and their effect would be
    /// blamed on it: the suite says so instead of judging. Its own rules do not outlive the run.
    /// </summary>
    [Fact]
    public async Task FaultRulesInForce_AreNamedInsteadOfJudged_AndTheSuiteLeavesNoRulesBehind()
    {
        Scorecard? spoiled = null, clean = null;
        var left = new System.Text.Json.Nodes.JsonArray();
        await RunAgainstSampleAsync(careless: false, async (emulator, merchant, url) =>
        {
            var faults = $"/_emulator/v1/merchants/{merchant.ClientId}/faults";
            var leftover = await emulator.Http.PostAsJsonAsync(faults, new { target = "create", transport = "badSignature", times = 0 });
            leftover.EnsureSuccessStatusCode();
            spoiled = await SuiteFor(emulator, merchant, url).RunAsync();
            (await emulator.Http.DeleteAsync(faults)).EnsureSuccessStatusCode();
            clean = await SuiteFor(emulator, merchant, url).RunAsync();
            left = (await emulator.Http.GetFromJsonAsync<System.Text.Json.Nodes.JsonArray>(faults))!;
        });

        spoiled!.Checks.Where(c => c.Id.StartsWith("api-", StringComparison.Ordinal)).Should().HaveCount(13)
            .And.OnlyContain(c => c.Outcome == CheckResult.Fail && c.Reason.Contains("has 1 fault rule(s) in force (create badSignature)", StringComparison.Ordinal));
        clean!.Checks.Should().OnlyContain(c => c.Outcome == CheckResult.Pass, clean.ToMarkdown());
        left.Should().BeEmpty("the suite deletes the rules it added, used up or not");
    }

    [Fact]
    public async Task SecondRunOnTheSameClientId_IsJudgedOnItsOwnCalls()
    {
        // The careless integration's earlier calls (new request ids after U and timeout) must not count against the fix.
        await using var emulator = await AntomEmulator.StartAsync();
        var merchantUrl = new Uri($"http://127.0.0.1:{Builds.FreePort()}/");
        await using var merchant = await emulator.CreateMerchantAsync(notificationBaseUrl: new Uri(merchantUrl, "antom/"));
        Scorecard? careless = null, fixedOne = null;
        await RunSampleAsync(emulator, merchant, merchantUrl, careless: true, async url => careless = await SuiteFor(emulator, merchant, url).RunAsync());
        await RunSampleAsync(emulator, merchant, merchantUrl, careless: false, async url => fixedOne = await SuiteFor(emulator, merchant, url).RunAsync());

        careless!.Failed.Should().Contain("api-request-id-reused-after-unknown");
        fixedOne!.Checks.Should().OnlyContain(c => c.Outcome == CheckResult.Pass, fixedOne.ToMarkdown());
    }

    [Fact]
    public Task CommandLineTool_WritesTheScorecard_AndExitsNonZeroOnFailures() =>
        CheckCommandLineToolAsync("dotnet", [Builds.Output("Emulator.Conformance", "antom-conformance.dll")]);

    /// <summary>
    /// Runs the command-line tool (<paramref name="command"/>, then <paramref name="prefix"/> before the tool's own
    /// arguments) against the careless sample merchant, and checks its exit code and the scorecard it writes.
    /// </summary>
    /// <param name="keyFile">Name the Antom key's file (<c>--antom-private-key</c>); without it the tool signs with the emulator's default key, which it carries.</param>
    internal static async Task CheckCommandLineToolAsync(string command, string[] prefix, bool keyFile = true)
    {
        var output = Directory.CreateTempSubdirectory("conformance-cli-").FullName;
        var run = (ExitCode: -1, Output: "");
        await RunAgainstSampleAsync(careless: true, async (emulator, merchant, merchantUrl) =>
        {
            run = await Command.RunAsync(command,
            [
                .. prefix, "--emulator", emulator.BaseUrl.ToString(), "--client-id", merchant.ClientId,
                "--subscription-url", new Uri(merchantUrl, "antom/notify/subscription").ToString(),
                "--payment-url", new Uri(merchantUrl, "antom/notify/payment").ToString(),
                .. keyFile ? ["--antom-private-key", Fixtures.Path("keys/antom-private.pem")] : Array.Empty<string>(), "--out", output,
            ], output);
        });

        var json = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, "conformance.json")))!;
        var markdown = await File.ReadAllTextAsync(Path.Combine(output, "conformance.md"));
        Directory.Delete(output, recursive: true);

        run.ExitCode.Should().Be(1, run.Output);
        json["checks"]!.AsArray().Where(c => (string)c!["outcome"]! == "fail").Select(c => (string)c!["id"]!)
            .Should().BeEquivalentTo("refuse-forged-signature", "refuse-wrong-key", "refuse-tampered-body");
        json["checks"]!.AsArray().Where(c => ((string)c!["id"]!).StartsWith("api-", StringComparison.Ordinal)).Should().OnlyContain(c => (string)c!["outcome"]! == "skipped");
        json["checks"]!.AsArray().Where(c => ShapeChecks.Contains((string)c!["id"]!)).Should().HaveCount(4).And.OnlyContain(c => (string)c!["outcome"]! == "pass");
        markdown.Should().Contain("| `refuse-wrong-key` does not acknowledge a notification signed by another key (either endpoint) | fail |");
    }

    private static async Task<Scorecard> RunAgainstSampleAsync(bool careless)
    {
        Scorecard? scorecard = null;
        await RunAgainstSampleAsync(careless, async (emulator, merchant, merchantUrl) =>
        {
            var suite = new ConformanceSuite(new ConformanceOptions
            {
                EmulatorUrl = emulator.BaseUrl,
                ClientId = merchant.ClientId,
                SubscriptionNotificationUrl = new Uri(merchantUrl, "antom/notify/subscription"),
                PaymentNotificationUrl = new Uri(merchantUrl, "antom/notify/payment"),
                ProcessedUrl = new Uri(merchantUrl, "conformance/processed"),
                TriggerUrl = new Uri(merchantUrl, "conformance"),
                AntomPrivateKeyPem = Fixtures.Read("keys/antom-private.pem"),
                SettleTime = Settle,
            });
            scorecard = await suite.RunAsync();
            await scorecard.WriteAsync(Path.Combine(Path.GetDirectoryName(Fixtures.Directory)!, "artifacts", careless ? "conformance-careless" : "conformance-correct"));
        });
        return scorecard!;
    }

    private static ConformanceOptions Options(AntomEmulator emulator, string clientId, Uri subscriptionUrl, Uri paymentUrl, Uri? trigger) => new()
    {
        EmulatorUrl = emulator.BaseUrl,
        ClientId = clientId,
        SubscriptionNotificationUrl = subscriptionUrl,
        PaymentNotificationUrl = paymentUrl,
        TriggerUrl = trigger,
        AntomPrivateKeyPem = Fixtures.Read("keys/antom-private.pem"),
        SettleTime = Settle,
    };

    // The sample makes its calls before it answers a trigger: a short settle time is enough (but for the sample that
    // retries in the background).
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);

    private static ConformanceSuite SuiteFor(AntomEmulator emulator, EmulatorMerchant merchant, Uri merchantUrl) => new(
        Options(emulator, merchant.ClientId, new Uri(merchantUrl, "antom/notify/subscription"), new Uri(merchantUrl, "antom/notify/payment"), new Uri(merchantUrl, "conformance"))
        with { ProcessedUrl = new Uri(merchantUrl, "conformance/processed") });

    /// <summary>An emulator in process, a merchant registered at it, and the sample merchant app serving that merchant.</summary>
    private static async Task RunAgainstSampleAsync(bool careless, Func<AntomEmulator, EmulatorMerchant, Uri, Task> act, string[]? mistakes = null, string[]? settings = null)
    {
        await using var emulator = await AntomEmulator.StartAsync();
        var port = Builds.FreePort();
        var merchantUrl = new Uri($"http://127.0.0.1:{port}/");
        await using var merchant = await emulator.CreateMerchantAsync(notificationBaseUrl: new Uri(merchantUrl, "antom/"));
        await RunSampleAsync(emulator, merchant, merchantUrl, careless, url => act(emulator, merchant, url), [.. (mistakes ?? []).Select((m, i) => $"--Merchant:Mistakes:{i}={m}"), .. settings ?? []]);
    }

    /// <summary>The sample merchant app serving <paramref name="merchant"/> on the port its notification URLs name.</summary>
    private static async Task RunSampleAsync(AntomEmulator emulator, EmulatorMerchant merchant, Uri merchantUrl, bool careless, Func<Uri, Task> act, string[]? settings = null)
    {
        var antomKey = await emulator.AntomPublicKeyAsync();
        await using var sample = MerchantApp.Build(
        [
            "--urls", merchantUrl.ToString(),
            "--Logging:LogLevel:Default=Warning",
            $"--Merchant:GatewayUrl={emulator.BaseUrl}",
            $"--Merchant:ClientId={merchant.ClientId}",
            $"--Merchant:PrivateKey={merchant.PrivateKeyPkcs8Base64}",
            $"--Merchant:AntomPublicKey={Convert.ToBase64String(antomKey.ExportSubjectPublicKeyInfo())}",
            $"--Merchant:Careless={careless}",
            "--Merchant:TimeoutSeconds=2",
            .. settings ?? [],
        ]);
        await sample.StartAsync();
        await act(merchantUrl);
        await sample.StopAsync();
    }
}
