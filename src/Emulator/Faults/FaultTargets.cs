namespace Emulator.Faults;

/// <summary>The vocabulary of fault rules.</summary>
public static class FaultTargets
{
    public const string Applied = "applied";
    public const string NotApplied = "notApplied";

    /// <summary>
    /// A refund answered <c>U</c>, or a period's payment, is taken and stays under way (for the rule's delay, or until
    /// settled through the control API).
    /// </summary>
    public const string Processing = "processing";
    public const string Deduction = "deduction";

    public static readonly IReadOnlyList<string> Apis = ["create", "change", "update", "cancel", "inquireSubscription", "inquireSubscriptionList", "inquireSubscriptionPayment", "refund", "inquiryRefund"];
    public static readonly IReadOnlyList<string> Notifications = ["notifySubscription", "notifyPayment"];
    public static readonly IReadOnlyList<string> All = [.. Apis, Deduction, .. Notifications];
    public static readonly IReadOnlyList<string> TransportFaults = ["delay", "timeout", "reset", "http500", "badSignature", "noSignature"];
    public static readonly IReadOnlyList<string> DeliveryFaults = ["drop", "duplicate", "delay", "reorder"];
    public static readonly IReadOnlyList<string> Effects = [Applied, NotApplied, Processing];
}
