using Emulator.Domain;
using Emulator.Notifications;
using Emulator.Protocol;

namespace Emulator.Api;

/// <summary>inquireSubscriptionPayment's answer (SPEC §3.8, §2.10): one page of the subscription's payments.</summary>
public sealed record InquireSubscriptionPaymentResponse(AntomResult Result, IReadOnlyList<SubscriptionTransaction> Payments, Paginator Paginator) : AntomResponse(Result);

/// <summary>One period's payment (SPEC §2.10); <c>phaseNo</c> a number, as the SDK models parse it.</summary>
public sealed record SubscriptionTransaction(
    string PaymentId,
    string Status,
    int PhaseNo,
    SubscriptionInfo.Method PaymentMethod,
    Amount PaymentAmount,
    string? PaymentTime)
{
    public static SubscriptionTransaction Of(Subscription subscription, Phase phase) => new(
        phase.PaymentId,
        phase.Succeeded ? "SUCCESS" : "FAIL",
        phase.PhaseNo,
        SubscriptionInfo.Method.Of(subscription.Plan.PaymentMethod),
        phase.Amount,
        phase.PaymentTime is { } paid ? NotificationBodies.Time(paid, subscription.Plan.StartTime.Offset) : null);
}

/// <summary>Where a page lies in a list (SPEC §2.10): numbers.</summary>
public sealed record Paginator(int CurrentPage, int PageSize, int TotalPage, int TotalCount)
{
    /// <summary>Page <paramref name="currentPage"/> (from 1) of <paramref name="items"/>, and where it lies.</summary>
    public static (List<T> Page, Paginator Paginator) Page<T>(IReadOnlyList<T> items, int currentPage, int pageSize)
    {
        var skip = (int)Math.Min((long)(currentPage - 1) * pageSize, int.MaxValue);
        return ([.. items.Skip(skip).Take(pageSize)], new Paginator(currentPage, pageSize, (items.Count + pageSize - 1) / pageSize, items.Count));
    }
}
