using Emulator.Protocol;

namespace Emulator.Api;

/// <summary>A validated <c>subscriptions/inquireSubscriptionPayment</c> request (SPEC §3.8).</summary>
public sealed record InquireSubscriptionPaymentRequest(string SubscriptionId, IReadOnlyList<string>? PaymentStatuses, int CurrentPage, int PageSize)
{
    public static readonly IReadOnlyList<string> Statuses = ["SUCCESS", "FAIL"];

    public const int MaxPageSize = 10;

    public static InquireSubscriptionPaymentRequest? Parse(JsonFields body)
    {
        var subscriptionId = body.Text("subscriptionId", 64, required: true);
        body.Text("merchantAccountId", 64);
        var statuses = body.OneOfEach("paymentStatuses", Statuses, 3);
        var page = body.Integer("currentPage", 1) ?? 1;
        var size = body.Integer("pageSize", 1, max: MaxPageSize) ?? MaxPageSize;

        return body.Errors.Count > 0 ? null : new InquireSubscriptionPaymentRequest(subscriptionId!, statuses is { Count: > 0 } ? statuses : null, page, size);
    }
}
