using Emulator.Protocol;

namespace Emulator.Api;

/// <summary>
/// A validated <c>subscriptions/inquireSubscriptionList</c> request (SPEC §3.7). The time window applies to each
/// subscription's initial start time; without bounds it is the seven days up to the merchant's now.
/// </summary>
public sealed record InquireSubscriptionListRequest(
    DateTimeOffset StartTimeFrom,
    DateTimeOffset StartTimeTo,
    IReadOnlyList<string> Statuses,
    IReadOnlyList<string>? PaymentMethodTypes,
    IReadOnlyList<string>? Currencies,
    IReadOnlyList<string>? PeriodTypes,
    int CurrentPage,
    int PageSize)
{
    public static readonly IReadOnlyList<string> ListedStatuses = ["ACTIVE", "CANCELLED", "TERMINATED"];

    public static readonly IReadOnlyList<string> ListedPeriodTypes = ["DAY", "WEEK", "MONTH", "YEAR"];

    public const int MaxPageSize = 100;

    public const int DefaultPageSize = 10;

    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(7);

    public static InquireSubscriptionListRequest? Parse(JsonFields body, DateTimeOffset now)
    {
        body.Text("merchantAccountId", 64);
        var from = body.Time("startTimeFrom", maxLength: 32);
        var to = body.Time("startTimeTo", maxLength: 32);
        var statuses = body.OneOfEach("statuses", ListedStatuses, 3);
        var methods = body.TextEach("paymentMethodTypes", 64);
        var currencies = body.TextEach("currencies", 3);
        var periodTypes = body.OneOfEach("periodTypes", ListedPeriodTypes, 4);
        var page = body.Integer("currentPage", 1) ?? 1;
        var size = body.Integer("pageSize", 1, max: MaxPageSize) ?? DefaultPageSize;
        var (start, end) = (from ?? DefaultFrom(now), to ?? now);
        if (start > end)
        {
            if (from is null)
            {
                body.Fail("startTimeTo", $"must not be before startTimeFrom, which is 7 days before the request time when absent (or the calendar's first instant, if that is later: {start:O})");
            }
            else
            {
                body.Fail("startTimeFrom", $"must not be after startTimeTo ({end:O}{(to is null ? ", the request time when absent" : "")})");
            }
        }

        return body.Errors.Count > 0
            ? null
            : new InquireSubscriptionListRequest(start, end, statuses is { Count: > 0 } ? statuses : ListedStatuses, NullIfEmpty(methods), NullIfEmpty(currencies), NullIfEmpty(periodTypes), page, size);
    }

    /// <summary>
    /// The default window's start: 7 days before now, or the calendar's first instant (the year 1) for a merchant's clock
    /// less than 7 days after it. No subscription starts earlier, so the list is the same.
    /// </summary>
    private static DateTimeOffset DefaultFrom(DateTimeOffset now) =>
        now.UtcTicks - DateTimeOffset.MinValue.UtcTicks < DefaultWindow.Ticks ? DateTimeOffset.MinValue : now.ToUniversalTime() - DefaultWindow;

    private static IReadOnlyList<string>? NullIfEmpty(IReadOnlyList<string>? items) => items is { Count: > 0 } ? items : null;
}
