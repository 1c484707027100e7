namespace Emulator.Control;

/// <summary>Body of <c>PUT /_emulator/v1/merchants/{clientId}</c> (CONTROL-API.md).</summary>
public sealed record MerchantBody(string? PublicKey, string? SubscriptionNotificationUrl, string? PaymentNotificationUrl, string? KeyVersion, MerchantClockBody? Clock, MerchantSettlementBody? Settlement = null);

/// <summary>
/// Optional clock settings of the merchant: <c>{"frozenAt":"…"}</c> stops its clock at an instant; <c>{"rate":14400}</c>
/// lets it tick that many times as fast as the wall from its current reading (one or the other).
/// </summary>
public sealed record MerchantClockBody(DateTimeOffset? FrozenAt, long? Rate = null);
