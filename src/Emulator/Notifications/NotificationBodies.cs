using System.Globalization;
using System.Text;
using System.Text.Json;
using Emulator.Domain;
using Emulator.Protocol;

namespace Emulator.Notifications;

/// <summary>
/// The JSON of notifySubscription (SPEC §3.9) and notifyPayment (SPEC §3.10), written field by field so that the
/// order and the types are exactly what Antom's SDK models expect: strings, except <c>periodCount</c> (a number,
/// SPEC §9). Times are written in the offset the merchant used for <c>subscriptionStartTime</c>.
/// </summary>
public static class NotificationBodies
{
    /// <summary>What Antom shows when a subscription has no end (SPEC §10).</summary>
    public const string NoEndTime = "2099-12-31T23:59:59+08:00";

    public static string Subscription(Subscription subscription, SubscriptionNotice notice) => Write(json =>
    {
        var offset = subscription.Plan.StartTime.Offset;
        json.WriteString("subscriptionRequestId", subscription.SubscriptionRequestId);
        json.WriteString("subscriptionId", subscription.SubscriptionId);
        json.WriteString("subscriptionStatus", notice.SubscriptionStatus);
        json.WriteString("subscriptionNotificationType", notice.NotificationType);
        json.WriteString("subscriptionStartTime", Time(subscription.Plan.StartTime, offset));
        json.WriteString("subscriptionEndTime", subscription.Plan.EndTime is { } end ? Time(end, offset) : NoEndTime);
        json.WriteStartObject("periodRule");
        json.WriteString("periodType", subscription.Plan.PeriodRule.PeriodType);
        json.WriteNumber("periodCount", subscription.Plan.PeriodRule.PeriodCount);
        json.WriteEndObject();
    });

    public static string Payment(Subscription subscription, Phase phase) => Write(json =>
    {
        var offset = subscription.Plan.StartTime.Offset;
        json.WriteStartObject("result");
        json.WriteString("resultCode", phase.ResultCode);
        json.WriteString("resultStatus", phase.ResultStatus);
        json.WriteString("resultMessage", phase.ResultMessage);
        json.WriteEndObject();
        json.WriteString("paymentId", phase.PaymentId);
        json.WriteStartObject("paymentAmount");
        json.WriteString("currency", phase.Amount.Currency);
        json.WriteString("value", phase.Amount.ValueText);
        json.WriteEndObject();
        json.WriteString("paymentCreateTime", Time(phase.PaymentCreateTime, offset));
        if (phase.PaymentTime is { } paid)
        {
            json.WriteString("paymentTime", Time(paid, offset));
        }

        json.WriteString("subscriptionRequestId", subscription.SubscriptionRequestId);
        json.WriteString("subscriptionId", subscription.SubscriptionId);
        json.WriteString("periodStartTime", Time(phase.PeriodStartTime, offset));
        json.WriteString("periodEndTime", Time(phase.PeriodEndTime, offset));
        json.WriteString("phaseNo", phase.PhaseNo.ToString(CultureInfo.InvariantCulture));
    });

    /// <summary>
    /// In the merchant's offset; in UTC where that offset would pass the calendar's end or start (a period that ends
    /// past the year 9999 is kept as the calendar's last instant).
    /// </summary>
    public static string Time(DateTimeOffset time, TimeSpan offset) =>
        InOffset(time, offset).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary><paramref name="time"/> in <paramref name="offset"/>, or in UTC where that offset would pass the calendar.</summary>
    public static DateTimeOffset InOffset(DateTimeOffset time, TimeSpan offset) =>
        time.UtcDateTime.Ticks + offset.Ticks is var local && local >= DateTime.MinValue.Ticks && local <= DateTime.MaxValue.Ticks
            ? time.ToOffset(offset)
            : time.ToUniversalTime();

    private static string Write(Action<Utf8JsonWriter> fields)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = WireJson.Options.Encoder }))
        {
            json.WriteStartObject();
            fields(json);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
