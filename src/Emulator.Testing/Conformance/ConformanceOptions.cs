namespace Emulator.Testing.Conformance;

/// <summary>Where the merchant's integration is, and how the suite may reach it.</summary>
public sealed record ConformanceOptions
{
    /// <summary>The emulator the merchant's integration is configured against.</summary>
    public required Uri EmulatorUrl { get; init; }

    /// <summary>The merchant's client id at the emulator (its notifications and API calls are judged).</summary>
    public required string ClientId { get; init; }

    public required Uri SubscriptionNotificationUrl { get; init; }

    public required Uri PaymentNotificationUrl { get; init; }

    /// <summary>Optional hook: <c>GET {ProcessedUrl}?paymentId=…</c> answers <c>{"count":n}</c>, how often the merchant processed a payment.</summary>
    public Uri? ProcessedUrl { get; init; }

    /// <summary>
    /// Optional trigger: <c>POST {TriggerUrl}/subscribe</c> (answers <c>{"subscriptionRequestId":…}</c>),
    /// <c>POST {TriggerUrl}/cancel</c> and <c>/change</c> with <c>{"subscriptionId":…}</c> make the merchant call the API.
    /// </summary>
    public Uri? TriggerUrl { get; init; }

    /// <summary>The emulator's Antom private key (PEM), to sign the suite's own notifications; default: the fixture key.</summary>
    public string? AntomPrivateKeyPem { get; init; }

    public string? AdminToken { get; init; }

    /// <summary>
    /// After each trigger, how long the integration's API calls must stay quiet before the suite goes on: an integration
    /// that answers the trigger at once and retries in the background is judged on its retries too.
    /// </summary>
    public TimeSpan SettleTime { get; init; } = TimeSpan.FromSeconds(2);
}
