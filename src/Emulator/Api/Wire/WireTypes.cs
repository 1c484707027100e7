using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;


namespace Emulator.Api.Wire;

// These records describe the Antom wire format for the OpenAPI document (lengths, enums, required fields as in
// SPEC §2–3). Requests are parsed by the tolerant reader in Protocol/JsonFields, which accepts more (numbers as
// strings, nulls) than a strict schema would say.

[JsonConverter(typeof(JsonStringEnumConverter<PeriodType>))]
public enum PeriodType { DAY, WEEK, MONTH, YEAR }

[JsonConverter(typeof(JsonStringEnumConverter<TerminalType>))]
public enum TerminalType { WEB, WAP, APP, MINI_APP }

[JsonConverter(typeof(JsonStringEnumConverter<OsType>))]
public enum OsType { IOS, ANDROID }

[JsonConverter(typeof(JsonStringEnumConverter<CancellationType>))]
public enum CancellationType { CANCEL, TERMINATE }

[JsonConverter(typeof(JsonStringEnumConverter<PaymentMethodType>))]
public enum PaymentMethodType
{
    BKASH, ALIPAY_CN, ALIPAY_HK, DANA, PAYPAY, BOOST, TNG, GRABPAY_MY, EASYPAISA, GCASH, MAYA, GRABPAY_PH, GRABPAY_SG,
    KAKAOPAY, NAVERPAY, RABBIT_LINE_PAY, TRUEMONEY, ZALOPAY, CARD,
}

/// <summary>An amount in the currency's smallest unit (SPEC §2.1).</summary>
public sealed record AmountWire(
    [property: Required, RegularExpression("^[A-Z]{3}$")] string Currency,
    [property: Required, RegularExpression("^[0-9]{1,16}$")] string Value);

public sealed record PeriodRuleWire([property: Required] PeriodType PeriodType, [property: Required, Range(1, int.MaxValue)] int PeriodCount);

public sealed record TrialWire(
    [property: Required, Range(1, int.MaxValue)] int TrialStartPeriod,
    [property: Range(1, int.MaxValue)] int? TrialEndPeriod,
    [property: Required] AmountWire TrialAmount);

public sealed record PaymentMethodWire(
    [property: Required] PaymentMethodType PaymentMethodType,
    [property: StringLength(128)] string? PaymentMethodId,
    [property: StringLength(64)] string? CustomerId,
    [property: StringLength(2048)] string? ExtendInfo,
    bool? RequireIssuerAuthentication);

public sealed record OrderInfoWire([property: Required] AmountWire OrderAmount);

public sealed record SettlementStrategyWire([property: StringLength(3)] string? SettlementCurrency);

public sealed record EnvWire(
    [property: Required] TerminalType TerminalType,
    OsType? OsType,
    [property: StringLength(64)] string? DeviceTokenId,
    [property: StringLength(2048)] string? ExtendInfo);

/// <summary>Body of <c>subscriptions/create</c> (SPEC §3.1, required fields per SPEC §10).</summary>
public sealed record CreateSubscriptionWire(
    [property: Required, StringLength(64)] string SubscriptionRequestId,
    [property: Required, StringLength(256)] string SubscriptionDescription,
    [property: Required, StringLength(2048)] string SubscriptionRedirectUrl,
    [property: Required] DateTimeOffset SubscriptionStartTime,
    DateTimeOffset? SubscriptionEndTime,
    [property: Required] PeriodRuleWire PeriodRule,
    DateTimeOffset? SubscriptionExpiryTime,
    [property: Required] PaymentMethodWire PaymentMethod,
    [property: StringLength(2048)] string? SubscriptionNotificationUrl,
    [property: StringLength(2048)] string? PaymentNotificationUrl,
    [property: Required] OrderInfoWire OrderInfo,
    [property: Required] AmountWire PaymentAmount,
    SettlementStrategyWire? SettlementStrategy,
    [property: Required] EnvWire Env,
    IReadOnlyList<TrialWire>? Trials,
    [property: StringLength(64)] string? MerchantAccountId);

/// <summary>Body of <c>subscriptions/change</c> (SPEC §3.2).</summary>
public sealed record ChangeSubscriptionWire(
    [property: Required, StringLength(64)] string SubscriptionChangeRequestId,
    [property: Required, StringLength(64)] string SubscriptionId,
    [property: StringLength(256)] string? SubscriptionDescription,
    DateTimeOffset? SubscriptionStartTime,
    DateTimeOffset? SubscriptionEndTime,
    PeriodRuleWire? PeriodRule,
    DateTimeOffset? SubscriptionExpiryTime,
    OrderInfoWire? OrderInfo,
    [property: Required] AmountWire PaymentAmount,
    AmountWire? PaymentAmountDifference);

[JsonConverter(typeof(JsonStringEnumConverter<ProrationMode>))]
public enum ProrationMode { IMMEDIATE_PAY_CUSTOM_AMOUNT, IMMEDIATE_REFUND_CUSTOM_AMOUNT }

/// <summary>update's difference for the current period, computed by the merchant (SPEC §3.4).</summary>
public sealed record ProrationSettingsWire([property: Required] ProrationMode ProrationMode, [property: Required] AmountWire CustomAmount);

