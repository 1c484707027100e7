using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Emulator.Testing;

/// <summary>
/// An answer of the emulated API, its signature already checked with the Antom public key; or, when the call got no
/// Antom answer (a <c>timeout</c>, <c>reset</c> or <c>http500</c> transport fault, a client time limit),
/// <see cref="NoAnswer"/> says why.
/// </summary>
public sealed record AntomReply(HttpStatusCode Status, byte[] RawBody, IReadOnlyDictionary<string, string> Headers, bool SignatureValid)
{
    /// <summary>Why there is no Antom answer to read (no response, or one that is not Antom's JSON envelope); null when there is one.</summary>
    public string? NoAnswer { get; init; }

    /// <summary>A call that got no answer at all: the outcome is unknown, as after a <c>U</c>.</summary>
    public static AntomReply Without(string why) => new(0, [], new Dictionary<string, string>(), false) { NoAnswer = why };

    public JsonObject Json => NoAnswer is null ? JsonNode.Parse(RawBody)!.AsObject() : throw new InvalidOperationException($"the call got no Antom answer: {NoAnswer}");

    public string Text => Encoding.UTF8.GetString(RawBody);

    public string ResultCode => (string)Json["result"]!["resultCode"]!;

    public string ResultStatus => (string)Json["result"]!["resultStatus"]!;

    public string ResultMessage => (string?)Json["result"]!["resultMessage"] ?? "";

    /// <summary>The body when it is Antom's envelope; else why it is not (an HTTP 500 page, say).</summary>
    internal static AntomReply Read(HttpStatusCode status, byte[] raw, IReadOnlyDictionary<string, string> headers, bool valid)
    {
        try
        {
            if (JsonNode.Parse(raw) is JsonObject { } json && json["result"] is JsonObject)
            {
                return new AntomReply(status, raw, headers, valid);
            }
        }
        catch (JsonException)
        {
            // Not JSON: said below.
        }

        var text = Encoding.UTF8.GetString(raw);
        return new AntomReply(status, raw, headers, valid) { NoAnswer = $"HTTP {(int)status} with a body that is not Antom's result envelope ({(text.Length > 80 ? text[..80] + "…" : text)})" };
    }
}
