using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Protocol;

/// <summary>One malformed request of the battery and what the emulator must answer.</summary>
public sealed record MalformedRequestCase(
    string Name,
    string Api,
    Action<JsonObject, DateTimeOffset> Mutate,
    string ExpectedCode,
    string MessageMustContain,
    Func<SignedRequest, SignedRequest>? Transport = null);
