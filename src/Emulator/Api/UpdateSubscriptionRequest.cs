using Emulator.Domain;
using Emulator.Protocol;

namespace Emulator.Api;

/// <summary>A validated <c>subscriptions/update</c> request (SPEC §3.4): the ids and at least one thing to update.</summary>
public sealed record UpdateSubscriptionRequest(string SubscriptionUpdateRequestId, string SubscriptionId, PlanChange Update)
{
    /// <summary>The fields an update changes; a body with none of them changes nothing.</summary>
    public static readonly IReadOnlyList<string> UpdateFields =
        ["subscriptionDescription", "periodRule", "paymentAmount", "subscriptionEndTime", "orderInfo", "prorationSettings", "nextSubscriptionDate"];

    public static UpdateSubscriptionRequest? Parse(JsonFields body, DateTimeOffset now)
    {
        var updateRequestId = body.Text("subscriptionUpdateRequestId", 64, required: true);
        var subscriptionId = body.Text("subscriptionId", 64, required: true);
        var description = body.Text("subscriptionDescription", 256);
        var periodRule = CreateSubscriptionRequest.ReadPeriodRule(body, required: false);
        var paymentAmount = body.Amount("paymentAmount");
        var end = body.Time("subscriptionEndTime");
        var orderAmount = body.Object("orderInfo")?.Amount("orderAmount", required: true);
        var next = body.Time("nextSubscriptionDate");
        var proration = ReadProration(body);

        if (end is { } past && past <= now)
        {
            body.Fail("subscriptionEndTime", $"must be after the time of the request ({now:O})");
        }

        if (next is { } n && end is { } e && n >= e)
        {
            body.Fail("nextSubscriptionDate", $"must be before subscriptionEndTime ({e:O}): no phase starts at or after the end");
        }

        if (periodRule is not null && CreateSubscriptionRequest.PeriodOverflow(periodRule, next ?? now, next is null ? "the time of the request" : "nextSubscriptionDate") is { } overflow)
        {
            body.Fail("periodRule", overflow);
        }

        if (paymentAmount is not null && proration is not null && proration.CustomAmount.Currency != paymentAmount.Currency)
        {
            body.Fail("prorationSettings.customAmount.currency", $"must equal paymentAmount.currency ({paymentAmount.Currency})");
        }

        if (body.Errors.Count == 0 && description is null && periodRule is null && paymentAmount is null && end is null && orderAmount is null && proration is null && next is null)
        {
            body.Fail("body", $"updates nothing: give at least one of {string.Join(", ", UpdateFields)}");
        }

        if (body.Errors.Count > 0)
        {
            return null;
        }

        return new UpdateSubscriptionRequest(updateRequestId!, subscriptionId!,
            new PlanChange(description, StartTime: null, end, periodRule, paymentAmount, orderAmount, PaymentAmountDifference: null, next, proration));
    }

    private static Proration? ReadProration(JsonFields body)
    {
        var settings = body.Object("prorationSettings");
        var mode = settings?.OneOf("prorationMode", Proration.Modes, 64, required: true);
        var amount = settings?.Amount("customAmount", required: true);
        if (amount is { Value: 0 })
        {
            settings!.Fail("customAmount.value", "must be more than 0: a proration moves the difference the merchant computed; leave prorationSettings out when there is none");
            return null;
        }

        return mode is null || amount is null ? null : new Proration(mode, amount);
    }
}
