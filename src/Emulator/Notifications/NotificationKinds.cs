namespace Emulator.Notifications;

public static class NotificationKinds
{
    public const string Subscription = "notifySubscription";
    public const string Payment = "notifyPayment";
}
