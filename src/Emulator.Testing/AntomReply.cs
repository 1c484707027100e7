using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Emulator.Testing;

/// <summary>An answer of the emulated API, its signature already checked with the Antom public key.</summary>
public sealed record AntomReply(HttpStatusCode Status, byte[] RawBody, IReadOnlyDictionary<string, string> Headers, bool SignatureValid)
{
    public JsonObject Json => JsonNode.Parse(RawBody)!.AsObject();

    public string Text => Encoding.UTF8.GetString(RawBody);

    public string ResultCode => (string)Json["result"]!["resultCode"]!;

    public string ResultStatus => (string)Json["result"]!["resultStatus"]!;

    public string ResultMessage => (string?)Json["result"]!["resultMessage"] ?? "";
}
