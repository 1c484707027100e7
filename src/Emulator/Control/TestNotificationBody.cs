using System.Text.Json;
using System.Text.Json.Serialization;
using Emulator.Faults;
using Emulator.Merchants;
using Emulator.Notifications;
using Emulator.Protocol;

namespace Emulator.Control;

/// <summary>
/// Body of <c>POST …/notifications/test</c> (CONTROL-API.md "Notifications"): which notification to send, and where.
/// <paramref name="Body"/>, when given, is sent as it is instead of a sample, so the fields that choose a sample
/// (<paramref name="SubscriptionNotificationType"/>, <paramref name="Declined"/>, <paramref name="ResultCode"/>) are
/// refused beside it rather than ignored. <paramref name="Forgery"/>, when given, forges the notification as one of
/// <see cref="NotificationForgeries"/> says, for an endpoint that must refuse it.
/// </summary>
/// <remarks>A field it does not know is refused, not ignored: a misspelt type ignored would send a CREATE.</remarks>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record TestNotificationBody(
    string? Kind,
    string? Url = null,
    string? SubscriptionNotificationType = null,
    bool? Declined = null,
    string? ResultCode = null,
    string? Body = null,
    string? Forgery = null)
{
    /// <summary>The fields, as the refusal of an unknown one lists them.</summary>
    private const string Fields = "kind, url, subscriptionNotificationType, declined, resultCode, body and forgery";

    /// <summary>What to say of a body that names a field this one does not have; null for any other problem.</summary>
    public static string? UnknownField(JsonException problem) =>
        UnmappedMember.Of(problem, typeof(TestNotificationBody)) is { } field
            ? $"{field} is not a field of a test notification, which takes {Fields} (a field ignored would send another notification than the one asked for)"
            : null;

    /// <summary>Checks the request and says what is allowed when it is not.</summary>
    public string? Validate(IEnumerable<string> failureCodes)
    {
        if (Kind is not (NotificationKinds.Subscription or NotificationKinds.Payment))
        {
            return $"kind must be {NotificationKinds.Subscription} or {NotificationKinds.Payment} (got {(Kind is null ? "none" : $"'{Kind}'")})";
        }

        if (Url is not null && !JsonFields.IsHttpUrl(Url, out _))
        {
            return $"url must be an absolute http or https URL, such as http://localhost:8080/antom/notify (got '{Url}')";
        }

        if (Forgery is not null && !NotificationForgeries.All.Contains(Forgery))
        {
            return $"forgery must be one of {string.Join(", ", NotificationForgeries.All)}, or left out for a notification signed as Antom signs (got '{Forgery}')";
        }

        if (Body is not null)
        {
            if (SubscriptionNotificationType is not null || Declined is not null || ResultCode is not null)
            {
                return "give body or the fields that choose a sample (subscriptionNotificationType, declined, resultCode), not both: a body is sent as it is";
            }

            try
            {
                using var _ = JsonDocument.Parse(Body);
            }
            catch (Exception e) when (e is JsonException or ArgumentException)
            {
                return $"body must be a JSON text, sent byte for byte as given; this one does not parse ({e.Message})";
            }

            return null;
        }

        if (Kind == NotificationKinds.Subscription)
        {
            if (ResultCode is not null)
            {
                return $"resultCode applies to {NotificationKinds.Payment}; a {NotificationKinds.Subscription} takes subscriptionNotificationType (and declined)";
            }

            if (SubscriptionNotificationType is { } type && !SampleNotifications.SubscriptionTypes.Contains(type))
            {
                return $"subscriptionNotificationType must be one of {string.Join(", ", SampleNotifications.SubscriptionTypes)} (got '{type}')";
            }

            if (Declined == true && SubscriptionNotificationType is not (null or "CREATE"))
            {
                return "declined applies to subscriptionNotificationType CREATE: the CREATE of a request the buyer declined (or let expire), with subscriptionStatus TERMINATED";
            }

            return null;
        }

        if (SubscriptionNotificationType is not null || Declined is not null)
        {
            return $"subscriptionNotificationType and declined apply to {NotificationKinds.Subscription}; a {NotificationKinds.Payment} takes resultCode";
        }

        return ResultCode is null or "SUCCESS" || failureCodes.Contains(ResultCode)
            ? null
            : $"resultCode must be SUCCESS or an F code of deduction: {string.Join(", ", failureCodes)} (got '{ResultCode}')";
    }

    /// <summary>Where to send: <see cref="Url"/>, else the URL the merchant registered for the kind (null when it has none).</summary>
    public string? UrlFor(Merchant merchant) =>
        Url ?? (Kind == NotificationKinds.Payment ? merchant.PaymentNotificationUrl : merchant.SubscriptionNotificationUrl);

    /// <summary>Why there is nowhere to send, for a merchant that registered no URL of the kind.</summary>
    public string NoUrl(string clientId) =>
        $"give url: merchant {clientId} has no {(Kind == NotificationKinds.Payment ? "paymentNotificationUrl" : "subscriptionNotificationUrl")} registered "
        + $"(or register one with PUT {ControlApi.Prefix}/merchants/{clientId})";
}
