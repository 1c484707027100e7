namespace Emulator.Protocol;

/// <summary>
/// The parsed <c>Signature</c> header. Parsing is tolerant (SPEC §1.3): pairs may be separated by commas with or
/// without spaces, keys are matched in any case, and <c>keyVersion</c> may be absent.
/// </summary>
public sealed record SignatureHeader(string? Algorithm, string? KeyVersion, string? EncodedSignature)
{
    public static SignatureHeader Parse(string? value)
    {
        string? algorithm = null, keyVersion = null, signature = null;
        foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }

            var key = part[..eq].Trim();
            var val = part[(eq + 1)..].Trim();
            if (key.Equals("algorithm", StringComparison.OrdinalIgnoreCase))
            {
                algorithm = val;
            }
            else if (key.Equals("keyVersion", StringComparison.OrdinalIgnoreCase))
            {
                keyVersion = val;
            }
            else if (key.Equals("signature", StringComparison.OrdinalIgnoreCase))
            {
                signature = val;
            }
        }

        return new SignatureHeader(algorithm, keyVersion, signature);
    }

    /// <summary>
    /// URL-decodes (either hex case) and base64-decodes the signature. <see cref="Uri.UnescapeDataString(string)"/> is
    /// used rather than form decoding so that a client that forgot to URL-encode (a literal '+') still verifies.
    /// </summary>
    public byte[]? DecodeSignature()
    {
        if (string.IsNullOrEmpty(EncodedSignature))
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(Uri.UnescapeDataString(EncodedSignature));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
