using Emulator.Protocol;

namespace Emulator.Api;

/// <summary>A validated <c>subscriptions/cancel</c> request (SPEC §3.3).</summary>
public sealed record CancelSubscriptionRequest(string? SubscriptionId, string? SubscriptionRequestId, string CancellationType)
{
    public static readonly IReadOnlyList<string> CancellationTypes = ["CANCEL", "TERMINATE"];

    public static CancelSubscriptionRequest? Parse(JsonFields body)
    {
        var subscriptionId = body.Text("subscriptionId", 64);
        var requestId = body.Text("subscriptionRequestId", 64);
        var type = body.OneOf("cancellationType", CancellationTypes, 32, required: true);
        if (subscriptionId is null && requestId is null)
        {
            body.Fail("subscriptionId", "subscriptionId or subscriptionRequestId is required");
        }

        return body.Errors.Count > 0 ? null : new CancelSubscriptionRequest(subscriptionId, requestId, type!);
    }
}
