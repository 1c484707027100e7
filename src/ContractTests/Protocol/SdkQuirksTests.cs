using System.Text;
using ContractTests.Support;

namespace ContractTests.Protocol;

/// <summary>What the official SDKs really put on the wire (SPEC §9), each as an explicit case.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class SdkQuirksTests(EmulatorFactory factory)
{
    private readonly AntomTestClient client = new(factory.CreateClient());

    /// <summary>
    /// The .NET SDK: compact JSON, every unset field as null, never-set enums as their first member, '+' escaped as
    /// \u002B, a round-trip UTC request time and lower-case percent-encoding.
    /// </summary>
    [Fact]
    public async Task Create_DotNetSdkBody_IsAccepted()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var start = factory.Time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss") + "\\u002B08:00";
        var body = $$$"""{"subscriptionRequestId":"dotnet-{{{Guid.NewGuid():N}}}","subscriptionDescription":"Plan \u002B extras","subscriptionRedirectUrl":"https://merchant.example/return","subscriptionStartTime":"{{{start}}}","subscriptionEndTime":null,"periodRule":{"periodType":"MONTH","periodCount":1,"period":null,"price":null},"subscriptionExpiryTime":null,"paymentMethod":{"paymentMethodType":"GCASH","paymentMethodId":null,"paymentMethodMetaData":null,"customerId":null,"extendInfo":null,"requireIssuerAuthentication":null,"funding":"CREDIT"},"subscriptionNotificationUrl":"https://merchant.example/s","paymentNotificationUrl":"https://merchant.example/p","orderInfo":{"orderAmount":{"currency":"PHP","value":"100"}},"paymentAmount":{"currency":"PHP","value":"100"},"settlementStrategy":null,"env":{"terminalType":"WEB","osType":"IOS","userAgent":null,"deviceTokenId":null,"clientIp":null,"cookieId":null,"extendInfo":null,"browserInfo":null},"trials":null,"merchantAccountId":null,"allowAccumulate":null,"maxAccumulateAmount":null}""";

        var reply = await client.SendAsync(new SignedRequest
        {
            Path = AntomTestClient.PathOf("create"),
            Body = Encoding.UTF8.GetBytes(body),
            ClientId = merchant.ClientId,
            Key = merchant.PrivateKey,
            RequestTime = "2026-11-24T05:43:11.5978885Z",
            SignatureHeader = b64 => $"algorithm=RSA256,keyVersion=1,signature={TestSigner.UrlEncode(b64, lowerHex: true)}",
        });

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        reply.SignatureValid.Should().BeTrue();
    }

    /// <summary>
    /// A body written after a UTF-8 byte order mark (.NET Framework's <c>StreamWriter</c> with <c>Encoding.UTF8</c>,
    /// Windows PowerShell's <c>-Encoding UTF8</c>) is read, as Java's JSON parsers read it, and is the same request as
    /// without the mark. Found by the wire fuzz: it was PARAM_ILLEGAL "'0xEF' is an invalid start of a value".
    /// </summary>
    [Fact]
    public async Task Create_BodyAfterAUtf8ByteOrderMark_IsReadAsTheSameRequest()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var json = Encoding.UTF8.GetBytes(Bodies.Create(factory.Time.GetUtcNow()).ToJsonString());
        SignedRequest Request(byte[] body) => new() { Path = AntomTestClient.PathOf("create"), Body = body, ClientId = merchant.ClientId, Key = merchant.PrivateKey };

        var marked = await client.SendAsync(Request([0xEF, 0xBB, 0xBF, .. json]));
        var plain = await client.SendAsync(Request(json));

        marked.ResultCode.Should().Be("SUCCESS", marked.ResultMessage);
        marked.SignatureValid.Should().BeTrue("the mark is signed with the rest of the body");
        plain.RawBody.Should().Equal(marked.RawBody, "the same JSON, with or without the mark, is the same request");
    }

    /// <summary>Older releases of the Go SDK send Request-Time in nanoseconds since the epoch (19 digits).</summary>
    [Fact]
    public async Task Create_NanosecondRequestTime_IsAccepted()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);

        var reply = await client.SendAsync(new SignedRequest
        {
            Path = AntomTestClient.PathOf("create"),
            Body = Encoding.UTF8.GetBytes(Bodies.Create(factory.Time.GetUtcNow()).ToJsonString()),
            ClientId = merchant.ClientId,
            Key = merchant.PrivateKey,
            RequestTime = "1795961309680044517",
        });

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        reply.SignatureValid.Should().BeTrue();
    }

    /// <summary>
    /// The Go SDK joins its gateway URL and the API path as they are: a gateway URL that ends in '/' (http://host:port/)
    /// sends the request to '//ams/…' while signing '/ams/…', and verifies the answer over the path it sent. Such a path
    /// matched no route and was an unsigned HTTP 404 problem, which the SDK could only report as a missing signature;
    /// it is a signed NO_INTERFACE_DEF that names the empty segment and the path to use, as for any path no API serves.
    /// </summary>
    [Fact]
    public async Task Create_GoSdkGatewayUrlEndingInSlash_IsASignedNoInterfaceDefNamingTheEmptySegment()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Encoding.UTF8.GetBytes(Bodies.Create(factory.Time.GetUtcNow()).ToJsonString());
        var path = AntomTestClient.PathOf("create");
        const string requestTime = "1795961309680044517";
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(client.Http.BaseAddress!.GetLeftPart(UriPartial.Authority) + "/" + path)) { Content = new ByteArrayContent(body) };
        message.Content.Headers.TryAddWithoutValidation("Content-Type", ["application/json", "application/json; charset=UTF-8"]);
        message.Headers.TryAddWithoutValidation("Client-Id", merchant.ClientId);
        message.Headers.TryAddWithoutValidation("Request-Time", requestTime);
        message.Headers.TryAddWithoutValidation("Key-Version", "1");
        message.Headers.TryAddWithoutValidation("Signature", $"algorithm=RSA256,keyVersion=1,signature={TestSigner.UrlEncode(TestSigner.SignBase64(merchant.PrivateKey, path, merchant.ClientId, requestTime, body))}");

        using var response = await client.Http.SendAsync(message);
        var reply = await AntomTestClient.ReadAsync(response, "/" + path);

        message.RequestUri!.AbsolutePath.Should().Be("/" + path, "the request goes out with the doubled slash, as the Go SDK sends it");
        reply.Status.Should().Be(System.Net.HttpStatusCode.OK);
        reply.SignatureValid.Should().BeTrue("the answer is signed over the path as sent, which is what the SDK verifies");
        reply.ResultCode.Should().Be("NO_INTERFACE_DEF");
        reply.ResultMessage.Should().Contain("empty path segment").And.Contain($"'{path}'");
    }

    /// <summary>
    /// System.Text.Json, as the .NET SDK uses it, escapes every character outside ASCII: an emoji becomes a pair of
    /// surrogate escapes, which is text (only half of a pair is refused).
    /// </summary>
    [Fact]
    public async Task Create_EmojiAndCjkAsEscapes_AreAcceptedAsTheirText()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());
        body["subscriptionDescription"] = "Premium 🎉 会员";
        var json = body.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Default });

        var reply = await client.SendAsync(new SignedRequest { Path = AntomTestClient.PathOf("create"), Body = Encoding.UTF8.GetBytes(json), ClientId = merchant.ClientId, Key = merchant.PrivateKey });
        var stored = await client.Http.GetStringAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions");

        json.Should().Contain("\\uD83C\\uDF89", "the body carries the emoji as a surrogate pair of escapes");
        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        System.Text.Json.Nodes.JsonNode.Parse(stored)![0]!["description"]!.GetValue<string>().Should().Be("Premium 🎉 会员");
    }

    /// <summary>The Python SDK: JSON indented with 3 spaces, ISO request time with offset, upper-case percent-encoding.</summary>
    [Fact]
    public async Task Create_PythonSdkIndentedBody_IsAcceptedAndVerifiedOverTheRawBytes()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var compact = Bodies.Create(factory.Time.GetUtcNow());
        compact["periodRule"]!["periodCount"] = "1";
        var indented = System.Text.Json.JsonSerializer.Serialize(compact, new System.Text.Json.JsonSerializerOptions { WriteIndented = true, IndentSize = 3 });

        var reply = await client.SendAsync(new SignedRequest
        {
            Path = AntomTestClient.PathOf("create"),
            Body = Encoding.UTF8.GetBytes(indented),
            ClientId = merchant.ClientId,
            Key = merchant.PrivateKey,
            RequestTime = "2026-11-24T05:43:45+00:00",
        });

        indented.Should().Contain("\n   \"subscriptionRequestId\"");
        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
    }

    [Fact]
    public async Task Create_ScalarsAsNumbersOrStrings_AreBothAccepted()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(factory.Time.GetUtcNow());
        body["periodRule"]!["periodCount"] = "3";
        body["paymentAmount"]!["value"] = 19900;
        body["trials"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
        {
            ["trialStartPeriod"] = 1,
            ["trialEndPeriod"] = "2",
            ["trialAmount"] = Bodies.Amount("PHP", "0"),
        });
        body["paymentMethod"]!["requireIssuerAuthentication"] = "false";

        var reply = await client.CallAsync(merchant, "create", body);

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
    }
}
