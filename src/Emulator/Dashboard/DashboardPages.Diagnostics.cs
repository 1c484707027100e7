using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Emulator.Control;
using Emulator.Domain;
using Emulator.Merchants;
using Emulator.Notifications;
using Emulator.Persistence;
using static Emulator.Dashboard.Html;

namespace Emulator.Dashboard;

/// <summary>
/// What the merchant page shows to answer "why did my integration not get what it expected": where the notifications
/// go, the notifications not acknowledged (an endpoint down, or refusing the signature), and the last API calls with
/// their result (an <c>INVALID_SIGNATURE</c>'s message gives the exact content that was verified, which some SDKs hide).
/// </summary>
public static partial class DashboardPages
{
    private const int SubscriptionsPerPage = 50;
    private const int RecentCallsShown = 25;
    private const int UnacknowledgedShown = 20;

    /// <summary>The registered notification URLs and key version, with the control call that changes them.</summary>
    private static string SettingsSection(Merchant merchant)
    {
        static string Url(string? url) => url is null
            ? "<span class=\"closed\">none registered: each create must give its own</span>"
            : $"<code>{E(url)}</code>";
        return $"<p id=\"settings\">notifySubscription → {Url(merchant.SubscriptionNotificationUrl)} · notifyPayment → {Url(merchant.PaymentNotificationUrl)} · "
            + $"requests verified with the public key of version {E(merchant.KeyVersion)} · "
            + $"<a href=\"{ControlApi.Prefix}/merchants/{U(merchant.ClientId)}\">as JSON</a> (<code>PUT</code> it to change them)</p>";
    }

    /// <summary>One page of the merchant's subscriptions, newest first, with links to the others; null for a page past the last.</summary>
    private static async Task<string?> SubscriptionsSection(
        string self, string clientId, SubscriptionStatus? wanted, int page, SubscriptionStore store, Database database, CancellationToken ct)
    {
        var ids = await store.ListIdsAsync(clientId, wanted, null, ct);
        var pages = Math.Max(1, (ids.Count + SubscriptionsPerPage - 1) / SubscriptionsPerPage);
        if (page > pages)
        {
            return null;
        }

        var first = (page - 1) * SubscriptionsPerPage;
        var shown = ids.Reverse().Skip(first).Take(SubscriptionsPerPage).ToList();
        var found = (await SubscriptionStore.ByIdsAsync(database, shown, ct)).ToDictionary(s => s.SubscriptionId, StringComparer.Ordinal);
        var filter = wanted is { } w ? $"status={w.ToWire()}&" : "";
        var body = new StringBuilder();
        body.Append("<h2>Subscriptions</h2><p>Show: ");
        body.Append($"<a href=\"{self}\">all</a> ");
        foreach (var s in Enum.GetValues<SubscriptionStatus>())
        {
            body.Append($"<a href=\"{self}?status={s.ToWire()}\">{s.ToWire()}</a> ");
        }

        body.Append("</p>");
        if (ids.Count > SubscriptionsPerPage)
        {
            body.Append($"<p id=\"subscription-pages\">{(first + 1).ToString(CultureInfo.InvariantCulture)}–{(first + shown.Count).ToString(CultureInfo.InvariantCulture)} of {ids.Count.ToString(CultureInfo.InvariantCulture)}, newest first");
            if (page > 1)
            {
                body.Append($" · <a id=\"newer\" href=\"{self}?{filter}page={(page - 1).ToString(CultureInfo.InvariantCulture)}\">newer</a>");
            }

            if (page < pages)
            {
                body.Append($" · <a id=\"older\" href=\"{self}?{filter}page={(page + 1).ToString(CultureInfo.InvariantCulture)}\">older</a>");
            }

            body.Append("</p>");
        }

        body.Append("<table id=\"subscriptions\">" + Header("Subscription", "Request id", "Status", "Plan", "Amount", "Created"));
        foreach (var id in shown)
        {
            // One deleted between the two reads (its merchant deleted meanwhile) is left out.
            if (found.TryGetValue(id, out var s))
            {
                Row(body,
                    $"<a href=\"{self}/subscriptions/{U(s.SubscriptionId)}\">{E(s.SubscriptionId)}</a>",
                    E(s.SubscriptionRequestId),
                    $"<span class=\"{s.Status.ToWire()}\">{s.Status.ToWire()}</span>",
                    E(s.Plan.Description) + " · " + E(s.Plan.PeriodRule.ToString()),
                    E(s.Plan.PaymentAmount.ForPeople()),
                    E(Time(s.CreatedAt)));
            }
        }

        return body.Append("</table>").ToString();
    }

