using System.Text.Json.Nodes;

namespace Emulator.Testing;

/// <summary>Typed views of the control API's answers (beside <see cref="ClockEvents"/> for an advance's events).</summary>
public static class ControlViews
{
    /// <summary>A subscription (<see cref="EmulatorMerchant.SubscriptionAsync"/>, <see cref="EmulatorMerchant.ApproveAsync"/>), typed.</summary>
    public static EmulatedSubscription AsSubscription(this JsonObject subscription) => EmulatedSubscription.Read(subscription);

    /// <summary>The notification ledger (<see cref="EmulatorMerchant.NotificationLedgerAsync"/>), typed, in the ledger's order.</summary>
    public static IReadOnlyList<SentNotification> AsNotifications(this JsonArray ledger) => [.. ledger.OfType<JsonNode>().Select(SentNotification.Read)];
}
