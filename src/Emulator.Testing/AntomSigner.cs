using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Emulator.Testing;

/// <summary>Antom's signing scheme for merchants' tests: sign a request, verify a response or a notification.</summary>
public static class AntomSigner
{
    public static byte[] Content(string path, string clientId, string time, byte[] body) =>
        [.. Encoding.UTF8.GetBytes($"POST {path}\n{clientId}.{time}."), .. body];

    /// <summary>The <c>Signature</c> header value for a request.</summary>
    public static string SignatureHeader(RSA privateKey, string path, string clientId, string time, byte[] body) =>
        "algorithm=RSA256,keyVersion=1,signature=" + WebUtility.UrlEncode(
            Convert.ToBase64String(privateKey.SignData(Content(path, clientId, time, body), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)));

    /// <summary>Verifies a response's or notification's <c>signature</c> header with the Antom public key.</summary>
    public static bool Verify(RSA antomPublicKey, string path, string clientId, string time, byte[] body, string? signatureHeader)
    {
        var index = signatureHeader?.IndexOf("signature=", StringComparison.Ordinal) ?? -1;
        if (index < 0)
        {
            return false;
        }

        try
        {
            var signature = Convert.FromBase64String(Uri.UnescapeDataString(signatureHeader![(index + "signature=".Length)..]));
            return antomPublicKey.VerifyData(Content(path, clientId, time, body), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
