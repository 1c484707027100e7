namespace ContractTests.Support;

/// <summary>
/// What each emulated API reads of a request body, as the wire fuzz (<see cref="WireFuzz"/>) needs it to aim its
/// mutations: every field's JSON path, kind, length limit and whether it is required once its parent is there
/// (SPEC §2, §3.1–3.11, §10; docs/emulation.md). Written from the spec, not from the
/// product's parsers, so that a parser that strays from it shows.
/// </summary>
public static class FuzzFields
{
    public enum Kind
    {
        Text,
        Enum,
        Url,
        Redirect,
        Time,
        Integer,
        Boolean,
        Object,
        Trials,
        Currency,
        MinorUnits,
        EnumArray,
        TextArray,

        /// <summary>An ISO-8601 duration written as a string (<c>P1M</c>, <c>PT90M</c>): the control API's <c>by</c> and <c>delay</c>.</summary>
        Duration,

        /// <summary>A JSON number from 0 to 1 (a fault's <c>probability</c>).</summary>
        Fraction,

        /// <summary>A non-negative decimal written as a string (<c>"0.029"</c>): the control API's fee rate and quotes.</summary>
        DecimalText,
    }

    /// <summary>One field: <paramref name="Path"/> with <c>[*]</c> for any array index.</summary>
    public sealed record Field(string Path, Kind Kind, int Max = 0, bool Required = false, IReadOnlyList<string>? Values = null, int Min = 1, bool Positive = false, int MaxItems = 0);

    public static readonly IReadOnlyList<string> PeriodTypes = ["DAY", "WEEK", "MONTH", "YEAR"];
    public static readonly IReadOnlyList<string> Wallets =
    [
        "BKASH", "ALIPAY_CN", "ALIPAY_HK", "DANA", "PAYPAY", "BOOST", "TNG", "GRABPAY_MY", "EASYPAISA", "GCASH", "MAYA", "GRABPAY_PH", "GRABPAY_SG",
        "KAKAOPAY", "NAVERPAY", "RABBIT_LINE_PAY", "TRUEMONEY", "ZALOPAY",
    ];

    public static IReadOnlyList<Field> Of(string api) => api switch
    {
        "create" => Create,
        "change" => Change,
        "update" => Update,
        "cancel" => Cancel,
        "refund" => Refund,
        "inquiryRefund" => InquiryRefund,
        "inquireSubscription" => InquireSubscription,
        "inquireSubscriptionList" => InquireSubscriptionList,
        "control.merchant" => ControlMerchant,
        "control.fault" => ControlFault,
        "control.advance" => ControlAdvance,
        "control.freeze" => ControlFreeze,
        "control.resume" => ControlResume,
        "control.settlePayment" => ControlSettlePayment,
        "control.settleRefund" => ControlSettleRefund,
        "control.testNotification" => ControlTestNotification,
        _ => InquireSubscriptionPayment,
    };

    /// <summary>The field a concrete path (<c>trials[2].trialAmount.value</c>) is, if the API reads it.</summary>
    public static Field? Find(string api, string path)
    {
        var pattern = System.Text.RegularExpressions.Regex.Replace(path, @"\[\d+\]", "[*]");
        return Of(api).FirstOrDefault(f => f.Path == pattern);
    }

    private static IEnumerable<Field> Amount(string path, bool required, bool positive = false) =>
    [
        new(path, Kind.Object, Required: required),
        new(path + ".currency", Kind.Currency, 3, Required: true),
        new(path + ".value", Kind.MinorUnits, 16, Required: true, Positive: positive),
    ];

    private static IEnumerable<Field> PeriodRule(bool required) =>
    [
        new("periodRule", Kind.Object, Required: required),
        new("periodRule.periodType", Kind.Enum, 20, Required: true, Values: PeriodTypes),
        new("periodRule.periodCount", Kind.Integer, Required: true),
    ];

