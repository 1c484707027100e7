using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Notifications;

/// <summary>
/// Test notifications (<c>POST …/notifications/test</c>), the counterpart of the Test tab of Antom Dashboard's notification
/// URL settings: one simulated notification, the emulator's own body for the event, signed as a real one (SPEC §1.5),
/// sent once now, answered with what was sent and what the endpoint did; no ledger, no retries, no fault rules.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class TestNotificationTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Start = new(2027, 5, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task NotifyPayment_ToTheReceiver_IsOneSignedPost_ThatVerifiesIndependentlyOverTheReportedSignedContent()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var sent = await SendAsync(m, new { kind = "notifyPayment" });

        var received = m.Receiver.Received.Should().ContainSingle().Subject;
        var headers = received.Headers;
        received.Path.Should().Be("/antom/notify/payment");
        TestSigner.Verify(Fixtures.AntomPublicKey, received.Path, headers["client-id"], headers["request-time"], received.RawBody, headers["signature"])
            .Should().BeTrue("the signature verifies with Antom's public key over the path the receiver saw");
        ((string)sent["signedContent"]!).Should().Be(Encoding.UTF8.GetString(TestSigner.Content(received.Path, headers["client-id"], headers["request-time"], received.RawBody)),
            "the reported signed content is what the receiver's verifier rebuilds");
        ((string)sent["body"]!).Should().Be(Encoding.UTF8.GetString(received.RawBody));
        ((string)sent["url"]!).Should().Be(m.Receiver.PaymentUrl);
        var reported = sent["headers"]!.AsObject();
        foreach (var name in new[] { "client-id", "request-time", "signature", "emulator-notification-id" })
        {
            ((string)reported[name]!).Should().Be(headers[name], name);
        }

        ((string)reported["Content-Type"]!).Should().Be("application/json; charset=UTF-8").And.Be(headers["content-type"]);
        headers["client-id"].Should().Be(m.Merchant.ClientId);
        DateTimeOffset.Parse(headers["request-time"], System.Globalization.CultureInfo.InvariantCulture).Should().Be(Start, "signed at the merchant's time");
        received.NotificationId.Should().StartWith("ntf_test_").And.Be((string)sent["notificationId"]!);
        ((string)sent["outcome"]!).Should().Be("acknowledged");
        ((int)sent["httpStatus"]!).Should().Be(200);
        ((string)sent["responseBody"]!).Should().Be(NotificationInbox.Acknowledgement);
        sent["error"].Should().BeNull();

        var body = received.Json;
        Members(body).Should().Equal(Members(Golden("notify-payment.json")), "the emulator's notifyPayment, member for member");
        ((string)body["paymentId"]!).Should().HaveLength(35).And.StartWith("20270501");
        body["phaseNo"]!.GetValueKind().Should().Be(System.Text.Json.JsonValueKind.String);
        ((string)body["phaseNo"]!).Should().Be("1");
        ((string)body["result"]!["resultStatus"]!).Should().Be("S");
        ((string)body["result"]!["resultCode"]!).Should().Be("SUCCESS");
        DateTimeOffset.Parse((string)body["paymentTime"]!, System.Globalization.CultureInfo.InvariantCulture).Should().Be(Start);
        ((string)body["subscriptionRequestId"]!).Should().StartWith("sample-");
    }

    /// <summary>
    /// A test may freeze a merchant's clock at the calendar's ends; a sample subscription starting there would have no
    /// room for its first period and its authorization window (the control fuzz met an HTTP 500). The sample starts as
    /// near as the calendar allows, and the notification is signed at the merchant's time as ever.
    /// </summary>
    [Theory]
    [InlineData("9999-12-31T23:59:00Z", "notifyPayment", "9999-09-30")]
    [InlineData("9999-12-31T23:59:00Z", "notifySubscription", "9999-09-30")]
    [InlineData("0001-01-01T00:00:00Z", "notifyPayment", "0001-01-02")]
    public async Task MerchantClockAtTheCalendarsEnd_StillSendsASample_StartingWhereTheCalendarHasRoom(string clock, string kind, string sampleStart)
    {
        var at = DateTimeOffset.Parse(clock, System.Globalization.CultureInfo.InvariantCulture);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), at);

        var sent = await SendAsync(m, new { kind, subscriptionNotificationType = kind == "notifySubscription" ? "CANCEL" : null });

        ((string)sent["outcome"]!).Should().Be("acknowledged");
        var received = m.Receiver.Received.Should().ContainSingle().Subject;
        DateTimeOffset.Parse(received.Headers["request-time"], System.Globalization.CultureInfo.InvariantCulture).Should().Be(at, "signed at the merchant's time");
        ((string)received.Json[kind == "notifyPayment" ? "periodStartTime" : "subscriptionStartTime"]!).Should().StartWith(sampleStart);
    }

    [Fact]
    public async Task NotifyPayment_WithAFailureCode_HasThatCodeAndNoPaymentTime()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var sent = await SendAsync(m, new { kind = "notifyPayment", resultCode = "USER_BALANCE_NOT_ENOUGH" });

        var body = m.Receiver.Received.Should().ContainSingle().Subject.Json;
        Members(body).Should().Equal(Members(Golden("notify-payment.json")).Where(n => n != "paymentTime"), "a failed payment has no paymentTime");
        ((string)body["result"]!["resultStatus"]!).Should().Be("F");
        ((string)body["result"]!["resultCode"]!).Should().Be("USER_BALANCE_NOT_ENOUGH");
        ((string)body["result"]!["resultMessage"]!).Should().NotBeNullOrEmpty();
        ((string)sent["outcome"]!).Should().Be("acknowledged");
    }

    [Theory]
    [InlineData(null, false, "CREATE", "ACTIVE")]
    [InlineData("CREATE", false, "CREATE", "ACTIVE")]
    [InlineData("CREATE", true, "CREATE", "TERMINATED")]
    [InlineData("CHANGE", false, "CHANGE", "ACTIVE")]
    [InlineData("UPDATE", false, "UPDATE", "ACTIVE")]
    [InlineData("CANCEL", false, "CANCEL", "ACTIVE")]
    [InlineData("TERMINATE", false, "TERMINATE", "TERMINATED")]
    public async Task NotifySubscription_OfEachType_CarriesItsTypeAndTheStatusTheEmulatorGivesIt(string? type, bool declined, string expectedType, string expectedStatus)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var sent = await SendAsync(m, new { kind = "notifySubscription", subscriptionNotificationType = type, declined = declined ? true : (bool?)null });

        var received = m.Receiver.Received.Should().ContainSingle().Subject;
        received.Path.Should().Be("/antom/notify/subscription");
        received.SignatureValid.Should().BeTrue();
        Members(received.Json).Should().Equal(Members(Golden("notify-subscription-create.json")));
        received.SubscriptionNotificationType.Should().Be(expectedType);
        received.SubscriptionStatus.Should().Be(expectedStatus);
        ((string)received.Json["subscriptionId"]!).Should().HaveLength(35).And.StartWith("20270501");
        DateTimeOffset.Parse((string)received.Json["subscriptionStartTime"]!, System.Globalization.CultureInfo.InvariantCulture).Should().Be(Start);
        ((string)sent["outcome"]!).Should().Be("acknowledged");
    }

    [Fact]
    public async Task CustomBody_IsSentByteForByte_AndSignedOverThoseBytes()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        const string custom = "{\n  \"result\" : { \"resultStatus\":\"S\" },\t\"note\": \"caf\u00e9 \\u00e9 <&>\" ,\n  \"phaseNo\":  7 }\n";

        var sent = await SendAsync(m, new { kind = "notifyPayment", body = custom });

        var received = m.Receiver.Received.Should().ContainSingle().Subject;
        received.RawBody.Should().Equal(Encoding.UTF8.GetBytes(custom), "whitespace, escapes and order as given");
        TestSigner.Verify(Fixtures.AntomPublicKey, received.Path, received.Headers["client-id"], received.Headers["request-time"], Encoding.UTF8.GetBytes(custom), received.Headers["signature"])
            .Should().BeTrue();
        ((string)sent["body"]!).Should().Be(custom);
        ((string)sent["signedContent"]!).Should().EndWith("." + custom);
    }

    /// <summary>
    /// A forged test notification, for a merchant whose stack has no conformance tool to see its endpoint refuse what
    /// Antom did not sign: the receiver's own verifier (Antom's public key, over the path it saw) cannot verify it, and the
    /// answer tells what went out: the headers and the body as sent, what was signed, and what was expected.
    /// </summary>
    [Theory]
    [InlineData("notifyPayment", "wrongKey")]
    [InlineData("notifySubscription", "wrongKey")]
    [InlineData("notifyPayment", "tamperedBody")]
    [InlineData("notifySubscription", "tamperedBody")]
    [InlineData("notifyPayment", "noSignature")]
    [InlineData("notifySubscription", "noSignature")]
    public async Task Forgery_ReachesTheReceiverUnverifiable_AndTheAnswerTellsWhatWasSentAndSigned(string kind, string forgery)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var sent = await SendAsync(m, new { kind, forgery });

        var received = m.Receiver.Received.Should().ContainSingle().Subject;
        var headers = received.Headers;
        received.SignatureValid.Should().BeFalse("the receiver's verifier must not accept a {0} notification", forgery);
        ((string)sent["forgery"]!).Should().Be(forgery);
        ((string)sent["expected"]!).Should().Be("notAcknowledged");
        ((string)sent["body"]!).Should().Be(Encoding.UTF8.GetString(received.RawBody), "body is what was sent");
        var reported = sent["headers"]!.AsObject();
        reported.Select(h => h.Key).Should().Equal(forgery == "noSignature"
            ? ["Content-Type", "client-id", "request-time", "emulator-notification-id"]
            : ["Content-Type", "client-id", "request-time", "signature", "emulator-notification-id"]);
        headers.ContainsKey("signature").Should().Be(forgery != "noSignature");
        foreach (var (name, value) in reported.Where(h => h.Key != "Content-Type"))
        {
            headers[name].Should().Be((string)value!, name);
        }

        var prefix = $"POST {received.Path}\n{headers["client-id"]}.{headers["request-time"]}.";
        var signedContent = (string)sent["signedContent"]!;
        signedContent.Should().StartWith(prefix);
        var signedBody = Encoding.UTF8.GetBytes(signedContent[prefix.Length..]);
        switch (forgery)
        {
            case "wrongKey":
                signedBody.Should().Equal(received.RawBody, "signed over the body sent, as in form");
                headers["signature"].Should().StartWith("algorithm=RSA256,keyVersion=").And.Contain(",signature=");
                TestSigner.Verify(Fixtures.AntomPublicKey, received.Path, headers["client-id"], headers["request-time"], received.RawBody, headers["signature"])
                    .Should().BeFalse("another key signed it");
                break;
            case "tamperedBody":
                signedBody.Should().NotEqual(received.RawBody, "the body sent is not the one signed");
                TestSigner.Verify(Fixtures.AntomPublicKey, received.Path, headers["client-id"], headers["request-time"], signedBody, headers["signature"])
                    .Should().BeTrue("Antom's signature over the body before it was changed");
                var before = JsonNode.Parse(signedBody)!.AsObject();
                var after = received.Json;
                if (kind == "notifyPayment")
                {
                    ((string)after["paymentAmount"]!["value"]!).Should().Be((string)before["paymentAmount"]!["value"]! + "0", "ten times the amount");
                    after["paymentAmount"]!["value"] = before["paymentAmount"]!["value"]!.DeepClone();
                }
                else
                {
                    ((string)before["subscriptionStatus"]!).Should().Be("ACTIVE");
                    ((string)after["subscriptionStatus"]!).Should().Be("TERMINATED");
                    after["subscriptionStatus"] = "ACTIVE";
                }

                JsonNode.DeepEquals(after, before).Should().BeTrue("one value changed, nothing else");
                break;
            default:
                signedBody.Should().Equal(received.RawBody, "what a verifier would rebuild, had there been a signature");
                break;
        }
    }

    [Fact]
    public async Task TamperedBody_OfACustomBodyWithoutTheSampleField_IsSentWithASpaceBeforeItsLastBrace()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        const string custom = "{\"note\":{\"a\":1}}\n";

        var sent = await SendAsync(m, new { kind = "notifyPayment", body = custom, forgery = "tamperedBody" });

        var received = m.Receiver.Received.Should().ContainSingle().Subject;
        Encoding.UTF8.GetString(received.RawBody).Should().Be("{\"note\":{\"a\":1} }\n");
        ((string)sent["body"]!).Should().Be("{\"note\":{\"a\":1} }\n");
        ((string)sent["signedContent"]!).Should().EndWith("." + custom);
        received.SignatureValid.Should().BeFalse();
    }

    /// <summary>
    /// <c>passed</c> is whether the endpoint did what Antom's rules expect: refuse a forged notification (the inbox answers
    /// 401 to one it cannot verify, as samples/SampleMerchant does), acknowledge a genuine one. An endpoint that
    /// acknowledges everything fails the forged one; one that cannot be reached proves nothing either way.
    /// </summary>
    [Theory]
    [InlineData(null, "refusesUnverifiable", "acknowledged", 200, "acknowledged", true)]
    [InlineData(null, "acknowledgesEverything", "acknowledged", 200, "acknowledged", true)]
    [InlineData(null, "refusesEverything", "rejected", 401, "acknowledged", false)]
    [InlineData(null, "unreachable", "unreachable", null, "acknowledged", false)]
    [InlineData("wrongKey", "refusesUnverifiable", "rejected", 401, "notAcknowledged", true)]
    [InlineData("tamperedBody", "refusesUnverifiable", "rejected", 401, "notAcknowledged", true)]
    [InlineData("noSignature", "refusesUnverifiable", "rejected", 401, "notAcknowledged", true)]
    [InlineData("wrongKey", "acknowledgesEverything", "acknowledged", 200, "notAcknowledged", false)]
    [InlineData("tamperedBody", "acknowledgesEverything", "acknowledged", 200, "notAcknowledged", false)]
    [InlineData("noSignature", "acknowledgesEverything", "acknowledged", 200, "notAcknowledged", false)]
    [InlineData("wrongKey", "unreachable", "unreachable", null, "notAcknowledged", false)]
    public async Task Passed_IsWhetherTheEndpointDidWhatAntomsRulesExpect(string? forgery, string endpoint, string outcome, int? httpStatus, string expected, bool passed)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        const string refusal = """{"result":{"resultCode":"INVALID_SIGNATURE","resultStatus":"F","resultMessage":"signature does not verify"}}""";
        m.Receiver.Answer = endpoint switch
        {
            "refusesUnverifiable" => n => Task.FromResult(n.SignatureValid ? (200, NotificationInbox.Acknowledgement) : (401, refusal)),
            "acknowledgesEverything" => _ => Task.FromResult((200, NotificationInbox.Acknowledgement)),
            _ => _ => Task.FromResult((401, refusal)),
        };
        var url = endpoint == "unreachable" ? "http://127.0.0.1:9/antom/notify" : null;

        var sent = await SendAsync(m, new { kind = "notifyPayment", forgery, url });

        ((string)sent["outcome"]!).Should().Be(outcome);
        ((int?)sent["httpStatus"]).Should().Be(httpStatus);
        ((string?)sent["forgery"]).Should().Be(forgery);
        sent.ContainsKey("forgery").Should().BeTrue("forgery is told, null when none");
        ((string)sent["expected"]!).Should().Be(expected);
        ((bool)sent["passed"]!).Should().Be(passed);
        m.Receiver.Received.Should().HaveCount(endpoint == "unreachable" ? 0 : 1);
    }

    [Fact]
    public async Task Url_Omitted_IsTheMerchantsRegisteredOneOfTheKind_AndAGivenOneIsUsedWithItsQuery()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var elsewhere = new Uri(m.Receiver.BaseAddress, "/other/hook?token=a%20b&x=1").ToString();

        var subscription = await SendAsync(m, new { kind = "notifySubscription" });
        var payment = await SendAsync(m, new { kind = "notifyPayment" });
        var given = await SendAsync(m, new { kind = "notifyPayment", url = elsewhere });

        ((string)subscription["url"]!).Should().Be(m.Receiver.SubscriptionUrl);
        ((string)payment["url"]!).Should().Be(m.Receiver.PaymentUrl);
        ((string)given["url"]!).Should().Be(elsewhere);
        m.Receiver.Received.Select(r => r.Path).Should().Equal("/antom/notify/subscription", "/antom/notify/payment", "/other/hook?token=a%20b&x=1");
        m.Receiver.Received.Should().OnlyContain(r => r.SignatureValid, "signed over the path and query each receiver saw");
        ((string)given["signedContent"]!).Should().StartWith($"POST /other/hook?token=a%20b&x=1\n{m.Merchant.ClientId}.");
    }

    [Theory]
    [InlineData("notifySubscription", "subscriptionNotificationUrl")]
    [InlineData("notifyPayment", "paymentNotificationUrl")]
    public async Task NoUrl_GivenOrRegistered_Is400SayingToGiveOneOrRegisterOne(string kind, string field)
    {
        var http = factory.CreateClient();
        var merchant = await TestMerchant.CreateAsync(http, withDefaultUrls: false);

        var response = await http.PostAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}/notifications/test", new { kind });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        ((string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!).Should()
            .Contain("give url").And.Contain(field).And.Contain($"PUT /_emulator/v1/merchants/{merchant.ClientId}");
    }

    [Theory]
    [InlineData("{}", "kind must be notifySubscription or notifyPayment")]
    [InlineData("""{"kind":"notifyRefund"}""", "kind must be notifySubscription or notifyPayment (got 'notifyRefund')")]
    [InlineData("""{"kind":"notifySubscription","subscriptionNotificationType":"RENEW"}""", "subscriptionNotificationType must be one of CREATE, CHANGE, CANCEL, TERMINATE, UPDATE (got 'RENEW')")]
    [InlineData("""{"kind":"notifySubscription","subscriptionNotificationType":"CANCEL","declined":true}""", "declined applies to subscriptionNotificationType CREATE")]
    [InlineData("""{"kind":"notifySubscription","resultCode":"SUCCESS"}""", "resultCode applies to notifyPayment")]
    [InlineData("""{"kind":"notifyPayment","subscriptionNotificationType":"CREATE"}""", "subscriptionNotificationType and declined apply to notifySubscription")]
    [InlineData("""{"kind":"notifyPayment","resultCode":"NOPE"}""", "resultCode must be SUCCESS or an F code of deduction: USER_BALANCE_NOT_ENOUGH, PAYMENT_AMOUNT_EXCEED_LIMIT")]
    [InlineData("""{"kind":"notifyPayment","resultCode":"PAYMENT_IN_PROCESS"}""", "resultCode must be SUCCESS or an F code of deduction")]
    [InlineData("""{"kind":"notifyPayment","body":"{\"a\":"}""", "body must be a JSON text, sent byte for byte as given; this one does not parse")]
    [InlineData("""{"kind":"notifyPayment","body":""}""", "body must be a JSON text")]
    [InlineData("""{"kind":"notifyPayment","body":"{}","resultCode":"SUCCESS"}""", "give body or the fields that choose a sample")]
    [InlineData("""{"kind":"notifyPayment","body":{"a":1}}""", "the body's body must be a string")]
    [InlineData("""{"kind":"notifyPayment","url":"ftp://merchant.example/hook"}""", "url must be an absolute http or https URL")]
    [InlineData("""{"kind":"notifyPayment","url":"/antom/notify"}""", "url must be an absolute http or https URL")]
    [InlineData("""{"kind":"notifySubscription","type":"CANCEL"}""", "the body's type is not a field of a test notification, which takes kind, url, subscriptionNotificationType, declined, resultCode, body and forgery")]
    [InlineData("""{"kind":"notifyPayment","forgery":"badKey"}""", "forgery must be one of wrongKey, tamperedBody, noSignature, or left out for a notification signed as Antom signs (got 'badKey')")]
    [InlineData("""{"kind":"notifyPayment","forgery":"WrongKey"}""", "forgery must be one of wrongKey, tamperedBody, noSignature")]
    [InlineData("""{"kind":"notifyPayment","forgery":""}""", "forgery must be one of wrongKey, tamperedBody, noSignature")]
    [InlineData("""{"kind":"notifyPayment","body":"{}","forgery":"forged"}""", "forgery must be one of wrongKey, tamperedBody, noSignature")]
    public async Task BadRequest_Is400WithADetailNamingTheField_AndSendsNothing(string json, string detail)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var response = await m.Http.PostAsync($"{m.Control}/notifications/test", new StringContent(json, Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        ((string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!).Should().Contain(detail);
        m.Receiver.Received.Should().BeEmpty();
    }

    [Fact]
    public async Task UnknownMerchant_Is404SayingHowToCreateIt()
    {
        var http = factory.CreateClient();

        var response = await http.PostAsJsonAsync("/_emulator/v1/merchants/SANDBOX_NOBODY_HERE_X/notifications/test", new { kind = "notifyPayment", url = "http://127.0.0.1:9/x" });

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        ((string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!).Should().Be("no merchant 'SANDBOX_NOBODY_HERE_X'; create it with PUT /_emulator/v1/merchants/SANDBOX_NOBODY_HERE_X");
    }

    [Fact]
    public async Task UnreachableEndpoint_Is200_WithOutcomeUnreachableAndTheError()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var sent = await SendAsync(m, new { kind = "notifySubscription", url = "http://127.0.0.1:9/antom/notify" });

        ((string)sent["outcome"]!).Should().Be("unreachable");
        ((string)sent["error"]!).Should().NotBeNullOrWhiteSpace();
        sent["httpStatus"].Should().BeNull();
        sent["responseBody"].Should().BeNull();
        ((string)sent["signedContent"]!).Should().StartWith($"POST /antom/notify\n{m.Merchant.ClientId}.", "what was signed, though it reached no one");
    }

    [Fact]
    public async Task ReceiverAnswering500_IsRejected_WithItsAnswer()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        m.Receiver.Answer = _ => Task.FromResult((500, """{"error":"handler failed"}"""));

        var sent = await SendAsync(m, new { kind = "notifyPayment" });

        ((string)sent["outcome"]!).Should().Be("rejected");
        ((int)sent["httpStatus"]!).Should().Be(500);
        ((string)sent["responseBody"]!).Should().Be("""{"error":"handler failed"}""");
        ((string)sent["error"]!).Should().Contain("not HTTP 200 with result.resultStatus S");
    }

    [Fact]
    public async Task RejectedTestNotification_IsNotInTheLedger_AndNoRetryFollowsAnAdvanceOfTheClock()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        m.Receiver.Answer = _ => Task.FromResult((500, "{}"));

        var sent = await SendAsync(m, new { kind = "notifyPayment" });
        var ledger = await m.NotificationsAsync();
        var events = await m.AdvanceAsync("P2D");

        ((string)sent["outcome"]!).Should().Be("rejected");
        ledger.Should().BeEmpty();
        (await m.NotificationsAsync()).Should().BeEmpty();
        events.Should().BeEmpty("no retry of a test notification falls due");
        m.Receiver.Received.Should().ContainSingle("one attempt, never retried (Antom's Test tab sends once)");
    }

    [Fact]
    public async Task DropDeliveryFault_DoesNotTouchATestNotification_AndIsNotUsedUp()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "notifyPayment", delivery = "drop" })).EnsureSuccessStatusCode();

        var sent = await SendAsync(m, new { kind = "notifyPayment" });

        ((string)sent["outcome"]!).Should().Be("acknowledged");
        m.Receiver.Received.Should().ContainSingle();
        var fault = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/faults"))!.Should().ContainSingle().Subject!;
        ((int)fault["remaining"]!).Should().Be(1, "the rule is kept for the merchant's real notifications");
    }

    [Fact]
    public async Task DashboardForm_OnTheMerchantPage_SendsATestNotification_AndShowsWhatHappened()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var self = $"/_emulator/ui/merchants/{m.Merchant.ClientId}";

        var merchantPage = await m.Http.GetStringAsync(self);
        var response = await m.Http.PostAsync($"{self}/notifications/test", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["kind"] = "notifySubscription",
            ["sample"] = "CREATE declined",
            ["url"] = m.Receiver.SubscriptionUrl,
            ["body"] = "",
        }));
        var page = await response.Content.ReadAsStringAsync();

        merchantPage.Should().Contain("Send a test notification").And.Contain("id=\"test-notify-subscription\"").And.Contain("id=\"test-notify-payment\"")
            .And.Contain($"value=\"{WebUtility.HtmlEncode(m.Receiver.SubscriptionUrl)}\"", "the URL is prefilled with the registered one of the kind")
            .And.Contain($"value=\"{WebUtility.HtmlEncode(m.Receiver.PaymentUrl)}\"")
            .And.Contain("<option>CREATE declined</option>").And.Contain("<option>USER_BALANCE_NOT_ENOUGH</option>");
        response.StatusCode.Should().Be(HttpStatusCode.OK, page);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        var received = m.Receiver.Received.Should().ContainSingle().Subject;
        received.SignatureValid.Should().BeTrue();
        $"{received.SubscriptionNotificationType}/{received.SubscriptionStatus}".Should().Be("CREATE/TERMINATED");
        page.Should().Contain("<strong id=\"outcome\" class=\"acknowledged\">acknowledged</strong>").And.Contain("HTTP 200");
        var shown = WebUtility.HtmlDecode(page);
        shown.Should().Contain(received.Headers["signature"]).And.Contain(received.NotificationId)
            .And.Contain(Encoding.UTF8.GetString(TestSigner.Content(received.Path, received.Headers["client-id"], received.Headers["request-time"], received.RawBody)), "the signed content")
            .And.Contain(NotificationInbox.Acknowledgement, "the answer")
            .And.Contain($"href=\"{self}\"", "a link back to the merchant");
    }

    [Fact]
    public async Task DashboardForm_CustomBody_IsSentAsGiven_AndThePageEncodesWhatItShows()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        m.Receiver.Answer = _ => Task.FromResult((500, "<i>handler</i> failed"));
        const string custom = "\n{\"note\": \"<script>alert(1)</script>\"}";
        var self = $"/_emulator/ui/merchants/{m.Merchant.ClientId}";

        var response = await m.Http.PostAsync($"{self}/notifications/test", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["kind"] = "notifyPayment",
            ["sample"] = "SUCCESS",
            ["url"] = "",
            ["body"] = custom,
        }));
        var page = await response.Content.ReadAsStringAsync();

        response.StatusCode.Should().Be(HttpStatusCode.OK, page);
        var received = m.Receiver.Received.Should().ContainSingle().Subject;
        received.Path.Should().Be("/antom/notify/payment", "an empty URL is the registered one");
        received.RawBody.Should().Equal(Encoding.UTF8.GetBytes(custom));
        page.Should().Contain("class=\"rejected\">rejected</strong>").And.Contain("HTTP 500")
            .And.NotContain("<script>").And.NotContain("<i>")
            .And.Contain("&lt;script&gt;").And.Contain("&lt;i&gt;handler&lt;/i&gt;");
        page.Should().Contain("id=\"send-again\"").And.Contain($">\n{WebUtility.HtmlEncode(custom)}</textarea>", "the body sent, to edit and send again (its leading line break kept)");
    }

    [Theory]
    [InlineData("refusesUnverifiable", "class=\"passed\">Forged (signed with another key): the endpoint must not acknowledge it, and it refused it. Passed, if the same endpoint acknowledges a genuine notification (send one with a valid signature): an endpoint that refuses everything passes too.</p>", "class=\"rejected\">rejected</strong>")]
    [InlineData("acknowledgesEverything", "class=\"failed\">Forged (signed with another key): the endpoint must not acknowledge it, but it acknowledged it. Not passed: it trusts a notification Antom did not sign.</p>", "class=\"acknowledged\">acknowledged</strong>")]
    public async Task DashboardForm_WithAForgery_SendsItForged_AndThePageSaysWhetherTheEndpointPassed(string endpoint, string verdict, string outcome)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        if (endpoint == "acknowledgesEverything")
        {
            m.Receiver.Answer = _ => Task.FromResult((200, NotificationInbox.Acknowledgement));
        }

        var self = $"/_emulator/ui/merchants/{m.Merchant.ClientId}";

        var merchantPage = await m.Http.GetStringAsync(self);
        var response = await m.Http.PostAsync($"{self}/notifications/test", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["kind"] = "notifyPayment",
            ["sample"] = "SUCCESS",
            ["url"] = m.Receiver.PaymentUrl,
            ["forgery"] = "wrongKey",
            ["body"] = "",
        }));
        var page = await response.Content.ReadAsStringAsync();

        merchantPage.Should().Contain("<select name=\"forgery\"><option value=\"\" selected>valid signature</option><option value=\"wrongKey\">signed with another key</option>"
            + "<option value=\"tamperedBody\">body changed after signing</option><option value=\"noSignature\">no signature</option></select>");
        System.Text.RegularExpressions.Regex.Matches(merchantPage, "<select name=\"forgery\">").Should().HaveCount(2, "both forms, notifySubscription's and notifyPayment's");
        response.StatusCode.Should().Be(HttpStatusCode.OK, page);
        m.Receiver.Received.Should().ContainSingle().Which.SignatureValid.Should().BeFalse();
        page.Should().Contain(outcome).And.Contain("<p id=\"verdict\" " + verdict)
            .And.Contain("<option value=\"wrongKey\" selected>", "sending again keeps the forgery");
    }

    [Theory]
    [InlineData("kind=notifyPayment&sample=NOPE", 400, "resultCode must be SUCCESS or an F code of deduction")]
    [InlineData("kind=notifySubscription&sample=SUCCESS", 400, "subscriptionNotificationType must be one of CREATE")]
    [InlineData("kind=notifyPayment&body=%7Bnot+json", 400, "body must be a JSON text")]
    [InlineData("kind=notifyPayment&url=notaurl", 400, "url must be an absolute http or https URL")]
    [InlineData("kind=notifyPayment&forgery=badKey", 400, "forgery must be one of wrongKey, tamperedBody, noSignature")]
    public async Task DashboardForm_Refused_IsAPageSayingWhy_AndSendsNothing(string form, int status, string says)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);

        var response = await m.Http.PostAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}/notifications/test", new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded"));
        var page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

        ((int)response.StatusCode).Should().Be(status);
        page.Should().Contain(says).And.Contain($"href=\"/_emulator/ui/merchants/{m.Merchant.ClientId}\"");
        m.Receiver.Received.Should().BeEmpty();
    }

    [Fact]
    public async Task DashboardForm_PostedFromAnotherSitesPage_IsRefused_AndSendsNothing()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/_emulator/ui/merchants/{m.Merchant.ClientId}/notifications/test")
        {
            Content = new StringContent($"kind=notifyPayment&url={Uri.EscapeDataString(m.Receiver.PaymentUrl)}", Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Add("Origin", "http://evil.example");
        request.Headers.Add("Sec-Fetch-Site", "cross-site");

        var response = await m.Http.SendAsync(request);
        var ownPage = await m.Http.PostAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}/notifications/test",
            new StringContent("kind=notifyPayment", Encoding.UTF8, "application/x-www-form-urlencoded"));

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden, "another site's page cannot make the emulator post to a URL of its choice");
        ownPage.StatusCode.Should().Be(HttpStatusCode.OK);
        m.Receiver.Received.Should().ContainSingle("only the form from the emulator's own page was sent");
    }

    private static async Task<JsonObject> SendAsync(MerchantHarness m, object request)
    {
        var response = await m.Http.PostAsJsonAsync($"{m.Control}/notifications/test", request);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    private static JsonObject Golden(string name) => JsonNode.Parse(Fixtures.Read("golden/" + name))!.AsObject();

    private static IEnumerable<string> Members(JsonObject json) => json.Select(p => p.Key);
}
