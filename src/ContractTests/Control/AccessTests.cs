using System.Net;
using System.Net.Http.Headers;
using ContractTests.Support;
using Microsoft.AspNetCore.Hosting;

namespace ContractTests.Control;

/// <summary>With <c>Emulator:AdminToken</c> set, the control API wants the bearer token; the emulated API does not.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class AccessTests(EmulatorFactory factory)
{
    [Fact]
    public async Task ControlApi_WithAdminToken_RefusesCallsWithoutIt()
    {
        await using var secured = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:AdminToken", "s3cret"));
        var http = secured.CreateClient();

        var without = await http.GetAsync("/_emulator/v1/keys");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        var wrong = await http.GetAsync("/_emulator/v1/keys");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        var right = await http.GetAsync("/_emulator/v1/keys");

        without.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        wrong.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        right.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task EmulatedApi_WithAdminToken_NeedsOnlyTheSignature()
    {
        await using var secured = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:AdminToken", "s3cret"));
        var client = new AntomTestClient(secured.CreateClient());

        var reply = await client.CallAsync(new TestMerchant(Fixtures.DefaultClientId, Fixtures.DefaultMerchantPrivateKey), "create", Bodies.Create(factory.Time.GetUtcNow()));

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
    }
}