    private static readonly IReadOnlyList<Field> Create =
    [
        new("subscriptionRequestId", Kind.Text, 64, Required: true),
        new("subscriptionDescription", Kind.Text, 256, Required: true),
        new("subscriptionRedirectUrl", Kind.Redirect, 2048, Required: true),
        new("subscriptionStartTime", Kind.Time, 64, Required: true),
        new("subscriptionEndTime", Kind.Time, 64),
        new("subscriptionExpiryTime", Kind.Time, 64),
        .. PeriodRule(required: true),
        new("paymentMethod", Kind.Object, Required: true),
        new("paymentMethod.paymentMethodType", Kind.Enum, 64, Required: true, Values: [.. Wallets, "CARD"]),
        new("paymentMethod.paymentMethodId", Kind.Text, 128),
        new("paymentMethod.customerId", Kind.Text, 64),
        new("paymentMethod.extendInfo", Kind.Text, 2048),
        new("paymentMethod.requireIssuerAuthentication", Kind.Boolean),
        new("subscriptionNotificationUrl", Kind.Url, 2048),
        new("paymentNotificationUrl", Kind.Url, 2048),
        new("orderInfo", Kind.Object, Required: true),
        .. Amount("orderInfo.orderAmount", required: true),
        .. Amount("paymentAmount", required: true),
        new("settlementStrategy", Kind.Object),
        new("settlementStrategy.settlementCurrency", Kind.Text, 3),
        new("env", Kind.Object, Required: true),
        new("env.terminalType", Kind.Enum, 32, Required: true, Values: ["WEB", "WAP", "APP", "MINI_APP"]),
        new("env.osType", Kind.Enum, 32, Values: ["IOS", "ANDROID"]),
        new("env.deviceTokenId", Kind.Text, 64),
        new("env.extendInfo", Kind.Text, 2048),
        new("merchantAccountId", Kind.Text, 64),
        new("trials", Kind.Trials),
        new("trials[*]", Kind.Object),
        new("trials[*].trialStartPeriod", Kind.Integer, Required: true),
        new("trials[*].trialEndPeriod", Kind.Integer),
        .. Amount("trials[*].trialAmount", required: true),
    ];

    private static readonly IReadOnlyList<Field> Change =
    [
        new("subscriptionChangeRequestId", Kind.Text, 64, Required: true),
        new("subscriptionId", Kind.Text, 64, Required: true),
        new("subscriptionDescription", Kind.Text, 256),
        new("subscriptionStartTime", Kind.Time, 64),
        new("subscriptionEndTime", Kind.Time, 64),
        new("subscriptionExpiryTime", Kind.Time, 64),
        .. PeriodRule(required: false),
        new("orderInfo", Kind.Object),
        .. Amount("orderInfo.orderAmount", required: true),
        .. Amount("paymentAmount", required: true),
        .. Amount("paymentAmountDifference", required: false),
    ];

    // Each of the fields an update changes is optional by itself: a body left with none of them is refused as a whole.
    private static readonly IReadOnlyList<Field> Update =
    [
        new("subscriptionUpdateRequestId", Kind.Text, 64, Required: true),
        new("subscriptionId", Kind.Text, 64, Required: true),
        new("subscriptionDescription", Kind.Text, 256),
        .. PeriodRule(required: false),
        .. Amount("paymentAmount", required: false),
        new("subscriptionEndTime", Kind.Time, 64),
        new("orderInfo", Kind.Object),
        .. Amount("orderInfo.orderAmount", required: true),
        new("nextSubscriptionDate", Kind.Time, 64),
        new("prorationSettings", Kind.Object),
        new("prorationSettings.prorationMode", Kind.Enum, 64, Required: true, Values: ["IMMEDIATE_PAY_CUSTOM_AMOUNT", "IMMEDIATE_REFUND_CUSTOM_AMOUNT"]),
        .. Amount("prorationSettings.customAmount", required: true, positive: true),
    ];

    // One of the two ids is required: each alone is optional.
    private static readonly IReadOnlyList<Field> Cancel =
    [
        new("subscriptionId", Kind.Text, 64),
        new("subscriptionRequestId", Kind.Text, 64),
        new("cancellationType", Kind.Enum, 32, Required: true, Values: ["CANCEL", "TERMINATE"]),
    ];

    private static readonly IReadOnlyList<Field> Refund =
    [
        new("refundRequestId", Kind.Text, 64, Required: true),
        new("paymentId", Kind.Text, 64, Required: true),
        .. Amount("refundAmount", required: true, positive: true),
        new("referenceRefundId", Kind.Text, 64),
        new("refundReason", Kind.Text, 256),
        new("refundNotifyUrl", Kind.Url, 1024),
        new("captureId", Kind.Text, 64),
        new("metadata", Kind.Text, 2048),
    ];

    private static readonly IReadOnlyList<Field> InquiryRefund =
    [
        new("refundRequestId", Kind.Text, 64),
        new("refundId", Kind.Text, 64),
        new("merchantAccountId", Kind.Text, 64),
    ];

    private static readonly IReadOnlyList<Field> InquireSubscription =
    [
        new("subscriptionId", Kind.Text, 64, Required: true),
        new("merchantAccountId", Kind.Text, 64),
    ];

    private static readonly IReadOnlyList<Field> InquireSubscriptionList =
    [
        new("merchantAccountId", Kind.Text, 64),
        new("startTimeFrom", Kind.Time, 32),
        new("startTimeTo", Kind.Time, 32),
        new("statuses", Kind.EnumArray, Values: ["ACTIVE", "CANCELLED", "TERMINATED"], MaxItems: 3),
        new("paymentMethodTypes", Kind.TextArray, 64),
        new("currencies", Kind.TextArray, 3),
        new("periodTypes", Kind.EnumArray, Values: PeriodTypes, MaxItems: 4),
        new("currentPage", Kind.Integer),
        new("pageSize", Kind.Integer, Max: 100),
    ];

