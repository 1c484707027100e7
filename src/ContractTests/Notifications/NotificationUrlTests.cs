using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Notifications;

/// <summary>
/// Notification URLs beyond a plain path: a query string, a fragment, percent-escapes and non-ASCII characters, on a
/// create or as the merchant's defaults. Each notification goes to the URL's request target, and is signed over exactly
/// that target, path and query as sent on the wire (SPEC §1.5): a receiver verifies over the raw target it was called
/// at, not over its decoded path nor over the path alone. The receiver here reads the socket, so no server decodes
/// or normalizes what arrived.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class NotificationUrlTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Start = new(2027, 5, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task UrlsWithAQuery_AreCalledWithTheQuery_SignedOverPathAndQuery_NotOverThePathAlone()
    {
        var (received, ledger, body, m) = await DeliverAsync("/antom/notify/subscription?tenant=acme&token=a%2Fb", "/antom/notify/payment?tenant=acme&token=a%2Fb");
        await using var merchant = m;

        received.Select(r => (r.Method, r.Target)).Should().Equal(
            ("POST", "/antom/notify/subscription?tenant=acme&token=a%2Fb"),
            ("POST", "/antom/notify/payment?tenant=acme&token=a%2Fb"));
        received.Should().OnlyContain(r => r.SignedOver(r.Target) && r.Headers["client-id"] == m.Merchant.ClientId);
        received.Should().NotContain(r => r.SignedOver(r.Target.Split('?', 2)[0]), "the query is signed too: a receiver that verifies over its path alone refuses these");
        ledger.Select(n => (string)n!["url"]!).Should().BeEquivalentTo((string)body["subscriptionNotificationUrl"]!, (string)body["paymentNotificationUrl"]!);
        ledger.Should().OnlyContain(n => (string)n!["status"]! == "acknowledged");
    }

    [Fact]
    public async Task MerchantDefaultUrlsWithAQuery_AreCalledWithTheQuery_AndSignedOverIt()
    {
        await using var receiver = Http10Receiver.Start();
        var http = factory.CreateClient();
        var merchant = await TestMerchant.CreateAsync(
            http, subscriptionUrl: receiver.Url + "/antom/notify/subscription?tenant=acme", paymentUrl: receiver.Url + "/antom/notify/payment?tenant=acme&token=a%2Fb", frozenAt: Start);
        var body = MerchantHarness.Body(Start);

        (await new AntomTestClient(http).CallAsync(merchant, "create", body)).ResultCode.Should().Be("SUCCESS");
        await new Generated.EmulatorControlClient(http).ApproveSubscriptionRequestAsync(merchant.ClientId, (string)body["subscriptionRequestId"]!);
        var registered = await http.GetFromJsonAsync<JsonObject>($"/_emulator/v1/merchants/{merchant.ClientId}");
        var ledger = await http.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/notifications");

        receiver.Received.Select(r => r.Target).Should().Equal("/antom/notify/subscription?tenant=acme", "/antom/notify/payment?tenant=acme&token=a%2Fb");
        receiver.Received.Should().OnlyContain(r => r.SignedOver(r.Target));
        ((string)registered!["paymentNotificationUrl"]!).Should().Be(receiver.Url + "/antom/notify/payment?tenant=acme&token=a%2Fb");
        ledger!.Select(n => (string)n!["url"]!).Should().BeEquivalentTo(receiver.Url + "/antom/notify/subscription?tenant=acme", receiver.Url + "/antom/notify/payment?tenant=acme&token=a%2Fb");
    }

    /// <summary>
    /// A fragment belongs to the browser: it is not sent, so not signed. Antom's documents do not say whether a
    /// notification URL may carry one; the emulator accepts it, and its ledger shows the URL as the merchant gave it.
    /// </summary>
    [Fact]
    public async Task UrlWithAFragment_IsAccepted_AndCalledAndSignedWithoutIt()
    {
        var (received, ledger, body, m) = await DeliverAsync("/antom/notify/subscription#x", "/antom/notify/payment?tenant=acme#x");
        await using var merchant = m;

        received.Select(r => r.Target).Should().Equal("/antom/notify/subscription", "/antom/notify/payment?tenant=acme");
        received.Should().OnlyContain(r => r.SignedOver(r.Target) && !r.SignedOver(r.Target + "#x"));
        ledger.Select(n => (string)n!["url"]!).Should().BeEquivalentTo((string)body["subscriptionNotificationUrl"]!, (string)body["paymentNotificationUrl"]!);
        ledger.Should().OnlyContain(n => (string)n!["status"]! == "acknowledged");
    }

    /// <summary>
    /// Non-ASCII characters go out percent-encoded as UTF-8, escapes as written (<c>%2F</c> stays <c>%2F</c>): the
    /// signature is over those bytes, not over the decoded path a web framework hands its handler (ASP.NET Core's
    /// <c>Request.Path</c>, Express's <c>req.path</c>). Where .NET normalizes a URL on its way out (an escaped unreserved
    /// character such as <c>%7E</c> becomes <c>~</c>, dot segments are removed), what is signed is still what is sent.
    /// </summary>
    [Fact]
    public async Task UrlsWithEscapesOrNonAsciiCharacters_AreSignedOverTheTargetAsSent_NotTheDecodedOne()
    {
        var (received, _, _, m) = await DeliverAsync("/antom/zahlung-ü/subscription?name=müller&q=a b", "/antom/caf%C3%A9/a%2Fb/a%7Eb/./payment?token=x%3D%3D");
        await using var merchant = m;

        received.Should().HaveCount(2);
        received[0].Target.Should().Be("/antom/zahlung-%C3%BC/subscription?name=m%C3%BCller&q=a%20b");
        received[1].Target.Should().StartWith("/antom/caf%C3%A9/a%2Fb/").And.EndWith("/payment?token=x%3D%3D");
        received.Should().OnlyContain(r => r.SignedOver(r.Target), "the signature is over the request target byte for byte");
        received[0].SignedOver("/antom/zahlung-ü/subscription?name=müller&q=a b").Should().BeFalse("the decoded form is not what was signed");
        received[1].SignedOver("/antom/café/a%2Fb/a~b/payment?token=x%3D%3D").Should().BeFalse("nor is the path as ASP.NET Core's Request.Path decodes it");
    }

    /// <summary>
    /// The kit's inbox (what merchants' tests receive with) verifies over the request target as it came: over the
    /// decoded <c>Request.Path</c>, it refused the notifications to an escaped path as badly signed, and the emulator
    /// kept retrying them.
    /// </summary>
    [Fact]
    public async Task KitInbox_EscapedOrNonAsciiPath_VerifiesAndAcknowledges()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var body = MerchantHarness.Body(Start);
        body["subscriptionNotificationUrl"] = new Uri(m.Receiver.BaseAddress, "/antom/zahlung-ü/subscription?name=müller").ToString();
        body["paymentNotificationUrl"] = new Uri(m.Receiver.BaseAddress, "/antom/caf%C3%A9/payment").AbsoluteUri;

        await m.CreateAndApproveAsync(body);
        var ledger = await m.NotificationsAsync();

        ledger.Select(n => (string)n!["status"]!).Should().Equal("acknowledged", "acknowledged");
        m.Receiver.Received.Should().OnlyContain(r => r.SignatureValid);
        m.Receiver.Received.Select(r => r.Path).Should().Equal("/antom/zahlung-%C3%BC/subscription?name=m%C3%BCller", "/antom/caf%C3%A9/payment");
    }

    /// <summary>The kit tells a notifyPayment by its URL's path: a query after it made it a notifySubscription.</summary>
    [Fact]
    public async Task KitInbox_PaymentUrlWithAQuery_IsANotifyPayment()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var body = MerchantHarness.Body(Start);
        body["subscriptionNotificationUrl"] = m.Receiver.SubscriptionUrl + "?tenant=acme";
        body["paymentNotificationUrl"] = m.Receiver.PaymentUrl + "?tenant=acme";

        var subscriptionId = await m.CreateAndApproveAsync(body);
        var payment = await m.Receiver.WaitForAsync(n => n.IsPayment, TimeSpan.FromSeconds(5));

        m.Receiver.Received.Select(r => r.Kind).Should().Equal("notifySubscription", "notifyPayment");
        payment.PhaseNo.Should().Be(1);
        m.Payments(subscriptionId).Should().ContainSingle();
    }

    /// <summary>
    /// A subscription created with notification URLs of <paramref name="subscriptionPath"/> and <paramref name="paymentPath"/>
    /// on a socket receiver (which keeps each request's raw target), approved: what the receiver got, and the ledger.
    /// </summary>
    private async Task<(IReadOnlyList<WireRequest> Received, JsonArray Ledger, JsonObject Body, MerchantHarness Merchant)> DeliverAsync(string subscriptionPath, string paymentPath)
    {
        await using var receiver = Http10Receiver.Start();
        var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var body = MerchantHarness.Body(Start);
        body["subscriptionNotificationUrl"] = receiver.Url + subscriptionPath;
        body["paymentNotificationUrl"] = receiver.Url + paymentPath;

        await m.CreateAndApproveAsync(body);
        return (receiver.Received, await m.NotificationsAsync(), body, m);
    }
}
