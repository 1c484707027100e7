using System.Text.Json;
using System.Text.Json.Serialization;

namespace Emulator.Persistence;

/// <summary>How documents are stored in the database's <c>doc</c> columns.</summary>
public static class PersistenceJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