    private static readonly IReadOnlyList<Field> InquireSubscriptionPayment =
    [
        new("subscriptionId", Kind.Text, 64, Required: true),
        new("merchantAccountId", Kind.Text, 64),
        new("paymentStatuses", Kind.EnumArray, Values: ["SUCCESS", "FAIL"], MaxItems: 3),
        new("currentPage", Kind.Integer),
        new("pageSize", Kind.Integer, Max: 10),
    ];

    // ---- the control API's bodies (CONTROL-API.md, README "Control API"), for the control fuzz (ControlFuzz) ----

    public static readonly IReadOnlyList<string> FaultTargetNames =
    [
        "create", "change", "update", "cancel", "inquireSubscription", "inquireSubscriptionList", "inquireSubscriptionPayment", "refund", "inquiryRefund",
        "deduction", "notifySubscription", "notifyPayment",
    ];

    public static readonly IReadOnlyList<string> TransportFaults = ["delay", "timeout", "reset", "http500", "badSignature", "noSignature"];
    public static readonly IReadOnlyList<string> DeliveryFaults = ["drop", "duplicate", "delay", "reorder"];

    private static readonly IReadOnlyList<Field> ControlMerchant =
    [
        new("publicKey", Kind.Text, 8192, Required: true),
        new("subscriptionNotificationUrl", Kind.Url, 2048),
        new("paymentNotificationUrl", Kind.Url, 2048),
        new("keyVersion", Kind.Text, 16),
        new("clock", Kind.Object),
        new("clock.frozenAt", Kind.Time, 64),
        new("settlement", Kind.Object),
        new("settlement.cycleDays", Kind.Integer, Max: 30, Min: 0),
        new("settlement.feeRate", Kind.DecimalText, 32),
        new("settlement.quotes", Kind.Object),
        new("settlement.quotes.PHP/USD", Kind.DecimalText, 32),
    ];

    private static readonly IReadOnlyList<Field> ControlFault =
    [
        new("target", Kind.Enum, 32, Required: true, Values: FaultTargetNames),
        new("resultCode", Kind.Enum, 64, Values: ["RISK_REJECT", "USER_BALANCE_NOT_ENOUGH", "PROCESS_FAIL", "UNKNOWN_EXCEPTION", "REFUND_IN_PROCESS", "PAYMENT_IN_PROCESS", "SUCCESS"]),
        new("transport", Kind.Enum, 32, Values: TransportFaults),
        new("delivery", Kind.Enum, 32, Values: DeliveryFaults),
        new("delay", Kind.Duration, 64),
        new("times", Kind.Integer, Min: 0),
        new("skip", Kind.Integer, Min: 0),
        new("match", Kind.Object),
        new("match.subscriptionId", Kind.Text, 64),
        new("match.subscriptionRequestId", Kind.Text, 64),
        new("match.phaseNo", Kind.Integer),
        new("match.fromPhaseNo", Kind.Integer),
        new("effect", Kind.Enum, 32, Values: ["applied", "notApplied", "processing"]),
        new("probability", Kind.Fraction),
        new("seed", Kind.Integer, Min: 0),
    ];

    private static readonly IReadOnlyList<Field> ControlAdvance = [new("by", Kind.Duration, 64), new("to", Kind.Time, 64)];

    private static readonly IReadOnlyList<Field> ControlFreeze = [new("at", Kind.Time, 64)];

    private static readonly IReadOnlyList<Field> ControlResume = [new("rate", Kind.Integer, Max: 1_000_000)];

    private static readonly IReadOnlyList<Field> ControlSettlePayment =
    [
        new("status", Kind.Enum, 16, Required: true, Values: ["SUCCESS", "FAIL"]),
        new("resultCode", Kind.Enum, 64, Values: ["PROCESS_FAIL", "USER_BALANCE_NOT_ENOUGH", "RISK_REJECT"]),
    ];

    private static readonly IReadOnlyList<Field> ControlSettleRefund = [new("status", Kind.Enum, 16, Required: true, Values: ["SUCCESS", "FAIL"])];

    // The url is left as registered (the merchant's receiver): a mutated one could name a host that never answers.
    private static readonly IReadOnlyList<Field> ControlTestNotification =
    [
        new("kind", Kind.Enum, 32, Required: true, Values: ["notifySubscription", "notifyPayment"]),
        new("subscriptionNotificationType", Kind.Enum, 16, Values: ["CREATE", "CHANGE", "UPDATE", "CANCEL", "TERMINATE"]),
        new("resultCode", Kind.Enum, 64, Values: ["SUCCESS", "USER_BALANCE_NOT_ENOUGH", "RISK_REJECT"]),
        new("declined", Kind.Boolean),
        new("body", Kind.Text, 4096),
        new("forgery", Kind.Enum, 16, Values: ["wrongKey", "tamperedBody", "noSignature"]),
    ];
}
