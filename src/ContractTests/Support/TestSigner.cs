using System.Security.Cryptography;
using System.Text;

namespace ContractTests.Support;

/// <summary>
/// An independent implementation of Antom's signing (SPEC §1.5), written from the spec and not from the product, so a
/// bug in the product's signer cannot hide itself.
/// </summary>
public static class TestSigner
{
    public static byte[] Content(string path, string clientId, string time, byte[] body) =>
        [.. Encoding.UTF8.GetBytes($"POST {path}\n{clientId}.{time}."), .. body];

    public static string SignBase64(RSA key, string path, string clientId, string time, byte[] body) =>
        Convert.ToBase64String(key.SignData(Content(path, clientId, time, body), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    /// <summary>Form encoding as the SDKs do it; <paramref name="lowerHex"/> imitates the .NET SDK (<c>%2b</c>).</summary>
    public static string UrlEncode(string base64, bool lowerHex = false)
    {
        var builder = new StringBuilder();
        foreach (var c in base64)
        {
            var escaped = c switch { '+' => "%2B", '/' => "%2F", '=' => "%3D", _ => null };
            builder.Append(escaped is null ? c.ToString() : lowerHex ? escaped.ToLowerInvariant() : escaped);
        }

        return builder.ToString();
    }

    /// <summary>Verifies a response or notification signature header value (everything after <c>signature=</c>).</summary>
    public static bool Verify(RSA publicKey, string path, string clientId, string time, byte[] body, string signatureHeader)
    {
        var index = signatureHeader.IndexOf("signature=", StringComparison.Ordinal);
        if (index < 0)
        {
            return false;
        }

        var encoded = signatureHeader[(index + "signature=".Length)..];
        var signature = Convert.FromBase64String(Uri.UnescapeDataString(encoded));
        return publicKey.VerifyData(Content(path, clientId, time, body), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }
}