/// <summary>Body of <c>subscriptions/update</c> (SPEC §3.4): the ids and at least one thing to update.</summary>
public sealed record UpdateSubscriptionWire(
    [property: Required, StringLength(64)] string SubscriptionUpdateRequestId,
    [property: Required, StringLength(64)] string SubscriptionId,
    [property: StringLength(256)] string? SubscriptionDescription,
    PeriodRuleWire? PeriodRule,
    AmountWire? PaymentAmount,
    DateTimeOffset? SubscriptionEndTime,
    OrderInfoWire? OrderInfo,
    ProrationSettingsWire? ProrationSettings,
    DateTimeOffset? NextSubscriptionDate);

/// <summary>Body of <c>payments/refund</c> (SPEC §3.11) for a period payment's <c>paymentId</c>.</summary>
public sealed record RefundWire(
    [property: Required, StringLength(64)] string RefundRequestId,
    [property: Required, StringLength(64)] string PaymentId,
    [property: Required] AmountWire RefundAmount,
    [property: StringLength(64)] string? ReferenceRefundId,
    [property: StringLength(256)] string? RefundReason,
    [property: StringLength(1024)] string? RefundNotifyUrl,
    [property: StringLength(64)] string? CaptureId,
    [property: StringLength(2048)] string? Metadata);

/// <summary>Body of <c>payments/inquiryRefund</c> (SPEC §3.11): <c>refundId</c> or <c>refundRequestId</c>; the first wins.</summary>
public sealed record InquiryRefundWire(
    [property: StringLength(64)] string? RefundId,
    [property: StringLength(64)] string? RefundRequestId,
    [property: StringLength(64)] string? MerchantAccountId);

/// <summary>Body of <c>subscriptions/cancel</c> (SPEC §3.3): <c>subscriptionId</c> or <c>subscriptionRequestId</c>.</summary>
public sealed record CancelSubscriptionWire(
    [property: StringLength(64)] string? SubscriptionId,
    [property: StringLength(64)] string? SubscriptionRequestId,
    [property: Required] CancellationType CancellationType);

public sealed record InquireSubscriptionWire(
    [property: Required, StringLength(64)] string SubscriptionId,
    [property: StringLength(64)] string? MerchantAccountId);

[JsonConverter(typeof(JsonStringEnumConverter<ListedStatus>))]
public enum ListedStatus { ACTIVE, CANCELLED, TERMINATED }

[JsonConverter(typeof(JsonStringEnumConverter<ListedPeriodType>))]
public enum ListedPeriodType { DAY, WEEK, MONTH, YEAR }

/// <summary>inquireSubscriptionList (SPEC §3.7): the window applies to the initial start time; 7 days up to the request time by default.</summary>
public sealed record InquireSubscriptionListWire(
    [property: StringLength(64)] string? MerchantAccountId,
    [property: StringLength(32)] string? StartTimeFrom,
    [property: StringLength(32)] string? StartTimeTo,
    [property: MaxLength(3)] IReadOnlyList<ListedStatus>? Statuses,
    IReadOnlyList<string>? PaymentMethodTypes,
    IReadOnlyList<string>? Currencies,
    [property: MaxLength(4)] IReadOnlyList<ListedPeriodType>? PeriodTypes,
    [property: Range(1, int.MaxValue)] int? CurrentPage,
    [property: Range(1, 100)] int? PageSize);

[JsonConverter(typeof(JsonStringEnumConverter<PaymentStatus>))]
public enum PaymentStatus { SUCCESS, FAIL }

public sealed record InquireSubscriptionPaymentWire(
    [property: Required, StringLength(64)] string SubscriptionId,
    [property: StringLength(64)] string? MerchantAccountId,
    [property: MaxLength(3)] IReadOnlyList<PaymentStatus>? PaymentStatuses,
    [property: Range(1, int.MaxValue)] int? CurrentPage,
    [property: Range(1, 10)] int? PageSize);

/// <summary>notifySubscription, sent to <c>subscriptionNotificationUrl</c> (SPEC §3.9).</summary>
public sealed record NotifySubscriptionWire(
    [property: Required, StringLength(64)] string SubscriptionRequestId,
    [property: Required, StringLength(64)] string SubscriptionId,
    [property: Required, RegularExpression("^(ACTIVE|TERMINATED)$")] string SubscriptionStatus,
    [property: Required, RegularExpression("^(CREATE|CHANGE|UPDATE|CANCEL|TERMINATE)$")] string SubscriptionNotificationType,
    [property: Required] DateTimeOffset SubscriptionStartTime,
    [property: Required] DateTimeOffset SubscriptionEndTime,
    [property: Required] PeriodRuleWire PeriodRule);

/// <summary>notifyPayment, one per period, sent to <c>paymentNotificationUrl</c> (SPEC §3.10).</summary>
public sealed record NotifyPaymentWire(
    [property: Required] Protocol.AntomResult Result,
    [property: Required, StringLength(64)] string PaymentId,
    [property: Required] AmountWire PaymentAmount,
    [property: Required] DateTimeOffset PaymentCreateTime,
    DateTimeOffset? PaymentTime,
    [property: Required, StringLength(64)] string SubscriptionRequestId,
    [property: Required, StringLength(64)] string SubscriptionId,
    [property: Required] DateTimeOffset PeriodStartTime,
    [property: Required] DateTimeOffset PeriodEndTime,
    [property: Required, StringLength(64)] string PhaseNo);
