namespace ContractTests.Support;

/// <summary>
/// A request as a socket read it: <paramref name="Target"/> is the request line's target (path and query, escaped as
/// sent), <paramref name="Headers"/> are keyed by lower-case name, <paramref name="Body"/> is the raw bytes.
/// </summary>
public sealed record WireRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    /// <summary>Whether the <c>signature</c> header verifies with the Antom public key over <paramref name="uri"/> (SPEC §1.5).</summary>
    public bool SignedOver(string uri) =>
        TestSigner.Verify(Fixtures.AntomPublicKey, uri, Headers["client-id"], Headers["request-time"], Body, Headers["signature"]);
}
