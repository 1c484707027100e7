using System.Net;
using System.Text;
using Emulator.Domain;
using Emulator.Lifecycle;
using Emulator.Persistence;
using Emulator.Scheduling;

namespace Emulator.Dashboard;

/// <summary>
/// The page behind <c>normalUrl</c>: what the buyer sees in the wallet. It shows the plan with Approve and Decline
/// and then sends the browser to <c>subscriptionRedirectUrl</c> (SPEC §4.1 step 3).
/// </summary>
public static class AuthorizationPage
{
    public static IEndpointRouteBuilder MapAuthorizationPage(this IEndpointRouteBuilder app)
    {
        var page = app.MapGroup(AuthorizationLinks.PagePath + "/{token}").ExcludeFromDescription();
        page.MapGet("", ShowAsync);
        page.MapPost("/approve", (string token, SubscriptionStore store, BuyerDecisions buyer, CancellationToken ct) => DecideAsync(token, true, store, buyer, ct));
        page.MapPost("/decline", (string token, SubscriptionStore store, BuyerDecisions buyer, CancellationToken ct) => DecideAsync(token, false, store, buyer, ct));
        return app;
    }

    private static async Task<IResult> ShowAsync(string token, SubscriptionStore store, MerchantClocks clocks, CancellationToken cancellationToken)
    {
        if (await store.FindByAuthorizationTokenAsync(token, cancellationToken) is not { } subscription)
        {
            return Html(StatusCodes.Status404NotFound, "Unknown authorization link", "<p>This authorization link does not belong to any subscription request.</p>");
        }

        var plan = subscription.Plan;

        // The emulator's own times (the default deadline) in the start time's offset, as the dashboard shows them.
        string When(DateTimeOffset time) => Dashboard.Html.Time(time, plan.StartTime.Offset);
        var body = new StringBuilder();
        body.Append("<table>");
        Row(body, "Merchant", subscription.ClientId);
        Row(body, "Subscription", plan.Description);
        Row(body, "Amount per period", plan.PaymentAmount.ForPeople());
        Row(body, "Period", plan.PeriodRule.ToString());
        foreach (var trial in plan.Trials)
        {
            Row(body, "Trial", $"periods {trial.StartPeriod}–{trial.EndPeriod} at {trial.Amount.ForPeople()}");
        }

        Row(body, "Starts", When(plan.StartTime));
        Row(body, "Ends", plan.EndTime is { } end ? Dashboard.Html.Time(end) : "when cancelled");
        Row(body, "Payment method", plan.PaymentMethod.PaymentMethodType);
        Row(body, "Authorize before", When(plan.ExpiryTime));
        Row(body, "Status", subscription.Status.ToWire());
        body.Append("</table>");

        var now = await clocks.NowAsync(subscription.ClientId, cancellationToken);
        if (subscription.AuthorizationExpired || (subscription.Status == SubscriptionStatus.AwaitingAuthorization && now >= plan.ExpiryTime))
        {
            body.Append($"<p class=\"closed\">The authorization window closed at {When(plan.ExpiryTime)}.</p>");
        }
        else if (subscription.Status != SubscriptionStatus.AwaitingAuthorization)
        {
            body.Append($"<p class=\"closed\">This request is {subscription.Status.ToWire()}: there is nothing left to decide.</p>");
        }
        else
        {
            var action = $"{AuthorizationLinks.PagePath}/{WebUtility.UrlEncode(token)}";
            body.Append($"<form method=\"post\" action=\"{action}/approve\"><button id=\"approve\" type=\"submit\">Approve</button></form>");
            body.Append($"<form method=\"post\" action=\"{action}/decline\"><button id=\"decline\" type=\"submit\">Decline</button></form>");
        }

        return Html(StatusCodes.Status200OK, "Authorize subscription", body.ToString());
    }

    private static async Task<IResult> DecideAsync(string token, bool approve, SubscriptionStore store, BuyerDecisions buyer, CancellationToken cancellationToken)
    {
        if (await store.FindByAuthorizationTokenAsync(token, cancellationToken) is not { } found)
        {
            return Html(StatusCodes.Status404NotFound, "Unknown authorization link", "<p>This authorization link does not belong to any subscription request.</p>");
        }

        var (subscription, outcome) = await buyer.DecideAsync(found.ClientId, found.SubscriptionRequestId, approve, cancellationToken);
        if (!outcome.Succeeded)
        {
            return Html(StatusCodes.Status409Conflict, "Cannot do that", $"<p class=\"closed\">{WebUtility.HtmlEncode(outcome.Reason)}</p>");
        }

        return Results.Redirect(AsciiUrl(subscription!.Plan.RedirectUrl));
    }

    /// <summary>
    /// The merchant's redirect URL as a Location header can carry it: non-ASCII characters (<c>café</c>, U+2028) made the
    /// header invalid, and the buyer got an error after the approval had been saved. A URL that is ASCII already goes
    /// as written (an app's deep link too); otherwise its host is written in IDNA and the rest percent-encoded.
    /// </summary>
    private static string AsciiUrl(string url)
    {
        if (url.All(HeaderSafe))
        {
            return url;
        }

        var ascii = Uri.TryCreate(url, UriKind.Absolute, out var uri)
            ? uri.Host.Length > 0 ? new UriBuilder(uri) { Host = uri.IdnHost }.Uri.AbsoluteUri : uri.AbsoluteUri
            : url;
        return ascii.All(HeaderSafe)
            ? ascii
            : string.Concat(ascii.Select(c => HeaderSafe(c) ? c.ToString() : string.Concat(System.Text.Encoding.UTF8.GetBytes(c.ToString()).Select(b => $"%{b:X2}"))));
    }

    private static bool HeaderSafe(char c) => c is > ' ' and < (char)0x7F;

    private static void Row(StringBuilder body, string name, string value) =>
        body.Append($"<tr><th>{WebUtility.HtmlEncode(name)}</th><td>{WebUtility.HtmlEncode(value)}</td></tr>");

    private static IResult Html(int status, string title, string body) => Dashboard.Html.Page(title, body, status);
}
