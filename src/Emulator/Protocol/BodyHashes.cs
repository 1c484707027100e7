using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Emulator.Protocol;

/// <summary>
/// What idempotency compares (SPEC §10): a request repeated under its request id must mean the same, not be the same
/// bytes. JSON objects are unordered, so the hash is of the body with each object's members sorted by name and without
/// insignificant white space; a retry whose serializer orders the members differently is the same request.
/// </summary>
public static class BodyHashes
{
    public static string Canonical(JsonElement root) => Hash(root, sorted: true);

    /// <summary>
    /// The hash stored before members were sorted (white space removed, order kept), so that a request first answered
    /// by an earlier version still gets its first answer when repeated.
    /// </summary>
    public static string InWrittenOrder(JsonElement root) => Hash(root, sorted: false);

    private static string Hash(JsonElement root, bool sorted)
    {
        var written = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(written))
        {
            if (sorted)
            {
                WriteSorted(root, writer);
            }
            else
            {
                root.WriteTo(writer);
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(written.WrittenSpan));
    }

    private static void WriteSorted(JsonElement element, Utf8JsonWriter writer)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                // OrderBy is stable: members repeating a name keep their order.
                writer.WriteStartObject();
                foreach (var member in element.EnumerateObject().OrderBy(m => m.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(member.Name);
                    WriteSorted(member.Value, writer);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteSorted(item, writer);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
