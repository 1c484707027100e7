using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace ContractTests.Support;

/// <summary>What came back from the emulated API, with the signature already checked independently.</summary>
public sealed record AntomReply(HttpStatusCode Status, byte[] RawBody, IReadOnlyDictionary<string, string> Headers, bool SignatureValid)
{
    public JsonObject Json => JsonNode.Parse(RawBody)!.AsObject();

    public string Text => Encoding.UTF8.GetString(RawBody);

    public string ResultCode => (string)Json["result"]!["resultCode"]!;

    public string ResultStatus => (string)Json["result"]!["resultStatus"]!;

    public string ResultMessage => (string?)Json["result"]!["resultMessage"] ?? "";
}
