namespace Emulator.Domain;

public static class SubscriptionStatusNames
{
    public static string ToWire(this SubscriptionStatus status) => status switch
    {
        SubscriptionStatus.AwaitingAuthorization => "AWAITING_AUTHORIZATION",
        SubscriptionStatus.Active => "ACTIVE",
        SubscriptionStatus.Cancelled => "CANCELLED",
        SubscriptionStatus.Terminated => "TERMINATED",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static SubscriptionStatus? FromWire(string? text) => text switch
    {
        "AWAITING_AUTHORIZATION" => SubscriptionStatus.AwaitingAuthorization,
        "ACTIVE" => SubscriptionStatus.Active,
        "CANCELLED" => SubscriptionStatus.Cancelled,
        "TERMINATED" => SubscriptionStatus.Terminated,
        _ => null,
    };
}
