using System.Security.Cryptography;
using Emulator.Hosting;
using Microsoft.Extensions.Options;

namespace Emulator.Protocol;

/// <summary>The emulator's own "Antom" key pair: signs responses and notifications. Parsed once at start.</summary>
public sealed class AntomSigningKey : IDisposable
{
    private readonly RSA privateKey;
    // One for the process: a key of 2048 bits takes a while to make, and any key but Antom's will do.
    private static readonly Lazy<RSA> WrongKey = new(() => RSA.Create(2048));

    public AntomSigningKey(IOptions<EmulatorOptions> options)
    {
        var o = options.Value;
        var text = o.AntomPrivateKey;
        if (string.IsNullOrWhiteSpace(text))
        {
            text = File.ReadAllText(o.FixturePath("keys/antom-private.pem"));
        }
        else if (File.Exists(text))
        {
            text = File.ReadAllText(text);
        }

        privateKey = RsaKeys.ImportPrivateKey(text);
        KeyVersion = o.AntomKeyVersion;
        PublicKeyBase64 = Convert.ToBase64String(privateKey.ExportSubjectPublicKeyInfo());
        PublicKeyPem = privateKey.ExportSubjectPublicKeyInfoPem();
    }

    public string KeyVersion { get; }

    public string PublicKeyBase64 { get; }

    public string PublicKeyPem { get; }

    public string Sign(byte[] content) => AntomSignature.Sign(privateKey, content);

    /// <summary>
    /// A signature no merchant can verify (the <c>badSignature</c> transport fault, a <c>wrongKey</c> test notification):
    /// made with a throw-away key.
    /// </summary>
    public string SignWithWrongKey(byte[] content) => AntomSignature.Sign(WrongKey.Value, content);

    public void Dispose() => privateKey.Dispose();
}
