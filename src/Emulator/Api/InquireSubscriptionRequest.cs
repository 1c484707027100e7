using Emulator.Protocol;

namespace Emulator.Api;

/// <summary>A validated <c>subscriptions/inquireSubscription</c> request (SPEC §3.6).</summary>
public sealed record InquireSubscriptionRequest(string SubscriptionId)
{
    public static InquireSubscriptionRequest? Parse(JsonFields body)
    {
        var subscriptionId = body.Text("subscriptionId", 64, required: true);
        body.Text("merchantAccountId", 64);
        return body.Errors.Count > 0 ? null : new InquireSubscriptionRequest(subscriptionId!);
    }
}
