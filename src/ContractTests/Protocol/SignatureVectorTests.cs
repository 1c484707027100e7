using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ContractTests.Support;
using Emulator.Protocol;

namespace ContractTests.Protocol;

/// <summary>
/// The product's signer and verifier against vectors made by OpenSSL alone (fixtures/signature-vectors/make.sh), and
/// the request vectors replayed through the wire with their recorded signatures.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class SignatureVectorTests(EmulatorFactory factory)
{
    public static TheoryData<string> Vectors => [.. Directory.GetDirectories(Fixtures.Path("signature-vectors")).Select(d => Path.GetFileName(d)!).Order()];

    [Fact]
    public void Vectors_AreThere() => Vectors.Should().HaveCountGreaterThanOrEqualTo(5);

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Product_BuildsTheSameContentAndSignature(string name)
    {
        var vector = Load(name);
        using var key = RSA.Create();
        key.ImportFromPem(Fixtures.Read($"keys/{vector.Signer}-private.pem"));

        var content = AntomSignature.SignedContent(vector.Path, vector.ClientId, vector.Time, vector.Body);
        var signature = AntomSignature.Sign(key, content);

        content.Should().Equal(vector.Content);
        signature.Should().Be(vector.Signature);
        AntomSignature.Verify(key, content, Convert.FromBase64String(vector.Signature)).Should().BeTrue();
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Product_RefusesTheVectorWithOneByteChanged(string name)
    {
        var vector = Load(name);
        using var key = RSA.Create();
        key.ImportFromPem(Fixtures.Read($"keys/{vector.Signer}-public.pem"));
        var tampered = (byte[])vector.Content.Clone();
        tampered[^2] ^= 0x01;

        AntomSignature.Verify(key, tampered, Convert.FromBase64String(vector.Signature)).Should().BeFalse();
    }

    [Theory]
    [InlineData("create-sandbox-compact")]
    [InlineData("create-production-iso-time")]
    [InlineData("create-python-indented-unicode")]
    public async Task Emulator_AcceptsTheRecordedRequestOverTheWire(string name)
    {
        var vector = Load(name);
        var client = new AntomTestClient(factory.CreateClient());
        using var message = new HttpRequestMessage(HttpMethod.Post, vector.Path) { Content = new ByteArrayContent(vector.Body) };
        message.Headers.TryAddWithoutValidation("Client-Id", vector.ClientId);
        message.Headers.TryAddWithoutValidation("Request-Time", vector.Time);
        message.Headers.TryAddWithoutValidation("Signature", AntomSignature.HeaderValue(vector.Signature));

        var reply = await AntomTestClient.ReadAsync(await client.Http.SendAsync(message), vector.Path);

        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        reply.SignatureValid.Should().BeTrue();
    }

    private static Vector Load(string name)
    {
        var dir = Fixtures.Path(Path.Combine("signature-vectors", name));
        var meta = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "vector.json")))!;
        return new Vector(
            (string)meta["signer"]!,
            (string)meta["path"]!,
            (string)meta["clientId"]!,
            (string)meta["time"]!,
            File.ReadAllBytes(Path.Combine(dir, "body.json")),
            File.ReadAllBytes(Path.Combine(dir, "content.txt")),
            File.ReadAllText(Path.Combine(dir, "signature.b64")).Trim());
    }

    private sealed record Vector(string Signer, string Path, string ClientId, string Time, byte[] Body, byte[] Content, string Signature);
}
