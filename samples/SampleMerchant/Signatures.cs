using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace SampleMerchant;

/// <summary>The merchant's side of Antom's signing: sign requests, verify responses and notifications.</summary>
public static class Signatures
{
    public static string Sign(RSA key, string path, string clientId, string time, byte[] body) =>
        "algorithm=RSA256,keyVersion=1,signature=" + WebUtility.UrlEncode(Convert.ToBase64String(
            key.SignData(Content(path, clientId, time, body), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)));

    public static bool Verify(RSA antomKey, string path, string clientId, string time, byte[] body, string header)
    {
        var at = header.IndexOf("signature=", StringComparison.Ordinal);
        if (at < 0)
        {
            return false;
        }

        try
        {
            var signature = Convert.FromBase64String(Uri.UnescapeDataString(header[(at + 10)..]));
            return antomKey.VerifyData(Content(path, clientId, time, body), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static byte[] Content(string path, string clientId, string time, byte[] body) =>
        [.. Encoding.UTF8.GetBytes($"POST {path}\n{clientId}.{time}."), .. body];
}
