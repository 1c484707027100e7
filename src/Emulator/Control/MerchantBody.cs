namespace Emulator.Control;

/// <summary>Body of <c>PUT /_emulator/v1/merchants/{clientId}</c> (CONTROL-API.md).</summary>
public sealed record MerchantBody(string? PublicKey, string? SubscriptionNotificationUrl, string? PaymentNotificationUrl, string? KeyVersion);