    /// <summary>The notifications still pending or exhausted, newest first, each with its attempts and a redeliver button.</summary>
    private static async Task<string> UnacknowledgedSection(string self, string clientId, Outbox outbox, CancellationToken ct)
    {
        var waiting = await outbox.UnacknowledgedAsync(clientId, UnacknowledgedShown, ct);
        var body = new StringBuilder("<h2 id=\"not-acknowledged\">Notifications not acknowledged</h2>");
        if (waiting.Count == 0)
        {
            return body.Append("<p id=\"all-acknowledged\">Every notification sent so far was acknowledged.</p>").ToString();
        }

        var ledger = $"{ControlApi.Prefix}/merchants/{U(clientId)}/notifications";
        body.Append($"<p>Still to be acknowledged (<span class=\"pending\">pending</span>: retried on Antom's schedule) or given up (<span class=\"exhausted\">exhausted</span>: redeliver it), newest first{(waiting.Count == UnacknowledgedShown ? $", the latest {UnacknowledgedShown.ToString(CultureInfo.InvariantCulture)}" : "")}; "
            + $"the ledger as JSON: <a href=\"{ledger}?status=pending\">pending</a>, <a href=\"{ledger}?status=exhausted\">exhausted</a>.</p>");
        body.Append("<table id=\"unacknowledged\">" + Header("Notification", "Kind", "Status", "Next attempt", "Attempts", ""));
        foreach (var (n, attempts) in waiting)
        {
            Row(body,
                $"<code>{E(n.NotificationId)}</code> {NotificationSummary(n)}<br>subscription <a href=\"{self}/subscriptions/{U(n.SubscriptionId)}\">{E(n.SubscriptionId)}</a><br>to <code>{E(n.Url)}</code>",
                E(n.Kind),
                $"<span class=\"{n.Status}\">{E(n.Status)}</span>",
                NextAttempt(n, t => Time(t)),
                AttemptsCell(attempts, t => Time(t)),
                Button($"{self}/notifications/{U(n.NotificationId)}/redeliver", "Redeliver", $"redeliver-{n.NotificationId}"));
        }

        return body.Append("</table>").ToString();
    }

    /// <summary>The merchant's last API calls, newest first, with the result each was answered (or, under a transport fault, what its client saw).</summary>
    private static async Task<string> RecentCallsSection(string self, string clientId, ApiCallJournal journal, CancellationToken ct)
    {
        var calls = await journal.RecentAsync(clientId, RecentCallsShown, ct);
        var body = new StringBuilder("<h2 id=\"recent-api-calls\">Recent API calls</h2>");
        if (calls.Count == 0)
        {
            return body.Append("<p id=\"no-api-calls\">No call to the emulated API with this client id yet.</p>").ToString();
        }

        body.Append($"<p>The last {RecentCallsShown.ToString(CultureInfo.InvariantCulture)} calls with this client id, newest first, refused ones included (a refused signature's message gives the exact content that was verified); "
            + $"every one as JSON: <a href=\"{ControlApi.Prefix}/merchants/{U(clientId)}/api-calls\">api-calls</a>. Times on the merchant's clock.</p>");
        body.Append("<table id=\"api-calls\">" + Header("At", "API", "Request id", "Subscription", "Result", "Message"));
        foreach (var call in calls)
        {
            Row(body,
                E(Time(call.At)),
                E(call.Api),
                call.RequestId is { } request ? $"<code>{E(request)}</code>" : "",
                call.SubscriptionId is { } subscription ? $"<a href=\"{self}/subscriptions/{U(subscription)}\">{E(subscription)}</a>" : "",
                $"<span class=\"{E(call.ResultStatus)}\">{E(call.ResultCode)}</span>",
                call.ResultMessage is { Length: > 0 } message ? $"<code>{E(message)}</code>" : "");
        }

        return body.Append("</table>").ToString();
    }

    /// <summary>
    /// A notification's attempts: the latest in view, the earlier ones folded (a notification that went through the whole
    /// retry schedule has nine, and the page is read for what happened last).
    /// </summary>
    private static string AttemptsCell(IReadOnlyList<AttemptRecord> all, Func<DateTimeOffset?, string> time)
    {
        var attempts = new StringBuilder();
        for (var i = 0; i < all.Count; i++)
        {
            var a = all[i];
            if (i == 0 && all.Count > 1)
            {
                attempts.Append($"<details><summary>{all.Count - 1} earlier attempt{(all.Count > 2 ? "s" : "")}</summary>");
            }

            attempts.Append($"<div class=\"{a.Outcome}\">#{a.Attempt} {E(time(a.At))} {E(a.Outcome)}{(a.HttpStatus is { } h ? $" HTTP {h}" : "")}{(a.Redelivery ? " (redelivery)" : "")}{(a.Error is { Length: > 0 } why ? $" — {E(why)}" : "")}{(a.ResponseBody is { Length: > 0 } r ? $" <code>{E(r.Length > 80 ? r[..80] + "…" : r)}</code>" : "")}</div>");
            if (i == all.Count - 2)
            {
                attempts.Append("</details>");
            }
        }

        return attempts.ToString();
    }

    /// <summary>When a notification goes out next, or why it waits for no time.</summary>
    private static string NextAttempt(NotificationRecord n, Func<DateTimeOffset?, string> time) =>
        NotificationView.IsHeldBack(n) ? "held back by a reorder fault until the subscription's next notification" : E(time(n.NextAttemptAt));

    /// <summary>What a notification says, in a few words, as HTML: "CREATE · ACTIVE", "phase 2 · SUCCESS · 199.00 PHP".</summary>
    private static string NotificationSummary(NotificationRecord n)
    {
        try
        {
            if (JsonNode.Parse(n.Body) is not JsonObject body)
            {
                return "";
            }

            string?[] parts = n.Kind == NotificationKinds.Payment
                ? [body["phaseNo"] is { } phase ? $"phase {phase}" : null, (string?)body["result"]?["resultCode"], Amount(body["paymentAmount"])]
                : [(string?)body["subscriptionNotificationType"], (string?)body["subscriptionStatus"]];
            return string.Join(" · ", parts.OfType<string>().Select(E));
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            // A body that reads otherwise than the emulator writes it: the body itself says what it is.
            return "";
        }

        static string? Amount(JsonNode? amount) =>
            amount?["currency"]?.ToString() is { } currency && amount["value"]?.ToString() is { } value && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
                ? new Amount(currency, minor).ForPeople()
                : null;
    }
}
