using System.Security.Cryptography;

namespace Emulator.Protocol;

/// <summary>Loads RSA keys in the encodings the Antom SDKs and Dashboard use (SPEC §1.5).</summary>
public static class RsaKeys
{
    /// <summary>A public key given as PEM or as base64 SubjectPublicKeyInfo DER (or PKCS#1 RSAPublicKey DER).</summary>
    public static RSA ImportPublicKey(string text) =>
        Import(text, (rsa, der) => rsa.ImportSubjectPublicKeyInfo(der, out _), (rsa, der) => rsa.ImportRSAPublicKey(der, out _));

    /// <summary>A private key given as PEM (PKCS#8 or PKCS#1) or as base64 PKCS#8 DER (the Java/.NET SDK form).</summary>
    public static RSA ImportPrivateKey(string text) =>
        Import(text, (rsa, der) => rsa.ImportPkcs8PrivateKey(der, out _), (rsa, der) => rsa.ImportRSAPrivateKey(der, out _));

    /// <summary>Validates a merchant-supplied public key and returns its canonical base64 SPKI form.</summary>
    public static bool TryNormalizePublicKey(string? text, out string spkiBase64, out string error)
    {
        spkiBase64 = "";
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "publicKey is required: base64 SubjectPublicKeyInfo DER or a PEM public key";
            return false;
        }

        try
        {
            using var rsa = ImportPublicKey(text);
            if (rsa.KeySize < 1024)
            {
                error = $"publicKey is {rsa.KeySize} bits; Antom keys are RSA 2048";
                return false;
            }

            spkiBase64 = Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or ArgumentException)
        {
            error = $"publicKey is not an RSA public key in base64 SPKI DER or PEM form ({ex.Message})";
            return false;
        }
    }

    /// <summary>PEM of any kind, or base64 DER in the preferred encoding, falling back to the PKCS#1 one.</summary>
    private static RSA Import(string text, Action<RSA, byte[]> preferred, Action<RSA, byte[]> fallback)
    {
        var rsa = RSA.Create();
        try
        {
            if (text.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                rsa.ImportFromPem(text);
                return rsa;
            }

            var der = Convert.FromBase64String(string.Concat(text.Where(c => !char.IsWhiteSpace(c))));
            try
            {
                preferred(rsa, der);
            }
            catch (CryptographicException)
            {
                fallback(rsa, der);
            }

            return rsa;
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }
}
