using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ContractTests.Support;
using Microsoft.AspNetCore.Hosting;
using Emulator.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace ContractTests.Protocol;

/// <summary>Failures inside the emulator still leave as signed Antom answers; the signing key is a setting.</summary>
public sealed class ResilienceTests
{
    [Fact]
    public async Task UnexpectedFailure_IsSignedUnknownException_NeverAnHttp500()
    {
        await using var factory = new EmulatorFactory();
        var client = new AntomTestClient(factory.CreateClient());
        var merchant = await TestMerchant.CreateAsync(client.Http);
        await using (var connection = await factory.Services.GetRequiredService<Database>().OpenAsync(CancellationToken.None))
        {
            await using var drop = connection.CreateCommand();
            drop.CommandText = "DROP TABLE subscriptions";
            await drop.ExecuteNonQueryAsync();
        }

        var reply = await client.CallAsync(merchant, "create", Bodies.Create(factory.Time.GetUtcNow()));

        reply.Status.Should().Be(HttpStatusCode.OK);
        reply.SignatureValid.Should().BeTrue();
        reply.ResultCode.Should().Be("UNKNOWN_EXCEPTION");
        reply.ResultStatus.Should().Be("U");
    }

    [Fact]
    public async Task AntomPrivateKeySetting_ReplacesTheSigningKey()
    {
        using var key = RSA.Create(2048);
        await using var factory = new EmulatorFactory();
        await using var custom = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:AntomPrivateKey", Convert.ToBase64String(key.ExportPkcs8PrivateKey())));
        var http = custom.CreateClient();
        var merchant = await TestMerchant.CreateAsync(http);
        var body = Encoding.UTF8.GetBytes(Bodies.Create(factory.Time.GetUtcNow()).ToJsonString());
        var path = AntomTestClient.PathOf("create");

        var keys = await http.GetFromJsonAsync<JsonObject>("/_emulator/v1/keys");
        using var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        message.Headers.TryAddWithoutValidation("Client-Id", merchant.ClientId);
        message.Headers.TryAddWithoutValidation("Request-Time", "1764000000000");
        message.Headers.TryAddWithoutValidation("Signature", "algorithm=RSA256,keyVersion=1,signature=" + TestSigner.UrlEncode(TestSigner.SignBase64(merchant.PrivateKey, path, merchant.ClientId, "1764000000000", body)));
        var response = await http.SendAsync(message);
        var raw = await response.Content.ReadAsByteArrayAsync();

        ((string)keys!["antomPublicKey"]!).Should().Be(Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()));
        TestSigner.Verify(key, path, merchant.ClientId, response.Headers.GetValues("response-time").Single(), raw, response.Headers.GetValues("signature").Single())
            .Should().BeTrue();
    }
}
