using Emulator.Domain;
using Emulator.Protocol;

namespace Emulator.Api;

/// <summary>A validated <c>subscriptions/change</c> request (SPEC §3.2).</summary>
public sealed record ChangeSubscriptionRequest(
    string SubscriptionChangeRequestId,
    string SubscriptionId,
    string? Description,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    PeriodRule? PeriodRule,
    DateTimeOffset? ExpiryTime,
    Amount? OrderAmount,
    Amount PaymentAmount,
    Amount? PaymentAmountDifference)
{
    public static ChangeSubscriptionRequest? Parse(JsonFields body, DateTimeOffset now)
    {
        var changeRequestId = body.Text("subscriptionChangeRequestId", 64, required: true);
        var subscriptionId = body.Text("subscriptionId", 64, required: true);
        var description = body.Text("subscriptionDescription", 256);
        var start = body.Time("subscriptionStartTime");
        var end = body.Time("subscriptionEndTime");
        var periodRule = CreateSubscriptionRequest.ReadPeriodRule(body, required: false);
        var expiry = body.Time("subscriptionExpiryTime");
        var orderAmount = body.Object("orderInfo")?.Amount("orderAmount", required: true);
        var paymentAmount = body.Amount("paymentAmount", required: true);
        var difference = body.Amount("paymentAmountDifference");

        if (start is { } s && end is { } e && e <= s)
        {
            body.Fail("subscriptionEndTime", "must be after subscriptionStartTime");
        }
        else if (end is { } past && past <= now)
        {
            body.Fail("subscriptionEndTime", $"must be after the time of the request ({now:O})");
        }

        if (expiry is { } x)
        {
            CreateSubscriptionRequest.CheckExpiry(body, x, now);
        }

        if (periodRule is not null && CreateSubscriptionRequest.PeriodOverflow(periodRule, start ?? now, start is null ? "the time of the request" : "subscriptionStartTime") is { } overflow)
        {
            body.Fail("periodRule", overflow);
        }

        if (paymentAmount is not null && difference is not null && difference.Currency != paymentAmount.Currency)
        {
            body.Fail("paymentAmountDifference.currency", $"must equal paymentAmount.currency ({paymentAmount.Currency})");
        }

        if (body.Errors.Count > 0)
        {
            return null;
        }

        return new ChangeSubscriptionRequest(changeRequestId!, subscriptionId!, description, start, end, periodRule, expiry, orderAmount, paymentAmount!, difference);
    }
}
