namespace Emulator.Notifications;

public static class DeliveryOutcomes
{
    public const string Acknowledged = "acknowledged";
    public const string Rejected = "rejected";
    public const string Unreachable = "unreachable";
    public const string Timeout = "timeout";
    public const string Dropped = "dropped";
}
