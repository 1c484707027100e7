using System.Security.Cryptography;

namespace ContractTests.Support;

/// <summary>Everything about one emulated API call that a test may want to bend.</summary>
public sealed record SignedRequest
{
    public required string Path { get; init; }

    public required byte[] Body { get; init; }

    public required string ClientId { get; init; }

    public required RSA Key { get; init; }

    public string RequestTime { get; init; } = "1764000000000";

    /// <summary>Build the Signature header from the computed base64; default is the Java/Python SDK form.</summary>
    public Func<string, string> SignatureHeader { get; init; } = b64 => $"algorithm=RSA256,keyVersion=1,signature={TestSigner.UrlEncode(b64)}";

    /// <summary>When set, the content that is signed differs from what is sent (to forge a mismatch).</summary>
    public byte[]? SignedBodyOverride { get; init; }

    public bool OmitClientId { get; init; }

    public bool OmitRequestTime { get; init; }

    public bool OmitSignature { get; init; }

    public Dictionary<string, string> ExtraHeaders { get; init; } = [];
}
