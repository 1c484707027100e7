using System.Text.Json.Serialization;

namespace Emulator.Protocol;

/// <summary>Every Antom answer carries <c>result</c>; API-specific responses add their fields.</summary>
public record AntomResponse([property: JsonPropertyName("result"), JsonPropertyOrder(-1)] AntomResult Result);
