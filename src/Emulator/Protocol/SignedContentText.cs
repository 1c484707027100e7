using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Emulator.Protocol;

/// <summary>
/// Renders signed content for a human in an error message: line breaks and control characters escaped, so the
/// developer can compare it character by character with what their client signed. Long bodies are cut, with the
/// SHA-256 of the whole content to compare instead.
/// </summary>
public static class SignedContentText
{
    private const int MaxChars = 2048;

    public static string Describe(byte[] content)
    {
        var text = Encoding.UTF8.GetString(content);
        var builder = new StringBuilder(Math.Min(text.Length, MaxChars) + 64);
        foreach (var c in text.Length > MaxChars ? text[..MaxChars] : text)
        {
            builder.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\\' => "\\\\",
                _ when char.IsControl(c) => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        if (text.Length > MaxChars)
        {
            builder.Append(CultureInfo.InvariantCulture, $"… ({text.Length - MaxChars} more characters; SHA-256 of the whole content {Convert.ToHexStringLower(SHA256.HashData(content))})");
        }

        return builder.ToString();
    }
}
