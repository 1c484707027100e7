using System.Text.Json.Nodes;

namespace Emulator.Testing;

/// <summary>Typed views of an advance's <c>events</c> (what <see cref="EmulatorMerchant.AdvanceAsync"/> returns).</summary>
public static class ClockEvents
{
    /// <summary>Every event, oldest first.</summary>
    public static IReadOnlyList<ClockEvent> Typed(this JsonArray events) => [.. events.OfType<JsonNode>().Select(ClockEvent.Read)];

    /// <summary>The periods' deductions that ended (succeeded or failed), oldest first.</summary>
    public static IReadOnlyList<ClockEvent> Deductions(this JsonArray events) => [.. events.Typed().Where(e => e.Type == "deduction")];

    /// <summary>The periods' payments a <c>PAYMENT_IN_PROCESS</c> deduction fault left under way (settle them by <see cref="ClockEvent.PaymentId"/>).</summary>
    public static IReadOnlyList<ClockEvent> PaymentsProcessing(this JsonArray events) => [.. events.Typed().Where(e => e.Type == "paymentProcessing")];

    /// <summary>The subscriptions' state changes, oldest first.</summary>
    public static IReadOnlyList<ClockEvent> StateChanges(this JsonArray events) => [.. events.Typed().Where(e => e.Type == "stateChanged")];

    /// <summary>The notification attempts made, oldest first.</summary>
    public static IReadOnlyList<ClockEvent> NotificationAttempts(this JsonArray events) => [.. events.Typed().Where(e => e.Type == "notificationAttempt")];
}
