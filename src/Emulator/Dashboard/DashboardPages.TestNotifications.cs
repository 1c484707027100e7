using System.Text;
using Emulator.Control;
using Emulator.Merchants;
using Emulator.Notifications;
using static Emulator.Dashboard.Html;

namespace Emulator.Dashboard;

/// <summary>
/// The merchant page's test notification forms and the page of what one did: the control API's
/// <c>POST …/notifications/test</c> (<see cref="NotificationsApi.SendTestNotificationAsync"/>), as Antom Dashboard's
/// notification Test tab offers it.
/// </summary>
public static partial class DashboardPages
{
    /// <summary>The sample choice of a declined request's CREATE (<c>TERMINATED</c>).</summary>
    private const string DeclinedCreate = "CREATE declined";

    /// <summary>The forgeries a form offers, in words; the empty value is a notification signed as Antom signs.</summary>
    private static readonly IReadOnlyList<(string Value, string Words)> Forgeries =
    [
        ("", "valid signature"),
        (NotificationForgeries.WrongKey, "signed with another key"),
        (NotificationForgeries.TamperedBody, "body changed after signing"),
        (NotificationForgeries.NoSignature, "no signature"),
    ];

    /// <summary>
    /// One form per kind, so that each URL is prefilled with the one the merchant registered for that kind. The body box
    /// stays empty: a body given is sent instead of the sample (the result page offers the body sent, to edit and send again).
    /// </summary>
    private static string TestNotificationForms(Merchant merchant, TestNotifications tests)
    {
        var action = $"{Root}/merchants/{U(merchant.ClientId)}/notifications/test";
        var body = new StringBuilder("<h2>Send a test notification</h2>");
        body.Append("<p>One notification, signed as Antom signs them, sent once now to the URL: the emulator's body for the event chosen, or the JSON you give, byte for byte. ")
            .Append("Not in the ledger, never retried, untouched by the fault rules. The page after it shows the endpoint's answer and the signed content your verifier must rebuild. ")
            .Append("Choose a forgery instead of a valid signature to see your endpoint refuse a notification Antom did not sign.</p>");
        string[] subscriptionSamples = [.. SampleNotifications.SubscriptionTypes.SelectMany(t => t == "CREATE" ? [t, DeclinedCreate] : new[] { t })];
        body.Append(TestNotificationForm(action, "test-notify-subscription", NotificationKinds.Subscription, subscriptionSamples, merchant.SubscriptionNotificationUrl, null, null));
        body.Append("<br>");
        body.Append(TestNotificationForm(action, "test-notify-payment", NotificationKinds.Payment, ["SUCCESS", .. tests.FailureCodes], merchant.PaymentNotificationUrl, null, null));
        return body.ToString();
    }

    /// <summary>
    /// A test notification form of <paramref name="kind"/>: the sample to send (none when <paramref name="body"/> is
    /// given), the URL, the signature (<paramref name="forgery"/> chosen), the body.
    /// </summary>
    private static string TestNotificationForm(string action, string id, string kind, IReadOnlyList<string>? samples, string? url, string? body, string? forgery) =>
        $"<form id=\"{E(id)}\" method=\"post\" action=\"{E(action)}\"><input type=\"hidden\" name=\"kind\" value=\"{E(kind)}\">{E(kind)} "
        + (samples is null ? "" : $"<select name=\"sample\">{Options(samples)}</select> ")
        + $"to <input name=\"url\" type=\"url\" size=\"48\" value=\"{E(url)}\" placeholder=\"http://localhost:8080/antom/notify\"> "
        + "<select name=\"forgery\">"
        + string.Concat(Forgeries.Select(f => $"<option value=\"{E(f.Value)}\"{(f.Value == (forgery ?? "") ? " selected" : "")}>{E(f.Words)}</option>"))
        + "</select><br>"
        // The line break after <textarea> is the parser's to drop: a body that begins with one keeps it.
        + $"<textarea name=\"body\" rows=\"{(body is null ? 2 : 12)}\" cols=\"80\" placeholder=\"Optional: a JSON body, sent as it is instead of the sample\">\n{E(body)}</textarea><br>"
        + "<button type=\"submit\">Send</button></form>";

