using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Emulator.Protocol;

/// <summary>
/// The one signing scheme Antom uses for requests, responses and notifications (SPEC §1.5):
/// RSA PKCS#1 v1.5 over SHA-256 of <c>POST &lt;path&gt;\n&lt;client-id&gt;.&lt;time&gt;.&lt;body&gt;</c>.
/// </summary>
public static class AntomSignature
{
    public const string Algorithm = "RSA256";

    public static byte[] SignedContent(string path, string clientId, string time, ReadOnlySpan<byte> body)
    {
        var prefix = $"POST {path}\n{clientId}.{time}.";
        var bytes = new byte[Encoding.UTF8.GetByteCount(prefix) + body.Length];
        var written = Encoding.UTF8.GetBytes(prefix, bytes);
        body.CopyTo(bytes.AsSpan(written));
        return bytes;
    }

    /// <summary>Base64 of the signature, before URL encoding.</summary>
    public static string Sign(RSA privateKey, ReadOnlySpan<byte> content) =>
        Convert.ToBase64String(privateKey.SignData(content, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public static bool Verify(RSA publicKey, ReadOnlySpan<byte> content, ReadOnlySpan<byte> signature) =>
        publicKey.VerifyData(content, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    /// <summary>The header value Antom sends: <c>algorithm=RSA256,keyVersion=1,signature=&lt;form-encoded base64&gt;</c>.</summary>
    public static string HeaderValue(string base64Signature, string keyVersion = "1") =>
        $"algorithm={Algorithm},keyVersion={keyVersion},signature={WebUtility.UrlEncode(base64Signature)}";
}
