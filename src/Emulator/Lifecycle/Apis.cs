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

    /// <summary>Whether the API keeps its answers under a request id (SPEC §3.12): not cancel nor the inquiries.</summary>
    public static bool KeepsAnswers(string api) => api is Create or Change or Update or Refund;
}
