using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ContractTests.Support;

/// <summary>Sends signed requests like a merchant's SDK and checks every answer's signature independently.</summary>
public sealed class AntomTestClient(HttpClient http)
{
    public HttpClient Http => http;

    public static string PathOf(string api, bool sandbox = true) => (sandbox ? "/ams/sandbox/api" : "/ams/api") + Emulator.Testing.EmulatorMerchant.ApiPath(api);

    public Task<AntomReply> CallAsync(TestMerchant merchant, string api, JsonNode body, string? requestTime = null, CancellationToken cancellationToken = default) =>
        SendAsync(
            new SignedRequest
            {
                Path = PathOf(api),
                Body = Encoding.UTF8.GetBytes(body.ToJsonString()),
                ClientId = merchant.ClientId,
                Key = merchant.PrivateKey,
                RequestTime = requestTime ?? "1764000000000",
            },
            cancellationToken);

    /// <param name="cancellationToken">Gives up waiting for the answer, as a client's time limit does.</param>
    public async Task<AntomReply> SendAsync(SignedRequest request, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, request.Path)
        {
            Content = new ByteArrayContent(request.Body),
        };
        message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=UTF-8");
        if (!request.OmitClientId)
        {
            message.Headers.TryAddWithoutValidation("Client-Id", request.ClientId);
        }

        if (!request.OmitRequestTime)
        {
            message.Headers.TryAddWithoutValidation("Request-Time", request.RequestTime);
        }

        if (!request.OmitSignature)
        {
            var b64 = TestSigner.SignBase64(request.Key, request.Path, request.ClientId, request.RequestTime, request.SignedBodyOverride ?? request.Body);
            message.Headers.TryAddWithoutValidation("Signature", request.SignatureHeader(b64));
        }

        foreach (var (name, value) in request.ExtraHeaders)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await http.SendAsync(message, cancellationToken);
        return await ReadAsync(response, request.Path);
    }

    public static async Task<AntomReply> ReadAsync(HttpResponseMessage response, string requestPath)
    {
        var raw = await response.Content.ReadAsByteArrayAsync();
        var headers = response.Headers.Concat(response.Content.Headers)
            .ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.Ordinal);
        var valid = headers.TryGetValue("signature", out var signature)
            && headers.TryGetValue("client-id", out var clientId)
            && headers.TryGetValue("response-time", out var time)
            && TestSigner.Verify(Fixtures.AntomPublicKey, requestPath, clientId, time, raw, signature);
        return new AntomReply(response.StatusCode, raw, headers, valid);
    }
}
