using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Emulator.Protocol;

/// <summary>
/// What idempotency compares (SPEC §10): a request repeated under its request id must mean the same, not be the same
/// bytes. JSON objects are unordered and a member set to <c>null</c> is absent (docs/emulation.md "Input JSON"), so the hash is of
/// the body with each object's <c>null</c> members left out, the others sorted by name, and no insignificant white
/// space: a retry whose serializer orders the members differently, or writes the unset ones as <c>null</c> (the .NET
/// SDK does, and adds fields from one version to the next), is the same request.
/// </summary>
public static class BodyHashes
{
    private enum Form { Canonical, SortedWithNulls, WrittenOrder }

    public static string Canonical(JsonElement root) => Hash(root, Form.Canonical);

    /// <summary>
    /// The hash stored in the body's written order (white space removed), so that a request first answered by an
    /// earlier version still gets its first answer when repeated.
    /// </summary>
    public static string InWrittenOrder(JsonElement root) => Hash(root, Form.WrittenOrder);

    /// <summary>The hash stored with <c>null</c> members kept (sorted), by the versions before they were left out.</summary>
    public static string SortedWithNulls(JsonElement root) => Hash(root, Form.SortedWithNulls);

    /// <summary>Whether <paramref name="stored"/> is the hash an earlier version kept for this body.</summary>
    public static bool IsEarlierHashOf(string stored, JsonElement root) => stored == SortedWithNulls(root) || stored == InWrittenOrder(root);

    private static string Hash(JsonElement root, Form form)
    {
        var written = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(written))
        {
            if (form == Form.WrittenOrder)
            {
                root.WriteTo(writer);
            }
            else
            {
                WriteSorted(root, writer, keepNulls: form == Form.SortedWithNulls);
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(written.WrittenSpan));
    }

    private static void WriteSorted(JsonElement element, Utf8JsonWriter writer, bool keepNulls)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                // OrderBy is stable: members repeating a name keep their order.
                writer.WriteStartObject();
                foreach (var member in element.EnumerateObject().Where(m => keepNulls || m.Value.ValueKind != JsonValueKind.Null).OrderBy(m => m.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(member.Name);
                    WriteSorted(member.Value, writer, keepNulls);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                // An array's items keep their places, nulls included.
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteSorted(item, writer, keepNulls);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
