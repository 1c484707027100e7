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
    /// The careless merchant: acknowledges notifications without checking their signature, retries an unknown (U)
    /// result with a new request id, and takes a cancel's answer for done without checking its signature. The
    /// conformance suite must catch exactly these three mistakes.
    /// </summary>
    public bool Careless { get; set; }

    /// <summary>
    /// Mistakes to make, one at a time or together (<c>--Merchant:Mistakes:0=same-request-id</c>), to see what the
    /// conformance suite says about each: <c>skip-signature-check</c>, <c>new-id-on-unknown</c> and
    /// <c>trust-unverified-cancel</c> (acts on a cancel answer whose signature does not verify; what <see cref="Careless"/>
    /// makes), <c>same-request-id</c> (one request id for every purchase), <c>ignore-unknown</c>
    /// (never retries a U or a timeout), <c>drop-early-payment</c> (acknowledges a payment for a subscription it does
    /// not know yet, and forgets it), <c>count-duplicates</c> (acts on every delivery of a payment),
    /// <c>verify-payments-only</c> (checks the signature of notifyPayment but not of notifySubscription),
    /// <c>trust-unverified-answers</c> (acts on an API answer whose signature does not verify); on the notifications
    /// Antom sends besides a plain success, each answered HTTP 500 as by an exception the handler did not catch:
    /// <c>reject-failed-payments</c> (reads the <c>paymentTime</c> a failed payment does not have),
    /// <c>reject-zero-amount</c> (refuses a payment of 0, a free trial period), <c>create-only</c> (handles
    /// notifySubscription <c>CREATE</c>/<c>ACTIVE</c> only), <c>strict-fields</c> (refuses a notification with a member
    /// it does not know); and broken test hooks: <c>processed-hook-404</c>, <c>no-trigger</c>, <c>no-refund-trigger</c>
    /// (an integration that does not refund).
    /// </summary>
    public List<string> Mistakes { get; set; } = [];

    /// <summary>
    /// Answer a purchase as soon as its first create is answered, and retry an unknown (U) outcome in the background
    /// a second later, with the same request id (correct too, as a job queue would do it).
    /// </summary>
    public bool RetryInBackground { get; set; }

    /// <summary>Change a plan with Antom's newer <c>update</c> call instead of <c>change</c> (judged the same by the suite).</summary>
    public bool UseUpdate { get; set; }

    public bool Makes(string mistake) => Mistakes.Contains(mistake) || (Careless && mistake is "skip-signature-check" or "new-id-on-unknown" or "trust-unverified-cancel");

    /// <summary>How long to wait for Antom's answer before treating the call as unknown (the Java SDK waits 15 s).</summary>
    public int TimeoutSeconds { get; set; } = 15;
}
