using System.Text;
using System.Text.Json;

namespace Emulator.Protocol;

/// <summary>
/// The <c>NumbersAsStrings</c> setting (SPEC §10): every JSON number of an answer or notification written as a string
/// holding the same digits, for clients modelled on Antom's documents (all fields strings) rather than on its SDKs.
/// Everything else is kept byte for byte.
/// </summary>
public static class WireNumbers
{
    public static byte[] AsStrings(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        List<(int Start, int Length)>? numbers = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.Number)
            {
                (numbers ??= []).Add(((int)reader.TokenStartIndex, reader.ValueSpan.Length));
            }
        }

        if (numbers is null)
        {
            return json;
        }

        var output = new byte[json.Length + 2 * numbers.Count];
        var (read, written) = (0, 0);
        foreach (var (start, length) in numbers)
        {
            json.AsSpan(read, start - read).CopyTo(output.AsSpan(written));
            written += start - read;
            output[written++] = (byte)'"';
            json.AsSpan(start, length).CopyTo(output.AsSpan(written));
            written += length;
            output[written++] = (byte)'"';
            read = start + length;
        }

        json.AsSpan(read).CopyTo(output.AsSpan(written));
        return output;
    }

    public static string AsStrings(string json) => Encoding.UTF8.GetString(AsStrings(Encoding.UTF8.GetBytes(json)));
}
