namespace Emulator.Notifications;

/// <summary>An attempt's outcome, as CONTROL-API.md lists them (a dropped delivery is <c>unreachable</c>, its error says why).</summary>
public static class DeliveryOutcomes
{
    public const string Acknowledged = "acknowledged";
    public const string Rejected = "rejected";
    public const string Unreachable = "unreachable";
    public const string Timeout = "timeout";
}
