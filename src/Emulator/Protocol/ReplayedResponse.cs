using System.Text.Json;

namespace Emulator.Protocol;

/// <summary>A response whose exact bytes are already fixed (the first answer to an idempotent request).</summary>
public sealed record ReplayedResponse(AntomResult Result, byte[] Body) : AntomResponse(Result)
{
    public static ReplayedResponse From(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        var result = document.RootElement.GetProperty("result").Deserialize<AntomResult>(WireJson.Options)!;
        return new ReplayedResponse(result, body);
    }
}
