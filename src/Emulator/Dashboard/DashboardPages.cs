using System.Globalization;
using System.Text;
using Emulator.Control;
using Emulator.Domain;
using Emulator.Hosting;
using Emulator.Faults;
using Emulator.Merchants;
using Emulator.Notifications;
using Emulator.Persistence;
using Emulator.Scheduling;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using static Emulator.Dashboard.Html;

namespace Emulator.Dashboard;

/// <summary>
/// The dashboard under <c>/_emulator/ui</c>: merchants, each one's clock with controls, its subscriptions, faults in
/// force, and one subscription's whole story. Forms post back and redirect (no scripts).
/// </summary>
public static partial class DashboardPages
{
    public const string Root = "/_emulator/ui";

    private static readonly string[] Steps = ["P1D", "P1W", "P1M", "P1Y"];

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        var ui = app.MapGroup(Root).ExcludeFromDescription();
        ui.MapGet("", MerchantsAsync);

        // A page or a form about a merchant that does not exist is a 404, and changes nothing (a merchant created later
        // with that id must not find a fault or a clock left by a form).
        var merchant = ui.MapGroup("/merchants/{clientId}").AddEndpointFilter<MerchantUseFilter>().AddEndpointFilter(async (context, next) =>
        {
            var clientId = context.HttpContext.GetRouteValue("clientId") as string ?? "";
            var merchants = context.HttpContext.RequestServices.GetRequiredService<MerchantRegistry>();
            return await merchants.FindAsync(clientId, context.HttpContext.RequestAborted) is null
                ? Page("Unknown merchant", $"<p class=\"closed\">No merchant {E(clientId)}.</p>", StatusCodes.Status404NotFound, Nav())
                : await next(context);
        });
        // A form is what a browser posts: a body of another type (JSON meant for the control API) would be read as an
        // empty form and act on defaults (a freeze froze), so it is refused before the form is read, with a page.
        merchant.AddEndpointFilter(async (context, next) =>
            HttpMethods.IsPost(context.HttpContext.Request.Method) && !IsForm(context.HttpContext.Request)
                ? Results.StatusCode(StatusCodes.Status415UnsupportedMediaType)
                : await next(context));
        merchant.MapGet("", MerchantAsync);
        merchant.MapPost("/clock/{action}", ClockAsync);
        merchant.MapPost("/faults", AddFaultAsync);
        merchant.MapPost("/faults/{faultId}/delete", DeleteFaultAsync);
        merchant.MapPost("/scenarios", ApplyScenarioAsync);
        merchant.MapGet("/subscriptions/{subscriptionId}", SubscriptionAsync);
        merchant.MapPost("/notifications/{notificationId}/redeliver", RedeliverAsync);
        merchant.MapPost("/notifications/test", SendTestNotificationAsync);
        merchant.MapPost("/payments/{paymentId}/settle", SettlePaymentAsync);
        merchant.MapPost("/refunds/{refundId}/settle", SettleRefundAsync);
        return app;
    }

    private static async Task<IResult> MerchantsAsync(HttpRequest request, MerchantStore merchants, SubscriptionStore subscriptions, MerchantClocks clocks, Outbox outbox, IOptions<EmulatorOptions> options, CancellationToken ct)
    {
        var body = new StringBuilder();
        var ids = await merchants.ListIdsAsync(ct);
        if (ids.Count == 0)
        {
            body.Append($"<p id=\"no-merchants\">No merchant yet: register one with <code>PUT {ControlApi.Prefix}/merchants/{{clientId}}</code> and its public key (the default merchant is loaded at start unless <code>Emulator:LoadDefaultMerchant</code> is false).</p>");
        }
        else
        {
            var unacknowledged = await outbox.UnacknowledgedCountsAsync(ct);
            body.Append("<table id=\"merchants\">" + Header("Client id", "Clock", "Subscriptions", "Notifications not acknowledged"));
            foreach (var clientId in ids)
            {
                var clock = await clocks.GetAsync(clientId, ct);
                var waiting = unacknowledged.GetValueOrDefault(clientId);
                Row(body, $"<a href=\"{Root}/merchants/{U(clientId)}\">{E(clientId)}</a>", E(Time(await clocks.NowAsync(clientId, ct))) + (clock.FrozenAt is not null ? " (frozen)" : clock.Rate == 1 ? "" : $" ({clock.Rate.ToString(CultureInfo.InvariantCulture)} times as fast as the wall)"), (await subscriptions.CountAsync(clientId, ct)).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    waiting == 0 ? "none" : $"<a class=\"pending\" href=\"{Root}/merchants/{U(clientId)}#not-acknowledged\">{waiting.ToString(CultureInfo.InvariantCulture)}</a>");
            }

            body.Append("</table>");
        }

        // What a newcomer needs to point an integration here: the base URL normalUrl is built on (the address the
        // browser used, or the one configured for a shared instance behind a proxy).
        var gateway = options.Value.BaseUrlFor(request);
        body.Append("<h2>Connect an integration</h2><ul id=\"connect\">");
        body.Append($"<li>Gateway URL of your Antom client: <code>{E(gateway)}</code> (the APIs answer at <code>/ams/sandbox/api/v1/…</code> and <code>/ams/api/v1/…</code>, signed as Antom's)</li>");
        body.Append($"<li>Antom public key to verify answers and notifications with: <a href=\"{ControlApi.Prefix}/keys\">{ControlApi.Prefix}/keys</a></li>");
        body.Append($"<li>Every control call (clock, buyer, faults, scenarios, ledger): <a href=\"/_emulator/api-reference\">API reference</a>, <a href=\"{ControlApi.Prefix}/openapi.json\">openapi.json</a></li>");
        body.Append("</ul>");
        return Page("Merchants", body.ToString(), nav: Nav());
    }

    private static async Task<IResult> MerchantAsync(
        HttpContext http, string clientId, string? status, string? page, SubscriptionStore store, MerchantClocks clocks, FaultStore faults, ResultCodeCatalogue catalogue, ScenarioLibrary scenarios,
        MerchantActivity activity, IOptions<EmulatorOptions> options, MerchantRegistry merchants, TestNotifications tests, Outbox outbox, ApiCallJournal journal, Database database, CancellationToken ct)
    {
        var self = $"{Root}/merchants/{U(clientId)}";
        var wanted = SubscriptionStatusNames.FromWire(status);
        if (wanted is null && !string.IsNullOrEmpty(status))
        {
            return Page("Unknown status", $"<p class=\"closed\">No subscription status '{E(status)}': {string.Join(", ", Enum.GetValues<SubscriptionStatus>().Select(x => x.ToWire()))}.</p>", StatusCodes.Status400BadRequest, Nav());
        }

        var pageNo = 1;
        if (!string.IsNullOrEmpty(page) && !(int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out pageNo) && pageNo >= 1))
        {
            return Page("Unknown page", $"<p class=\"closed\">No page '{E(page)}' of the subscriptions: pages are numbered from 1.</p><p><a href=\"{self}\">Back</a></p>", StatusCodes.Status400BadRequest, Nav());
        }

        var found = await merchants.FindAsync(clientId, ct);
        var clock = await clocks.GetAsync(clientId, ct);
        var body = new StringBuilder();
        if (found is var (merchant, _))
        {
            body.Append(SettingsSection(merchant));
        }

        if (options.Value.MerchantRetention is { } retention)
        {
            // A shared instance that deletes unused merchants: the use this one's time is counted from (before this page).
            var lastUsed = await activity.LastUseAsync(clientId, MerchantUseFilter.HeldBefore(http), ct) is { } at ? E(Time(at)) : "not recorded yet";
            body.Append($"<p id=\"last-used\">Last used {lastUsed} (on the wall's clock, before this page); ")
                .Append($"a merchant unused for {E(retention.ToString())} is deleted (Emulator:MerchantRetention).</p>");
        }

        var pace = clock.FrozenAt is not null ? "(frozen)" : clock.Rate == 1 ? "(ticking)" : $"(ticking {clock.Rate.ToString(CultureInfo.InvariantCulture)} times as fast as the wall)";
        body.Append($"<h2>Clock</h2><p id=\"clock\">{E(Time(await clocks.NowAsync(clientId, ct)))} {E(pace)}</p>");
        foreach (var step in Steps)
        {
            body.Append(Button($"{self}/clock/advance", $"Advance {step}", $"advance-{step}", ("by", step)));
        }

        body.Append(clock.FrozenAt is null ? Button($"{self}/clock/freeze", "Freeze", "freeze") : Button($"{self}/clock/resume", "Resume", "resume"));

        // Faster than the wall, for watching renewals happen without advancing the clock (14400: a month in 3 minutes).
        body.Append($"<form id=\"rate\" method=\"post\" action=\"{self}/clock/resume\">Tick <input type=\"number\" name=\"rate\" min=\"1\" max=\"{ClockState.MaxRate}\" value=\"{(clock.FrozenAt is null && clock.Rate != 1 ? clock.Rate : 14400)}\" required> times as fast as the wall ")
            .Append("<button type=\"submit\">Run</button> (14400: a 30-day month in 3 minutes; 1: with the wall)</form>");

        // The control API's reports, as a reconciliation job reads them; the day defaults to today on the merchant's
        // clock. The settlement buttons send the same form to their own reports (an empty currency: the day's only one).
        var today = (await clocks.NowAsync(clientId, ct)).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var reports = $"{ControlApi.Prefix}/merchants/{U(clientId)}/reports";
        body.Append($"<form id=\"report\" method=\"get\" action=\"{reports}/transactions\">Transaction details of the day (UTC) ")
            .Append($"<input type=\"date\" name=\"date\" value=\"{today}\" required> <button type=\"submit\">Download CSV</button> (the reconciliation report, as Antom lays out its files); ")
            .Append("settlement currency <input name=\"currency\" size=\"3\" maxlength=\"3\" pattern=\"[A-Z]{3}\" placeholder=\"USD\"> (when the day settles in several) ")
            .Append($"<button type=\"submit\" formaction=\"{reports}/settlements\">Settlement details</button> ")
            .Append($"<button type=\"submit\" formaction=\"{reports}/settlement-summary\">Settlement summary</button> of the batch that settles that day</form>");

        if (await SubscriptionsSection(self, clientId, wanted, pageNo, store, database, ct) is not { } subscriptions)
        {
            return Page("Unknown page", $"<p class=\"closed\">No page {pageNo.ToString(CultureInfo.InvariantCulture)} of the subscriptions{(wanted is { } w ? $" {w.ToWire()}" : "")}: it lies past the last.</p><p><a href=\"{self}\">Back</a></p>", StatusCodes.Status404NotFound, Nav());
        }

        body.Append(subscriptions);
        body.Append(await UnacknowledgedSection(self, clientId, outbox, ct));
        body.Append(await RecentCallsSection(self, clientId, journal, ct));
        body.Append("<h2>Fault rules</h2><p>In creation order; a used-up rule stays listed until removed.</p><table id=\"faults\">" + Header("Target", "Fault", "Remaining", "Match", ""));
        foreach (var f in await faults.ListAsync(clientId, ct))
        {
            var what = f.ResultCode ?? f.Transport ?? f.Delivery;
            Row(body, E(f.Target), E(what) + (f.Delay is null ? "" : $" {E(f.Delay)}") + (f.Applied ? " (applied)" : f.Processing ? " (processing)" : ""),
                f.Remaining switch { null => "until deleted", 0 => "0 (used up)", { } left => left.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                E(MatchText(f)),
                Button($"{self}/faults/{U(f.FaultId)}/delete", "Remove", $"remove-{f.FaultId}"));
        }

        body.Append("</table>");
        body.Append($"<form id=\"add-fault\" method=\"post\" action=\"{self}/faults\">Target <select name=\"target\">{Options(FaultTargets.All)}</select> ");
        body.Append($"<select name=\"kind\"><option>resultCode</option><option>transport</option><option>delivery</option></select> ");
        body.Append($"<input name=\"value\" list=\"fault-values\" placeholder=\"RISK_REJECT, reset, drop…\"> times <input name=\"times\" value=\"1\" size=\"3\"> skip <input name=\"skip\" value=\"0\" size=\"3\"> delay <input name=\"delay\" placeholder=\"PT5M\" size=\"6\"> ");
        body.Append($"<label title=\"a U result code, timeout, reset or http500 whose change still takes place\"><input type=\"radio\" name=\"effect\" value=\"{FaultTargets.Applied}\"> effect applied</label> ");
        body.Append($"<label title=\"a U result code of refund or deduction: the refund or the period's payment is taken and stays under way (for delay, else until settled)\"><input type=\"radio\" name=\"effect\" value=\"{FaultTargets.Processing}\"> left processing (refund or payment)</label><br>");
        body.Append("Only for subscription <input name=\"subscriptionId\" size=\"22\"> request <input name=\"subscriptionRequestId\" size=\"16\"> ");
        body.Append("phase <input name=\"phaseNo\" size=\"3\"> from phase <input name=\"fromPhaseNo\" size=\"3\"> probability <input name=\"probability\" placeholder=\"0.5\" size=\"4\"> ");
        body.Append("<button id=\"add-fault-button\" type=\"submit\">Add fault</button></form>");
        var usable = scenarios.All().Where(x => x.Problem is null).ToList();
        if (usable.Count > 0)
        {
            body.Append($"<form id=\"apply-scenario\" method=\"post\" action=\"{self}/scenarios\">Scenario <select name=\"name\">");
            body.Append(string.Concat(usable.Select(x => $"<option value=\"{E(x.Name)}\" title=\"{E(x.Description)}\">{E(x.Name)}</option>")));
            body.Append("</select> <button id=\"apply-scenario-button\" type=\"submit\">Apply scenario</button></form>");
        }

        body.Append($"<datalist id=\"fault-values\">{Options(catalogue.All.Select(r => r.Code).Concat(FaultTargets.TransportFaults).Concat(FaultTargets.DeliveryFaults).Distinct())}</datalist>");
        if (found is var (registered, _))
        {
            body.Append(TestNotificationForms(registered, tests));
        }

        return Page(clientId, body.ToString(), nav: Nav());
    }

    private static async Task<IResult> ClockAsync(string clientId, string action, HttpRequest request, MerchantClocks clocks, TimeMachine machine, CancellationToken ct)
    {
        if (await ReadFormAsync(request, ct) is not { } form)
        {
            return Unreadable(clientId);
        }

        switch (action)
        {
            case "advance" when IsoDuration.TryAdd(await clocks.NowAsync(clientId, ct), form["by"].ToString(), out var target):
                await machine.AdvanceAsync(clientId, turn => IsoDuration.TryAdd(turn, form["by"].ToString(), out var later) ? later : target, ct);
                break;
            case "freeze":
                await clocks.FreezeAsync(clientId, await clocks.NowAsync(clientId, ct), ct);
                break;
            case "resume" when form["rate"].ToString() is not { Length: > 0 }:
                await clocks.ResumeAsync(clientId, 1, ct);
                break;
            case "resume" when long.TryParse(form["rate"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var rate) && ClockState.IsRate(rate):
                await clocks.ResumeAsync(clientId, rate, ct);
                break;
            case "advance" when IsoDuration.IsDuration(form["by"].ToString()):
                // A duration the calendar has no room for: saying it is unknown would send the reader to check its spelling.
                return Page("Cannot do that", $"<p class=\"closed\">{E(ClockApi.PastTheCalendar($"{form["by"]} after its current time {await clocks.NowAsync(clientId, ct):O}"))}.</p><p><a href=\"{Root}/merchants/{U(clientId)}\">Back</a></p>", StatusCodes.Status400BadRequest, Nav());
            default:
                return Page("Cannot do that", $"<p class=\"closed\">Unknown clock action, duration or rate (a rate is a whole number from 1 to {ClockState.MaxRate}).</p>", StatusCodes.Status400BadRequest, Nav());
        }

        return Results.Redirect($"{Root}/merchants/{U(clientId)}");
    }

    private static async Task<IResult> AddFaultAsync(string clientId, HttpRequest request, FaultStore faults, ResultCodeCatalogue catalogue, MerchantClocks clocks, CancellationToken ct)
    {
        if (await ReadFormAsync(request, ct) is not { } form)
        {
            return Unreadable(clientId);
        }

        // An empty field is left out (null); anything else must be a whole number from 0 up.
        bool WholeNumber(string field, out int? number)
        {
            number = null;
            if (form[field].ToString() is not { Length: > 0 } text)
            {
                return true;
            }

            var parsed = int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value);
            number = value;
            return parsed;
        }

        if (!WholeNumber("times", out var times))
        {
            return CannotAddFault(clientId, $"times must be a whole number from 0 (until deleted) up (got '{form["times"]}')");
        }

        if (!WholeNumber("skip", out var skip))
        {
            return CannotAddFault(clientId, $"skip must be a whole number from 0 up (got '{form["skip"]}')");
        }

        if (!WholeNumber("phaseNo", out var phaseNo) || !WholeNumber("fromPhaseNo", out var fromPhaseNo))
        {
            return CannotAddFault(clientId, $"phase and from phase must be whole numbers from 1 up (got '{form["phaseNo"]}' and '{form["fromPhaseNo"]}')");
        }

        double? probability = null;
        if (form["probability"].ToString().Trim() is { Length: > 0 } share)
        {
            if (!double.TryParse(share, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
            {
                return CannotAddFault(clientId, $"probability must be a number between 0 and 1 such as 0.25 (got '{share}')");
            }

            probability = parsed;
        }

        string? Text(string field) => form[field].ToString().Trim() is { Length: > 0 } text ? text : null;
        var match = new FaultMatch(Text("subscriptionId"), Text("subscriptionRequestId"), phaseNo, fromPhaseNo);
        var kind = form["kind"].ToString();
        var value = form["value"].ToString().Trim();
        var delay = form["delay"].ToString().Trim();
        var fault = new FaultBody(
            form["target"].ToString(),
            kind == "resultCode" ? value : null,
            kind == "transport" ? value : null,
            kind == "delivery" ? value : null,
            delay.Length > 0 ? delay : null,
            times ?? 1,
            skip,
            match == new FaultMatch(null, null, null) ? null : match,
            form["effect"].ToString() is FaultTargets.Applied or FaultTargets.Processing ? form["effect"].ToString() : null,
            probability);
        if (fault.Validate(catalogue) is { } error)
        {
            return CannotAddFault(clientId, error);
        }

        await faults.AddAsync(clientId, fault, await clocks.NowAsync(clientId, ct), ct);
        return Results.Redirect($"{Root}/merchants/{U(clientId)}");
    }

    /// <summary>Deletes a fault from its row; one the merchant does not have (deleted meanwhile, mistyped) is a 404 page, as in the control API.</summary>
    private static async Task<IResult> DeleteFaultAsync(string clientId, string faultId, FaultStore faults, CancellationToken ct) =>
        await faults.DeleteAsync(clientId, faultId, ct)
            ? Results.Redirect($"{Root}/merchants/{U(clientId)}")
            : Page("Unknown fault", $"<p class=\"closed\">Merchant {E(clientId)} has no fault {E(faultId)}: it may have been used up or deleted already.</p><p><a href=\"{Root}/merchants/{U(clientId)}\">Back</a></p>", StatusCodes.Status404NotFound, Nav());

    private static async Task<IResult> SubscriptionAsync(string clientId, string subscriptionId, SubscriptionStore store, SubscriptionViews views, Outbox outbox, CancellationToken ct)
    {
        if (await store.FindAsync(clientId, subscriptionId, ct) is not { } subscription)
        {
            return Page("Unknown subscription", $"<p class=\"closed\">Merchant {E(clientId)} has no subscription {E(subscriptionId)}.</p>", StatusCodes.Status404NotFound, Nav());
        }

        var view = await views.BuildAsync(subscription, ct);
        var plan = subscription.Plan;
        var offset = plan.StartTime.Offset;
        string T(DateTimeOffset? t) => Time(t, offset);
        var body = new StringBuilder();
        body.Append($"<p><a href=\"{Root}/merchants/{U(clientId)}\">← {E(clientId)}</a></p>");
        body.Append($"<p>Status <strong id=\"status\" class=\"{view.Status}\">{view.Status}</strong> · {E(plan.Description)} · {E(plan.PaymentAmount.ForPeople())} {E(plan.PeriodRule.ToString())} · request <code>{E(subscription.SubscriptionRequestId)}</code>{(view.PaidUntil is { } paidUntil ? $" · <span id=\"paid-until\">paid until {E(T(paidUntil))}</span>" : "")} · times in the offset of its start time ({(offset < TimeSpan.Zero ? "-" : "+")}{offset:hh\\:mm})</p>");
        body.Append("<h2>Lifecycle</h2>").Append(LifecycleDiagram.Svg(subscription.Status));

        body.Append("<h2>Phases</h2><table id=\"phases\">" + Header("Phase", "Period", "Amount", "Payment id", "Result", "Refunded"));
        var refunded = view.Refunds.ToLookup(r => r.PaymentId, StringComparer.Ordinal);
        foreach (var p in view.Phases)
        {
            var refunds = string.Join("", refunded[p.PaymentId].Select(r =>
                $"<div>{E(r.Amount.ForPeople())} {E(T(r.CompletedAt ?? r.RefundTime))} <code>{E(r.RefundId)}</code>{(r.TakenAsProcessing ? $" <span class=\"{(r.Status == Refund.Fail ? "F" : r.Status == Refund.Processing ? "U" : "S")}\">{E(r.Status)}</span>" : "")}"
                + (r.Status == Refund.Processing
                    ? Button($"{Root}/merchants/{U(clientId)}/refunds/{U(r.RefundId)}/settle", "Succeed", $"settle-success-{r.RefundId}", ("status", Refund.Success))
                        + Button($"{Root}/merchants/{U(clientId)}/refunds/{U(r.RefundId)}/settle", "Fail", $"settle-fail-{r.RefundId}", ("status", Refund.Fail))
                    : "")
                + "</div>"));
            // A payment under way (a deduction fault left it processing) ends when a test says so, or here.
            var settle = p.UnderWay
                ? string.Concat(Button($"{Root}/merchants/{U(clientId)}/payments/{U(p.PaymentId)}/settle", "Succeed", $"settle-success-{p.PaymentId}", ("status", "SUCCESS")),
                    Button($"{Root}/merchants/{U(clientId)}/payments/{U(p.PaymentId)}/settle", "Fail", $"settle-fail-{p.PaymentId}", ("status", "FAIL")))
                : "";
            Row(body, p.PhaseNo.ToString(System.Globalization.CultureInfo.InvariantCulture), E($"{T(p.PeriodStartTime)} → {T(p.PeriodEndTime)}"), E(p.Amount.ForPeople()), $"<code>{E(p.PaymentId)}</code>", $"<span class=\"{p.ResultStatus}\">{E(p.ResultStatus)} {E(p.ResultCode)}</span>{settle}", refunds);
        }

        body.Append("</table><h2>Notifications</h2><table id=\"notifications\">" + Header("Notification", "Kind", "Status", "Next attempt", "Attempts", ""));
        var notifications = await outbox.ListAsync(clientId, null, subscriptionId, null, ct);
        var attemptsOf = await outbox.AttemptsOfAsync(notifications, ct);
        foreach (var n in notifications)
        {
            Row(body,
                $"<code>{E(n.NotificationId)}</code><details><summary>{(NotificationSummary(n) is { Length: > 0 } said ? said : "body")}</summary><pre>{E(n.Body)}</pre></details>",
                E(n.Kind),
                $"<span class=\"{n.Status}\">{E(n.Status)}</span>",
                NextAttempt(n, T),
                AttemptsCell([.. attemptsOf[n.NotificationId]], T),
                Button($"{Root}/merchants/{U(clientId)}/notifications/{U(n.NotificationId)}/redeliver", "Redeliver", $"redeliver-{n.NotificationId}"));
        }

        body.Append("</table><h2>Timeline</h2><table id=\"timeline\">" + Header("At", "What", "Detail"));
        foreach (var e in view.Timeline)
        {
            Row(body, E(T(e.At)), E(e.Type), E(e.Detail));
        }

        return Page($"Subscription {subscriptionId}", body.Append("</table>").ToString(), nav: Nav());
    }

    private static async Task<IResult> RedeliverAsync(string clientId, string notificationId, HttpRequest request, TimeMachine machine, CancellationToken ct)
    {
        if (await ReadFormAsync(request, ct) is null)
        {
            return Unreadable(clientId);
        }

        if (await machine.RedeliverAsync(clientId, notificationId, ct) is not { } notification)
        {
            return Page("Unknown notification", $"<p class=\"closed\">Merchant {E(clientId)} has no notification {E(notificationId)}.</p>", StatusCodes.Status404NotFound, Nav());
        }

        return Results.Redirect(SubscriptionPage(clientId, notification.SubscriptionId));
    }

    /// <summary>The page of the subscription a redelivered notification, or a settled payment or refund, belongs to: where its button was.</summary>
    private static string SubscriptionPage(string clientId, string subscriptionId) => $"{Root}/merchants/{U(clientId)}/subscriptions/{U(subscriptionId)}";

    /// <summary>A payment under way succeeds, or fails with <c>PROCESS_FAIL</c>, now (the control API's settle, from its row).</summary>
    private static async Task<IResult> SettlePaymentAsync(string clientId, string paymentId, HttpRequest request, Lifecycle.PaymentSettlements settlements, ResultCodeCatalogue catalogue, CancellationToken ct)
    {
        if (await ReadFormAsync(request, ct) is not { } form)
        {
            return Unreadable(clientId);
        }

        var settle = new Control.SettlePaymentBody(form["status"].ToString(), null);
        if (settle.Result(catalogue) is not { } result)
        {
            return CannotSettle(clientId, settle.Problem(catalogue)!);
        }

        var (settled, conflict, subscriptionId) = await settlements.SettleAsync(clientId, paymentId, result, ct);
        return Settled(clientId, subscriptionId, conflict, $"payment {paymentId}");
    }

    /// <summary>A refund left processing succeeds or fails now (the control API's settle, from its line).</summary>
    private static async Task<IResult> SettleRefundAsync(string clientId, string refundId, HttpRequest request, Lifecycle.SubscriptionService service, MerchantClocks clocks, CancellationToken ct)
    {
        if (await ReadFormAsync(request, ct) is not { } form)
        {
            return Unreadable(clientId);
        }

        var status = form["status"].ToString();
        if (status is not (Refund.Success or Refund.Fail))
        {
            return CannotSettle(clientId, $"status must be {Refund.Success} or {Refund.Fail} (got '{status}')");
        }

        var (refund, conflict) = await service.SettleRefundAsync(clientId, refundId, status, c => clocks.NowAsync(clientId, c), ct);
        return Settled(clientId, refund?.SubscriptionId, conflict, $"refund {refundId}");
    }

    private static IResult CannotSettle(string clientId, string problem) =>
        Page("Cannot do that", $"<p class=\"closed\">{E(problem)}</p><p><a href=\"{Root}/merchants/{U(clientId)}\">Back</a></p>", StatusCodes.Status400BadRequest, Nav());

    /// <summary>
    /// After a settle from a subscription's page: back to the page of the subscription the payment or refund belongs to
    /// (<paramref name="subscriptionId"/>; null when the merchant has none such), or a page saying why nothing was settled.
    /// </summary>
    private static IResult Settled(string clientId, string? subscriptionId, string? conflict, string what) => (subscriptionId, conflict) switch
    {
        (null, _) => Page("Unknown " + what.Split(' ')[0], $"<p class=\"closed\">Merchant {E(clientId)} has no {E(what)}.</p>", StatusCodes.Status404NotFound, Nav()),
        ({ } owner, { } why) => Page("Cannot do that", $"<p class=\"closed\">{E(why)}</p><p><a href=\"{SubscriptionPage(clientId, owner)}\">Back</a></p>", StatusCodes.Status409Conflict, Nav()),
        ({ } owner, null) => Results.Redirect(SubscriptionPage(clientId, owner)),
    };

    /// <summary>
    /// Whether a post carries a form, as a browser sends one: a form content type, or no body at all (<c>curl -X POST</c>,
    /// an empty form). A body of another type, or one that names no type, is not one.
    /// </summary>
    private static bool IsForm(HttpRequest request) =>
        request.HasFormContentType
        || (string.IsNullOrEmpty(request.ContentType) && request.ContentLength is null or 0
            && !(request.ContentLength is null && request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>() is { CanHaveBody: true }));

    /// <summary>
    /// The posted form, or null when it cannot be read (a NUL, too many fields, a broken encoding, a multipart type over
    /// bytes that are not multipart: the reader's IOException).
    /// </summary>
    private static async Task<IFormCollection?> ReadFormAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            return request.HasFormContentType ? await request.ReadFormAsync(ct) : FormCollection.Empty;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException && !request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>The control API's scenario, from the merchant page's list: its rules join the merchant's.</summary>
    private static async Task<IResult> ApplyScenarioAsync(string clientId, HttpRequest request, ScenarioLibrary scenarios, CancellationToken ct)
    {
        if (await ReadFormAsync(request, ct) is not { } form)
        {
            return Unreadable(clientId);
        }

        var name = form["name"].ToString();
        if (scenarios.Find(name) is not { } scenario)
        {
            return Page("Unknown scenario", $"<p class=\"closed\">No scenario '{E(name)}' in fixtures/scenarios.</p><p><a href=\"{Root}/merchants/{U(clientId)}\">Back</a></p>", StatusCodes.Status404NotFound, Nav());
        }

        if (scenario.Problem is { } problem)
        {
            return Page("Cannot apply that scenario", $"<p class=\"closed\">{E(problem)}</p><p><a href=\"{Root}/merchants/{U(clientId)}\">Back</a></p>", StatusCodes.Status400BadRequest, Nav());
        }

        await scenarios.ApplyAsync(clientId, scenario, ct);
        return Results.Redirect($"{Root}/merchants/{U(clientId)}");
    }

    private static IResult Unreadable(string clientId) =>
        Page("Cannot do that", $"<p class=\"closed\">The form could not be read.</p><p><a href=\"{Root}/merchants/{U(clientId)}\">Back</a></p>", StatusCodes.Status400BadRequest, Nav());

    /// <summary>Which calls or deliveries a rule picks, in words: "subscription …, phase 3, probability 0.5".</summary>
    private static string MatchText(FaultRule rule)
    {
        var m = rule.Match;
        string?[] parts =
        [
            m?.SubscriptionId is { } id ? $"subscription {id}" : null,
            m?.SubscriptionRequestId is { } request ? $"request {request}" : null,
            m?.PhaseNo is { } phase ? $"phase {phase}" : null,
            m?.FromPhaseNo is { } from ? $"from phase {from}" : null,
            rule.Probability is { } p ? $"probability {p.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : null,
            rule.SkipRemaining > 0 ? $"after {rule.SkipRemaining} more" : null,
        ];
        return parts.Any(p => p is not null) ? string.Join(", ", parts.OfType<string>()) : "every one";
    }

    private static IResult CannotAddFault(string clientId, string error) =>
        Page("Cannot add that fault", $"<p class=\"closed\">{E(error)}</p><p><a href=\"{Root}/merchants/{U(clientId)}\">Back</a></p>", StatusCodes.Status400BadRequest, Nav());

    /// <summary>
    /// The page for what the framework refuses under the dashboard without a body: a path no page or form serves, a
    /// method it does not take (a browser shows it; problem details would be raw JSON without a word of what to do).
    /// </summary>
    public static IResult StatusPage(HttpContext http)
    {
        var request = http.Request;
        var status = http.Response.StatusCode;
        var back = $"<p><a href=\"{Root}\">Back to the merchants</a></p>";
        return status switch
        {
            StatusCodes.Status404NotFound => Page("No such page", $"<p class=\"closed\">The dashboard has no page at {E(request.Path)}.</p>{back}", status, Nav()),
            StatusCodes.Status405MethodNotAllowed => Page("Cannot do that", $"<p class=\"closed\">{E(request.Path)} does not take {E(request.Method)}: its pages are read with GET and its forms post with POST.</p>{back}", status, Nav()),
            StatusCodes.Status415UnsupportedMediaType => Page("Cannot read that form", $"<p class=\"closed\">The dashboard's forms must be sent as application/x-www-form-urlencoded or multipart/form-data, as a browser sends them; "
                + (MediaTypeHeaderValue.TryParse(request.ContentType, out var type) ? $"this one came as {E(type.MediaType.ToString())}, not as a form" : "this one came with a body but without a Content-Type")
                + $". To drive the emulator with JSON, use the control API under <a href=\"/_emulator/api-reference\">{ControlApi.Prefix}</a>.</p>{back}", status, Nav()),
            _ => Page("Cannot do that", $"<p class=\"closed\">The dashboard answered {status} to {E(request.Method)} {E(request.Path)}.</p>{back}", status, Nav()),
        };
    }

    /// <summary>Whether a request is the dashboard's (answered with pages a browser shows, not problem details).</summary>
    public static bool IsDashboard(HttpRequest request) => request.Path.StartsWithSegments(Root, StringComparison.Ordinal);

    /// <summary>The page for a dashboard request the emulator cannot serve now (the database gone, the instance stopping): a 503 that says why.</summary>
    public static IResult Unavailable(string title, string why) =>
        Page(title, $"<p class=\"closed\">{E(why)}</p><p><a href=\"{Root}\">Back to the merchants</a></p>", StatusCodes.Status503ServiceUnavailable, Nav());

    private static string Nav() => $"<nav><a href=\"{Root}\">Merchants</a><a href=\"/_emulator/v1/result-codes\">Result codes</a><a href=\"/_emulator/v1/scenarios\">Scenarios</a><a href=\"/_emulator/api-reference\">API reference</a><a href=\"/metrics\">Metrics</a></nav>";

    private static string Options(IEnumerable<string> values) => string.Concat(values.Select(v => $"<option>{E(v)}</option>"));
}
