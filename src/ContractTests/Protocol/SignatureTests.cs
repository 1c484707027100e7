using System.Net;
using System.Security.Cryptography;
using System.Text;
using ContractTests.Support;

namespace ContractTests.Protocol;

/// <summary>Request signature verification and response signing, through the wire (SPEC §1.3–1.5, §9).</summary>
[Collection(EmulatorCollection.Name)]
public sealed class SignatureTests(EmulatorFactory factory)
{
    private readonly AntomTestClient client = new(factory.CreateClient());

    [Fact]
    public async Task Create_ValidSignature_AnswersSignedSuccessWithLowerCaseHeaders()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);

        var reply = await client.CallAsync(merchant, "create", Bodies.Create(factory.Time.GetUtcNow()));

        reply.Status.Should().Be(HttpStatusCode.OK);
        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        reply.SignatureValid.Should().BeTrue();
        reply.Headers.Keys.Should().Contain(["client-id", "response-time", "signature"]);
        reply.Headers["client-id"].Should().Be(merchant.ClientId);
        reply.Headers["signature"].Should().StartWith("algorithm=RSA256,keyVersion=1,signature=");
        reply.Headers["Content-Type"].Should().Be("application/json; charset=UTF-8");
    }

    [Theory]
    [InlineData("algorithm=RSA256,keyVersion=1,signature={0}", false)]
    [InlineData("algorithm=RSA256, keyVersion=1, signature={0}", false)]
    [InlineData("algorithm=RSA256,signature={0}", false)]
    [InlineData("signature={0},algorithm=RSA256", false)]
    [InlineData("ALGORITHM=RSA256,KEYVERSION=1,SIGNATURE={0}", false)]
    [InlineData("algorithm=RSA256,keyVersion=1,signature={0}", true)]
    public async Task Create_SignatureHeaderVariants_AreAccepted(string format, bool lowerHex)
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var request = Request(merchant) with { SignatureHeader = b64 => string.Format(format, TestSigner.UrlEncode(b64, lowerHex)) };

        var reply = await client.SendAsync(request);

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        reply.SignatureValid.Should().BeTrue();
    }

    [Fact]
    public async Task Create_SignatureNotUrlEncoded_IsStillVerified()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var request = Request(merchant) with { SignatureHeader = b64 => $"algorithm=RSA256,keyVersion=1,signature={b64}" };

        var reply = await client.SendAsync(request);

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
    }

    [Theory]
    [InlineData("1764000000000")]
    [InlineData("2026-11-24T05:43:45+00:00")]
    [InlineData("2026-11-24T05:43:11.5978885Z")]
    public async Task Create_RequestTimeForms_AreAccepted(string requestTime)
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);

        var reply = await client.SendAsync(Request(merchant) with { RequestTime = requestTime });

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
    }

    [Theory]
    [InlineData("/ams/api/v1/subscriptions/create")]
    [InlineData("/ams/sandbox/api/v1/subscriptions/create")]
    public async Task Create_BothPathPrefixes_VerifyAgainstThePathReceived(string path)
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);

        var reply = await client.SendAsync(Request(merchant) with { Path = path });

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        reply.SignatureValid.Should().BeTrue("the response is signed over the request path {0}", path);
    }

    [Fact]
    public async Task Create_SignedForTheOtherPrefix_IsInvalidSignatureShowingTheVerifiedContent()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var request = Request(merchant);
        var productionPath = "/ams/api/v1/subscriptions/create";
        var signedForSandbox = TestSigner.SignBase64(merchant.PrivateKey, request.Path, merchant.ClientId, request.RequestTime, request.Body);

        var reply = await client.SendAsync(request with
        {
            Path = productionPath,
            SignatureHeader = _ => $"algorithm=RSA256,keyVersion=1,signature={TestSigner.UrlEncode(signedForSandbox)}",
        });

        reply.ResultCode.Should().Be("INVALID_SIGNATURE");
        reply.ResultStatus.Should().Be("F");
        reply.SignatureValid.Should().BeTrue();
        reply.ResultMessage.Should().Contain($"POST {productionPath}\\n{merchant.ClientId}.{request.RequestTime}.{{\"subscriptionRequestId\"");
    }

    [Fact]
    public async Task Create_SignedByAnotherKey_IsInvalidSignature()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        using var otherKey = RSA.Create(2048);

        var reply = await client.SendAsync(Request(merchant) with { Key = otherKey });

        reply.ResultCode.Should().Be("INVALID_SIGNATURE");
        reply.ResultMessage.Should().Contain("does not verify with the public key registered for " + merchant.ClientId);
        reply.SignatureValid.Should().BeTrue();
    }

    [Fact]
    public async Task Create_TamperedBody_IsInvalidSignatureAndCreatesNothing()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);
        var request = Request(merchant);
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(request.Body).Replace("19900", "00100", StringComparison.Ordinal));

        var reply = await client.SendAsync(request with { Body = tampered, SignedBodyOverride = request.Body });

        reply.ResultCode.Should().Be("INVALID_SIGNATURE");
        var list = await client.Http.GetStringAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions");
        list.Should().Be("[]");
    }

    [Fact]
    public async Task Create_MissingSignature_IsInvalidSignatureNamingTheExpectedHeader()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);

        var reply = await client.SendAsync(Request(merchant) with { OmitSignature = true });

        reply.ResultCode.Should().Be("INVALID_SIGNATURE");
        reply.ResultMessage.Should().Contain("header Signature is missing").And.Contain("algorithm=RSA256,keyVersion=1,signature=");
        reply.SignatureValid.Should().BeTrue();
    }

    [Fact]
    public async Task Create_UnknownKeyVersion_IsKeyNotFound()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);

        var reply = await client.SendAsync(Request(merchant) with { SignatureHeader = b64 => $"algorithm=RSA256,keyVersion=7,signature={TestSigner.UrlEncode(b64)}" });

        reply.ResultCode.Should().Be("KEY_NOT_FOUND");
        reply.ResultMessage.Should().Contain("'7'");
    }

    [Fact]
    public async Task Create_UnknownClientId_IsUnknownClientEchoingTheClientId()
    {
        var merchant = new TestMerchant("SANDBOX_NOBODY_HERE", TestMerchant.SharedKey);

        var reply = await client.SendAsync(Request(merchant));

        reply.ResultCode.Should().Be("UNKNOWN_CLIENT");
        reply.Headers["client-id"].Should().Be("SANDBOX_NOBODY_HERE");
        reply.SignatureValid.Should().BeTrue();
    }

    [Fact]
    public async Task DefaultMerchant_FixtureKey_SignsAcceptedRequests()
    {
        var merchant = new TestMerchant(Fixtures.DefaultClientId, Fixtures.DefaultMerchantPrivateKey);
        var body = Bodies.Create(factory.Time.GetUtcNow());
        body.Remove("subscriptionNotificationUrl");
        body.Remove("paymentNotificationUrl");

        var reply = await client.CallAsync(merchant, "create", body);

        reply.ResultCode.Should().Be("SUCCESS", "the default merchant has Dashboard-default notification URLs: {0}", reply.ResultMessage);
    }

    [Fact]
    public async Task UnknownPathUnderAms_IsNoInterfaceDefinition()
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);

        var reply = await client.SendAsync(Request(merchant) with { Path = "/ams/api/v1/subscriptions/renew" });

        reply.ResultCode.Should().Be("NO_INTERFACE_DEF");
        reply.Status.Should().Be(HttpStatusCode.OK);
        reply.SignatureValid.Should().BeTrue();
    }

    [Theory]
    [InlineData("/ams/api/v1/payments/inquiryPayment?x=1", "inquireSubscriptionPayment")]
    public async Task AntomApiNotEmulated_IsNoInterfaceDefinition_SayingSo(string path, string hint)
    {
        var merchant = await TestMerchant.CreateAsync(client.Http);

        var reply = await client.SendAsync(Request(merchant) with { Path = path });

        reply.ResultCode.Should().Be("NO_INTERFACE_DEF");
        reply.ResultMessage.Should().Contain("is an Antom API that this emulator does not emulate").And.Contain(hint);
        reply.SignatureValid.Should().BeTrue();
    }

    [Fact]
    public async Task KnownPath_WithGet_IsMethodNotSupported()
    {
        using var response = await client.Http.GetAsync("/ams/api/v1/subscriptions/create");

        var reply = await AntomTestClient.ReadAsync(response, "/ams/api/v1/subscriptions/create");

        reply.Status.Should().Be(HttpStatusCode.OK);
        reply.ResultCode.Should().Be("METHOD_NOT_SUPPORTED");
        reply.SignatureValid.Should().BeTrue();
    }

    private SignedRequest Request(TestMerchant merchant) => new()
    {
        Path = AntomTestClient.PathOf("create"),
        Body = Encoding.UTF8.GetBytes(Bodies.Create(factory.Time.GetUtcNow()).ToJsonString()),
        ClientId = merchant.ClientId,
        Key = merchant.PrivateKey,
    };
}
