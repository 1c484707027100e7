namespace Emulator.Control;

/// <summary>Body of <c>PUT /_emulator/v1/merchants/{clientId}</c> (CONTROL-API.md).</summary>
public sealed record MerchantBody(string? PublicKey, string? SubscriptionNotificationUrl, string? PaymentNotificationUrl, string? KeyVersion, MerchantClockBody? Clock, MerchantSettlementBody? Settlement = null);

/// <summary>Optional clock settings of a new merchant: <c>{"frozenAt":"…"}</c>.</summary>
public sealed record MerchantClockBody(DateTimeOffset? FrozenAt);
