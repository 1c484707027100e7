using System.Security.Cryptography;

namespace ContractTests.Support;

/// <summary>The repository's <c>fixtures/</c> folder, found from the test binaries.</summary>
public static class Fixtures
{
    public static string Directory { get; } = Find();

    public static string DefaultClientId => "SANDBOX_5YEMULATOR00001";

    public static string Path(string relative) => System.IO.Path.Combine(Directory, relative);

    public static string Read(string relative) => File.ReadAllText(Path(relative));

    public static RSA AntomPublicKey { get; } = Load(k => k.ImportFromPem(Read("keys/antom-public.pem")));

    public static RSA DefaultMerchantPrivateKey { get; } = Load(k => k.ImportPkcs8PrivateKey(Convert.FromBase64String(Read("keys/merchant-private.pkcs8.b64")), out _));

    private static RSA Load(Action<RSA> import)
    {
        var rsa = RSA.Create();
        import(rsa);
        return rsa;
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "fixtures");
            if (File.Exists(System.IO.Path.Combine(candidate, "default-merchant.json")) && File.Exists(System.IO.Path.Combine(dir.FullName, "Emulator.sln")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("fixtures/ not found above " + AppContext.BaseDirectory);
    }
}
