using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Protocol;

/// <summary>
/// Every malformed request gets HTTP 200, a verifiable signature, the expected result code and a message naming the
/// field and the rule, and changes nothing.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class MalformedRequestTests(EmulatorFactory factory)
{
    private readonly AntomTestClient client = new(factory.CreateClient());

    public static TheoryData<string> Cases => [.. MalformedRequestCases.All.Keys];

    [Fact]
    public void Battery_HasAtLeastOneHundredCases() => MalformedRequestCases.All.Count.Should().BeGreaterThanOrEqualTo(100);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task MalformedRequest_IsRefusedWithTheFieldAndTheRule(string name)
    {
        var testCase = MalformedRequestCases.All[name];
        var merchant = await TestMerchant.CreateAsync(client.Http, withDefaultUrls: false);
        var now = factory.Time.GetUtcNow();
        var body = testCase.Api switch
        {
            "create" => Bodies.Create(now),
            "change" => Bodies.Change("20260301190000000000000000000000001"),
            "update" => Bodies.Update("20260301190000000000000000000000001", amount: "29900"),
            "refund" => Bodies.Refund("20260301110000000000000000000000001", "5000"),
            "inquiryRefund" => new JsonObject { ["refundId"] = "20260301120000000000000000000000001" },
            _ => Bodies.Cancel("20260301190000000000000000000000001"),
        };
        testCase.Mutate(body, now);
        var request = new SignedRequest
        {
            Path = AntomTestClient.PathOf(testCase.Api),
            Body = Encoding.UTF8.GetBytes(body.ToJsonString()),
            ClientId = merchant.ClientId,
            Key = merchant.PrivateKey,
        };
        request = testCase.Transport?.Invoke(request) ?? request;

        var reply = await client.SendAsync(request);

        reply.Status.Should().Be(HttpStatusCode.OK);
        reply.SignatureValid.Should().BeTrue("every answer is signed, failures included");
        reply.ResultCode.Should().Be(testCase.ExpectedCode, reply.ResultMessage);
        reply.ResultStatus.Should().Be("F");
        reply.ResultMessage.Should().Contain(testCase.MessageMustContain);
        var stored = await client.Http.GetStringAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions");
        stored.Should().Be("[]", "a refused request changes nothing");
    }
}
