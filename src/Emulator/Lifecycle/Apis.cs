namespace Emulator.Lifecycle;

/// <summary>The names of the emulated APIs, as used in idempotency keys, logs and fault targets.</summary>
public static class Apis
{
    public const string Create = "create";
    public const string Change = "change";
    public const string Update = "update";
    public const string Cancel = "cancel";
    public const string InquireSubscription = "inquireSubscription";
    public const string InquireSubscriptionList = "inquireSubscriptionList";
    public const string InquireSubscriptionPayment = "inquireSubscriptionPayment";
    public const string Refund = "refund";
    public const string InquiryRefund = "inquiryRefund";

    /// <summary>The body field that keys an API's idempotency (SPEC §3.12), or null for one without (cancel, the inquiries).</summary>
    public static string? IdempotencyKeyOf(string api) => api switch
    {
        Create => "subscriptionRequestId",
        Change => "subscriptionChangeRequestId",
        Update => "subscriptionUpdateRequestId",
        Refund => "refundRequestId",
        _ => null,
    };
}
