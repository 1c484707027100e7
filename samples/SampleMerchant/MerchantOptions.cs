namespace SampleMerchant;

/// <summary>What a merchant configures for Antom: gateway, client id, its private key, Antom's public key.</summary>
public sealed class MerchantOptions
{
    public string GatewayUrl { get; set; } = "http://localhost:5080";

    public string ClientId { get; set; } = "";

    /// <summary>Base64 PKCS#8 DER, as the Java and .NET SDKs load it.</summary>
    public string PrivateKey { get; set; } = "";

    /// <summary>Base64 SubjectPublicKeyInfo DER.</summary>
    public string AntomPublicKey { get; set; } = "";

    /// <summary>
    /// The careless merchant: acknowledges notifications without checking their signature, and retries an unknown
    /// (U) result with a new request id. The conformance suite must catch exactly these two mistakes.
    /// </summary>
    public bool Careless { get; set; }

    /// <summary>How long to wait for Antom's answer before treating the call as unknown (the Java SDK waits 15 s).</summary>
    public int TimeoutSeconds { get; set; } = 15;
}