    private static async Task<IResult> SendTestNotificationAsync(string clientId, HttpRequest request, MerchantRegistry merchants, TestNotifications tests, CancellationToken ct)
    {
        if (await ReadFormAsync(request, ct) is not { } form)
        {
            return Unreadable(clientId);
        }

        var kind = form["kind"].ToString();
        var body = form["body"].ToString() is { Length: > 0 } given ? given : null;
        var sample = body is null && form["sample"].ToString() is { Length: > 0 } chosen ? chosen : null;
        var declined = kind == NotificationKinds.Subscription && sample == DeclinedCreate;
        var test = new TestNotificationBody(
            kind,
            form["url"].ToString().Trim() is { Length: > 0 } url ? url : null,
            kind == NotificationKinds.Subscription ? declined ? "CREATE" : sample : null,
            declined ? true : null,
            kind == NotificationKinds.Payment ? sample : null,
            body,
            form["forgery"].ToString() is { Length: > 0 } forged ? forged : null);
        var back = $"<p><a href=\"{Root}/merchants/{U(clientId)}\">Back</a></p>";
        if (test.Validate(tests.FailureCodes) is { } error)
        {
            return Page("Cannot send that", $"<p class=\"closed\">{E(error)}</p>{back}", StatusCodes.Status400BadRequest, Nav());
        }

        if (await merchants.FindAsync(clientId, ct) is not var (merchant, _) || test.UrlFor(merchant) is not { } to)
        {
            return Page("Cannot send that", $"<p class=\"closed\">{E(test.NoUrl(clientId))}</p>{back}", StatusCodes.Status400BadRequest, Nav());
        }

        var sent = await tests.SendAsync(clientId, kind, to, test.Body, test.SubscriptionNotificationType, declined, test.ResultCode, test.Forgery, ct);
        var post = sent.Post;
        var page = new StringBuilder($"<p><a href=\"{Root}/merchants/{U(clientId)}\">← {E(clientId)}</a></p>");
        page.Append($"<p>{E(sent.Kind)} <code>{E(sent.NotificationId)}</code> to <code>{E(sent.Url)}</code> at {E(Time(sent.At))}: ")
            .Append($"<strong id=\"outcome\" class=\"{E(post.Outcome)}\">{E(post.Outcome)}</strong>")
            .Append(post.HttpStatus is { } status ? $" <span id=\"http-status\">HTTP {status}</span>" : "")
            .Append(post.Error is { Length: > 0 } why ? $" — <span id=\"error\">{E(why)}</span>" : "")
            .Append("</p>");
        page.Append($"<p id=\"verdict\" class=\"{(sent.Passed ? "passed" : "failed")}\">{E(Verdict(sent))}</p>");
        page.Append($"<h2>The answer</h2><pre id=\"response-body\">{E(post.ResponseBody ?? "(none)")}</pre>");
        page.Append("<h2>Headers sent</h2><table id=\"headers\">").Append(Header("Header", "Value"));
        foreach (var (name, value) in post.Headers)
        {
            Row(page, $"<code>{E(name)}</code>", $"<code>{E(value)}</code>");
        }

        page.Append("</table><h2>Signed content</h2><p>The signature is RSA-SHA256 with Antom's key over this text: <code>POST</code>, the path and query of the URL, a line break, then ")
            .Append("the <code>client-id</code> and <code>request-time</code> headers and the raw body, joined by dots. A verifier that rebuilds anything else fails.")
            .Append(sent.Forgery switch
            {
                NotificationForgeries.WrongKey => " This one was signed over it with another key.",
                NotificationForgeries.TamperedBody => " This one was signed over it, then the body below was sent instead.",
                NotificationForgeries.NoSignature => " This one was sent without its signature.",
                _ => "",
            })
            .Append("</p>")
            .Append($"<pre id=\"signed-content\">{E(post.SignedContent ?? "(nothing was signed)")}</pre>");
        page.Append($"<h2>Body sent</h2><pre id=\"body\">{E(sent.Body)}</pre>");
        page.Append("<h2>Send again</h2><p>The same body, to edit before sending.</p>")
            .Append(TestNotificationForm($"{Root}/merchants/{U(clientId)}/notifications/test", "send-again", sent.Kind, null, sent.Url, sent.Body, sent.Forgery));
        return Page("Test notification", page.ToString(), nav: Nav());
    }

    /// <summary>What was sent, what Antom's rules expect of the endpoint, and whether it did, in words.</summary>
    private static string Verdict(TestNotificationSent sent)
    {
        var what = sent.Forgery is { } forgery
            ? $"Forged ({Forgeries.Single(f => f.Value == forgery).Words}): the endpoint must not acknowledge it"
            : "Signed as Antom signs: the endpoint must acknowledge it";
        var did = sent.Post.Outcome switch
        {
            DeliveryOutcomes.Acknowledged => sent.Passed ? "and it did. Passed." : "but it acknowledged it. Not passed: it trusts a notification Antom did not sign.",
            DeliveryOutcomes.Rejected => sent.Passed
                ? "and it refused it. Passed, if the same endpoint acknowledges a genuine notification (send one with a valid signature): an endpoint that refuses everything passes too."
                : "but it refused it. Not passed: Antom would send it again and again.",
            _ => $"but it did not answer ({sent.Post.Outcome}), which says nothing of how it checks signatures. Not passed.",
        };
        return $"{what}, {did}";
    }
}
