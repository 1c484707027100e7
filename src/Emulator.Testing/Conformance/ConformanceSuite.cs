using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Emulator.Testing.Conformance;

/// <summary>
/// Tells a merchant what its Antom integration gets wrong: it sends the merchant's notification endpoints valid,
/// forged, tampered, duplicated and out-of-order notifications and the other shapes Antom sends (a failed renewal, a
/// free period, every notifySubscription type, a member added to the format), and (with a trigger) makes the merchant call the API
/// through an injected unknown result, then judges the calls the emulator recorded.
/// </summary>
public sealed class ConformanceSuite(ConformanceOptions options)
{
    private static readonly TimeSpan AckLimit = TimeSpan.FromSeconds(15);

    /// <summary>The member <see cref="WithUnknownMember"/> adds.</summary>
    private const string UnknownMember = "conformanceNewField";

    /// <summary>Every subscription the suite's notifications tell of starts here: its bodies are the same run after run.</summary>
    private static readonly DateTimeOffset NotificationsStart = new(2027, 1, 1, 0, 0, 0, TimeSpan.FromHours(8));
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly HttpClient triggers = new() { Timeout = TimeSpan.FromMinutes(3) };
    private readonly RSA antomKey = LoadKey(options.AntomPrivateKeyPem);
    private readonly RSA strangerKey = RSA.Create(2048);
    private readonly Emulator.Notifications.SampleNotifications notifications = new(options.ClientId, NotificationsStart, "conformance-");
    private HttpClient Emulator => emulator ??= CreateEmulatorClient();
    private HttpClient? emulator;

    public async Task<Scorecard> RunAsync(CancellationToken cancellationToken = default)
    {
        var checks = new List<CheckResult>();
        var subscriptionId = "CONFORMANCE" + RandomDigits(24);
        var paymentId = "CONFORMANCE" + RandomDigits(24);

        var created = await SendAsync(options.SubscriptionNotificationUrl, NotifySubscription(subscriptionId, "CREATE"), antomKey, cancellationToken);
        checks.Add(Judge("ack-notify-subscription", "acknowledges a valid notifySubscription within 15 s", created, expectAck: true));
        var payment = NotifyPayment(subscriptionId, paymentId, 1);
        var genuine = await SendAsync(options.PaymentNotificationUrl, payment, antomKey, cancellationToken);
        checks.Add(Judge("ack-notify-payment", "acknowledges a valid notifyPayment within 15 s", genuine, expectAck: true));

        // Each refusal is tried on both endpoints: an integration that verifies only one of its webhooks accepts forged
        // notifications on the other. A refusal shows that a signature was checked only if a valid notification is
        // acknowledged by the same endpoint.
        var acknowledged = new Dictionary<string, bool> { ["notifySubscription"] = created.Acknowledged, ["notifyPayment"] = genuine.Acknowledged };
        async Task<CheckResult> RefusalAsync(string id, string title, string prefix, RSA? key, bool tamper)
        {
            var deliveries = new (string Kind, Delivery Delivery)[]
            {
                ("notifySubscription", await SendAsync(options.SubscriptionNotificationUrl, NotifySubscription(prefix + RandomDigits(20), "CREATE"), key, cancellationToken, tamper)),
                ("notifyPayment", await SendAsync(options.PaymentNotificationUrl, NotifyPayment(subscriptionId, prefix + RandomDigits(20), 2), key, cancellationToken, tamper)),
            };
            var accepted = deliveries.Where(d => d.Delivery.Acknowledged).Select(d => d.Kind).ToList();
            var unknowable = deliveries.Where(d => !d.Delivery.Acknowledged && !acknowledged[d.Kind]).Select(d => d.Kind).ToList();
            // No HTTP answer at all (a connection dropped, no answer in time) is not a refusal: it shows nothing of a signature check.
            var unanswered = deliveries.Where(d => d.Delivery.Error is not null && acknowledged[d.Kind]).ToList();
            if (accepted.Count > 0)
            {
                return new CheckResult(id, title, CheckResult.Fail,
                    $"acknowledged by the {string.Join(" and the ", accepted)} endpoint: the integration accepts notifications it did not verify. "
                    + "Verify the signature header with Antom's public key over \"POST <path>\\n<client-id>.<request-time>.<body>\" (the raw body as received) before acting on a notification, on every notification endpoint");
            }

            return unknowable.Count > 0
                ? new CheckResult(id, title, CheckResult.Fail, $"cannot tell: the {string.Join(" and the ", unknowable)} endpoint does not acknowledge a valid notification either (see ack-notify-subscription and ack-notify-payment), so not acknowledging this one shows nothing about its signature check")
                : unanswered.Count > 0
                ? new CheckResult(id, title, CheckResult.Fail, $"cannot tell: {string.Join("; ", unanswered.Select(d => $"the {d.Kind} endpoint gave no HTTP answer ({d.Delivery.Error})"))}; refuse a notification with an answer other than the acknowledgement (HTTP 401, say), so that the refusal shows")
                : new CheckResult(id, title, CheckResult.Pass, $"refused by both endpoints ({deliveries[0].Delivery.Describe()}; {deliveries[1].Delivery.Describe()})");
        }

        checks.Add(await RefusalAsync("refuse-forged-signature", "does not acknowledge a notification with a forged signature (either endpoint)", "FORGED", null, tamper: false));
        checks.Add(await RefusalAsync("refuse-wrong-key", "does not acknowledge a notification signed by another key (either endpoint)", "STRANGER", strangerKey, tamper: false));
        checks.Add(await RefusalAsync("refuse-tampered-body", "does not acknowledge a notification whose body was changed after signing (either endpoint)", "TAMPERED", antomKey, tamper: true));

        var again = await SendAsync(options.PaymentNotificationUrl, payment, antomKey, cancellationToken);
        checks.Add(await DuplicateAsync(paymentId, again, cancellationToken));
        checks.Add(await OutOfOrderAsync(cancellationToken));
        checks.AddRange(await ShapesAsync(subscriptionId, acknowledged, cancellationToken));

        if (options.TriggerUrl is null)
        {
            foreach (var (id, title) in ApiChecks)
            {
                checks.Add(new CheckResult(id, title, CheckResult.Skipped, "no trigger URL: the suite cannot make the integration call the API"));
            }
        }
        else
        {
            checks.AddRange(await ApiChecksAsync(cancellationToken));
        }

        return new Scorecard(options.ClientId, TimeProvider.System.GetUtcNow(), checks);
    }

    private static readonly (string Id, string Title)[] ApiChecks =
    [
        ("api-signatures-valid", "signs every API call so that it verifies"),
        ("api-requests-accepted", "sends requests whose fields Antom accepts (no PARAM_ILLEGAL)"),
        ("api-request-ids-unique", "uses a new request id for each new request"),
        ("api-request-id-reused-after-unknown", "retries with the same request id after an unknown (U) result"),
        ("api-request-id-reused-after-timeout", "retries with the same request id after a call timed out"),
        ("api-no-change-after-cancel", "does not call change (or update) on a cancelled subscription"),
        ("api-answer-signature-verified", "does not trust a create answer whose signature does not verify: retries with the same request id"),
        ("api-change-retried-after-unknown", "retries a change (or update) with the same request id after an unknown (U) result"),
        ("api-refund-retried-after-unknown", "retries a refund with the same refundRequestId after an unknown (U) result"),
        ("api-cancel-confirmed-after-timeout", "makes sure a cancel that timed out took place (sends it again until Antom answers)"),
        ("api-change-answer-signature-verified", "does not trust a change (or update) answer whose signature does not verify: retries with the same request id"),
        ("api-refund-answer-signature-verified", "does not trust a refund answer whose signature does not verify: retries with the same refundRequestId"),
        ("api-cancel-answer-signature-verified", "does not trust a cancel answer whose signature does not verify: sends the cancel again until Antom answers"),
    ];

    private async Task<CheckResult> DuplicateAsync(string paymentId, Delivery second, CancellationToken cancellationToken)
    {
        const string id = "duplicate-processed-once", title = "handles a duplicate delivery of the same notification once";
        if (!second.Acknowledged)
        {
            return new CheckResult(id, title, CheckResult.Fail, $"the second delivery of the same notification was not acknowledged ({second.Describe()}); Antom retries until it is");
        }

        if (options.ProcessedUrl is null)
        {
            return new CheckResult(id, title, CheckResult.Skipped, "both deliveries acknowledged; whether the payment was processed twice cannot be seen without the processed-count hook (--processed-url)");
        }

        return await ProcessedCountAsync(paymentId, cancellationToken) switch
        {
            (1, _) => new CheckResult(id, title, CheckResult.Pass, "delivered twice, acknowledged twice, processed once"),
            (_, { } error) => new CheckResult(id, title, CheckResult.Fail, $"cannot tell: {error}"),
            var (count, _) => new CheckResult(id, title, CheckResult.Fail, $"the payment was processed {count} times after two deliveries of one notification"),
        };
    }

    private async Task<CheckResult> OutOfOrderAsync(CancellationToken cancellationToken)
    {
        const string id = "out-of-order-tolerated", title = "tolerates notifyPayment arriving before notifySubscription CREATE";
        var subscriptionId = "CONFORMANCE" + RandomDigits(24);
        var paymentId = "CONFORMANCE" + RandomDigits(24);
        var payment = NotifyPayment(subscriptionId, paymentId, 1);
        var early = await SendAsync(options.PaymentNotificationUrl, payment, antomKey, cancellationToken);
        var create = await SendAsync(options.SubscriptionNotificationUrl, NotifySubscription(subscriptionId, "CREATE"), antomKey, cancellationToken);
        var retried = early.Acknowledged ? early : await SendAsync(options.PaymentNotificationUrl, payment, antomKey, cancellationToken);
        if (!create.Acknowledged || !retried.Acknowledged)
        {
            return new CheckResult(id, title, CheckResult.Fail, $"payment first: {early.Describe()}; CREATE after it: {create.Describe()}; payment retried: {retried.Describe()}");
        }

        var how = early.Acknowledged ? "the early notifyPayment was acknowledged" : "the early notifyPayment was refused, then acknowledged on the retry after CREATE";
        if (options.ProcessedUrl is null)
        {
            // A refused one comes again (Antom retries); an acknowledged one never does, so it must have been kept.
            return early.Acknowledged
                ? new CheckResult(id, title, CheckResult.Skipped, $"{how}; whether it was kept or thrown away cannot be seen without the processed-count hook (--processed-url)")
                : new CheckResult(id, title, CheckResult.Pass, how);
        }

        return await ProcessedCountAsync(paymentId, cancellationToken) switch
        {
            (1, _) => new CheckResult(id, title, CheckResult.Pass, $"{how}, and processed once"),
            (_, { } error) => new CheckResult(id, title, CheckResult.Fail, $"{how}; cannot tell whether it was processed: {error}"),
            var (count, _) => new CheckResult(id, title, CheckResult.Fail, count == 0
                ? $"{how}, but never processed: acknowledged, it will not be sent again, so the payment is lost"
                : $"{how}, and processed {count} times"),
        };
    }

    /// <summary>
    /// The other shapes Antom sends, on which integrations that acknowledge a plain notification commonly fail with an
    /// HTTP 500 (so Antom retries for 24 h and the event is never processed): a failed renewal, a free period, the
    /// notifySubscription types after CREATE, a member added to the format. Run after the checks above, since the
    /// subscription they know ends here (CANCEL, then TERMINATE). Each is judged only where the endpoint acknowledges
    /// a plain valid notification: else not acknowledging this one shows nothing about its shape.
    /// </summary>
    private async Task<IReadOnlyList<CheckResult>> ShapesAsync(string subscriptionId, Dictionary<string, bool> acknowledged, CancellationToken cancellationToken)
    {
        async Task<CheckResult> AcknowledgesAsync(string id, string title, string fix, params (string Kind, string What, string Body)[] notifications)
        {
            var deliveries = new List<(string Kind, string What, Delivery Delivery)>();
            foreach (var (kind, what, body) in notifications)
            {
                var url = kind == "notifySubscription" ? options.SubscriptionNotificationUrl : options.PaymentNotificationUrl;
                deliveries.Add((kind, what, await SendAsync(url, body, antomKey, cancellationToken)));
            }

            var unknowable = deliveries.Select(d => d.Kind).Distinct().Where(kind => !acknowledged[kind]).ToList();
            if (unknowable.Count > 0)
            {
                return new CheckResult(id, title, CheckResult.Fail,
                    $"cannot tell: the {string.Join(" and the ", unknowable)} {(unknowable.Count == 1 ? "endpoint does" : "endpoints do")} not acknowledge a plain valid notification either (see ack-notify-subscription and ack-notify-payment), so how it answers this one shows nothing about this shape");
            }

            var refused = deliveries.Where(d => !d.Delivery.Acknowledged).ToList();
            return refused.Count == 0
                ? new CheckResult(id, title, CheckResult.Pass, $"acknowledged: {string.Join("; ", deliveries.Select(d => $"{d.What} in {d.Delivery.Elapsed.TotalMilliseconds:0} ms"))}")
                : new CheckResult(id, title, CheckResult.Fail,
                    $"not acknowledged: {string.Join("; ", refused.Select(d => $"{d.What} answered {d.Delivery.Describe()}"))}. "
                    + $"Antom sends {(refused.Count == 1 ? "it" : "each")} again for up to 24 h, then gives up, and the event is never processed. {fix}; answer HTTP 200 with result.resultStatus S");
        }

        var trialSubscriptionId = "CONFORMANCE" + RandomDigits(24);
        var trialPayment = notifications.Payment(trialSubscriptionId, "CONFORMANCE" + RandomDigits(24), 1, trialAmount: 0);
        var failedPayment = notifications.Payment(subscriptionId, "CONFORMANCE" + RandomDigits(24), 2, failureCode: "USER_BALANCE_NOT_ENOUGH");
        return
        [
            await AcknowledgesAsync("ack-free-trial-payment", "acknowledges a notifyPayment of 0 (a free trial period)",
                "A period inside a trial is charged its trialAmount, which may be 0, and is notified as a success like any other: do not refuse, divide by or require a positive amount",
                ("notifySubscription", "CREATE of a subscription whose first period is free", NotifySubscription(trialSubscriptionId, "CREATE")),
                ("notifyPayment", "its phase 1 notifyPayment of 0 PHP", trialPayment)),
            await AcknowledgesAsync("ack-failed-payment", "acknowledges a notifyPayment of a failed renewal (resultStatus F, USER_BALANCE_NOT_ENOUGH, no paymentTime)",
                "A failed payment has result.resultStatus F, a failure resultCode and no paymentTime: read paymentTime only when resultStatus is S, record the failure (decide whether to cancel) and acknowledge it",
                ("notifyPayment", "phase 2 notifyPayment F USER_BALANCE_NOT_ENOUGH without paymentTime", failedPayment)),
            await AcknowledgesAsync("ack-unknown-fields", $"acknowledges a notification with a member it does not know (`{UnknownMember}`, either endpoint)",
                "Antom adds fields to its notifications over time: ignore members you do not know (Jackson: FAIL_ON_UNKNOWN_PROPERTIES false; System.Text.Json: no JsonUnmappedMemberHandling.Disallow), and verify the signature over the raw body as received",
                ("notifySubscription", $"notifySubscription CREATE with `{UnknownMember}`", WithUnknownMember(NotifySubscription("CONFORMANCE" + RandomDigits(24), "CREATE"))),
                ("notifyPayment", $"notifyPayment with `{UnknownMember}`", WithUnknownMember(NotifyPayment(subscriptionId, "CONFORMANCE" + RandomDigits(24), 3)))),
            await AcknowledgesAsync("ack-subscription-notification-types", "acknowledges notifySubscription CHANGE, UPDATE, CANCEL, TERMINATE and a CREATE with TERMINATED (buyer declined or authorization expired)",
                "notifySubscription is sent on every change of a subscription, not only its creation: handle each subscriptionNotificationType (CANCEL: service ends with the period paid; TERMINATE: it ends now) and a CREATE whose subscriptionStatus is TERMINATED (the buyer declined, or did not authorize in time: no subscription to start)",
                ("notifySubscription", "CHANGE (ACTIVE)", NotifySubscription(subscriptionId, "CHANGE")),
                ("notifySubscription", "UPDATE (ACTIVE)", NotifySubscription(subscriptionId, "UPDATE")),
                ("notifySubscription", "CANCEL (ACTIVE)", NotifySubscription(subscriptionId, "CANCEL")),
                ("notifySubscription", "TERMINATE (TERMINATED)", NotifySubscription(subscriptionId, "TERMINATE")),
                ("notifySubscription", "CREATE (TERMINATED) of a declined request", notifications.Subscription("CONFORMANCE" + RandomDigits(24), "CREATE", declined: true))),
        ];
    }

    private async Task<IReadOnlyList<CheckResult>> ApiChecksAsync(CancellationToken cancellationToken)
    {
        var control = $"/_emulator/v1/merchants/{options.ClientId}";
        using (var merchant = await Emulator.GetAsync(control, cancellationToken))
        {
            if (!merchant.IsSuccessStatusCode)
            {
                var why = $"the emulator answered HTTP {(int)merchant.StatusCode} for merchant '{options.ClientId}' ({await merchant.Content.ReadAsStringAsync(cancellationToken)}); check --client-id and the emulator URL";
                return [.. ApiChecks.Select(c => new CheckResult(c.Id, c.Title, CheckResult.Fail, why))];
            }
        }

        // Rules already in force on the API act on the integration's calls before the suite's own, and would be blamed
        // on it (rules on deductions and deliveries do not touch its calls).
        var inForce = (await Emulator.GetFromJsonAsync<JsonArray>($"{control}/faults", cancellationToken))!
            .Select(f => f!.AsObject())
            .Where(f => global::Emulator.Faults.FaultTargets.Apis.Contains((string?)f["target"] ?? ""))
            .Where(f => f["remaining"] is null || (int)f["remaining"]! > 0).ToList();
        if (inForce.Count > 0)
        {
            var which = string.Join(", ", inForce.Take(3).Select(f => $"{f["target"]} {f["resultCode"] ?? f["transport"] ?? f["delivery"]}"));
            return [.. ApiChecks.Select(c => new CheckResult(c.Id, c.Title, CheckResult.Fail,
                $"cannot tell: merchant '{options.ClientId}' has {inForce.Count} fault rule(s) in force ({which}), which would act on the integration's calls before the suite's own; remove them (DELETE {control}/faults) or run the suite with a client id of its own"))];
        }

        var added = new List<string>();
        try
        {
            return await ApiChecksAsync(control, added, cancellationToken);
        }
        finally
        {
            // The suite's rules that the integration's calls did not use up would hit the merchant's next tests.
            foreach (var faultId in added)
            {
                using var deleted = await Emulator.DeleteAsync($"{control}/faults/{Uri.EscapeDataString(faultId)}", CancellationToken.None);
            }
        }
    }

    private async Task<IReadOnlyList<CheckResult>> ApiChecksAsync(string control, List<string> added, CancellationToken cancellationToken)
    {
        async Task AddFaultAsync(object rule)
        {
            using var response = await Emulator.PostAsJsonAsync($"{control}/faults", rule, cancellationToken);
            response.EnsureSuccessStatusCode();
            added.Add((string)(await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!["faultId"]!);
        }

        // Only this run's calls (the journal keeps every earlier run of the same client id too), taken trigger by
        // trigger: what the integration did while it handled each of them.
        var journal = $"{control}/api-calls";
        var seen = (await Emulator.GetFromJsonAsync<JsonArray>(journal, cancellationToken))!.Count;
        var triggerErrors = new List<string>();
        var missingTriggers = new List<string>();
        async Task<(JsonNode? Answer, List<JsonObject> Calls)> ActAsync(string action, object? body, bool mayRefuse = false, bool optional = false)
        {
            var answer = await TriggerAsync(action, body, mayRefuse, optional ? missingTriggers : null, triggerErrors, cancellationToken);
            var all = await SettledJournalAsync(journal, cancellationToken);
            var made = all.Skip(seen).Select(c => c!.AsObject()).ToList();
            seen = all.Count;
            return (answer, made);
        }

        var first = await ActAsync("subscribe", null);
        var firstRequestId = (string?)first.Answer?["subscriptionRequestId"];
        var approved = firstRequestId is null ? null : await Emulator.PostAsync($"{control}/subscription-requests/{Uri.EscapeDataString(firstRequestId)}/approve", null, cancellationToken);
        var subscriptionId = approved is { IsSuccessStatusCode: true }
            ? (string?)JsonNode.Parse(await approved.Content.ReadAsStringAsync(cancellationToken))?["subscriptionId"]
            : null;

        await AddFaultAsync(new { target = "create", resultCode = "UNKNOWN_EXCEPTION", times = 1 });
        var afterUnknown = await ActAsync("subscribe", null);
        await AddFaultAsync(new { target = "create", transport = "timeout", effect = "applied", times = 1 });
        var afterTimeout = await ActAsync("subscribe", null);

        // The create takes place, and its answer is signed with a key that is not Antom's: the integration cannot
        // know what happened, as after a U, and must send the same request again (its repeat is answered, rightly signed).
        await AddFaultAsync(new { target = "create", transport = "badSignature", times = 1 });
        var afterBadSignature = await ActAsync("subscribe", null);
        List<(JsonNode? Answer, List<JsonObject> Calls)> acts = [first, afterUnknown, afterTimeout, afterBadSignature];

        // That purchase (its create took place whatever the integration did next) is the subscription the cancel with a
        // forged answer ends: the first one is kept for the cancel that times out.
        var (secondSubscriptionId, noSecond) = await ApproveAsync(control, Purchase(afterBadSignature), firstRequestId, cancellationToken);
        List<JsonObject>? changeAfterUnknown = null, changeAfterBadSignature = null;
        List<JsonObject>? refundAfterUnknown = null, refundAfterBadSignature = null;
        List<JsonObject>? cancelAfterTimeout = null, cancelAfterBadSignature = null;
        string? statusAfterCancel = null, statusAfterBadlySignedCancel = null;
        if (subscriptionId is not null)
        {
            // An integration may change a plan with change or with Antom's newer update: either is answered U once.
            await AddFaultAsync(new { target = "change", resultCode = "UNKNOWN_EXCEPTION", times = 1 });
            await AddFaultAsync(new { target = "update", resultCode = "UNKNOWN_EXCEPTION", times = 1 });
            var changed = await ActAsync("change", new { subscriptionId });
            changeAfterUnknown = changed.Calls;
            acts.Add(changed);

            // The change takes place and its answer is signed with another key (the badSignature fault changes only
            // the answer): only the same request again gets an answer the integration can trust, the first outcome.
            await AddFaultAsync(new { target = "change", transport = "badSignature", times = 1, match = new { subscriptionId } });
            await AddFaultAsync(new { target = "update", transport = "badSignature", times = 1, match = new { subscriptionId } });
            var changedAgain = await ActAsync("change", new { subscriptionId });
            changeAfterBadSignature = changedAgain.Calls;
            acts.Add(changedAgain);

            // Refunds are optional for an integration: one without a refund trigger has these checks skipped.
            if (await PaidPaymentIdAsync(control, subscriptionId, cancellationToken) is { } paymentId)
            {
                await AddFaultAsync(new { target = "refund", resultCode = "UNKNOWN_EXCEPTION", times = 1 });
                var refunded = await ActAsync("refund", new { paymentId }, optional: true);
                refundAfterUnknown = missingTriggers.Count > 0 ? null : refunded.Calls;
                acts.Add(refunded);
                if (refundAfterUnknown is not null)
                {
                    // As for the change: the refund is made, and a new refundRequestId would make a second one.
                    await AddFaultAsync(new { target = "refund", transport = "badSignature", times = 1 });
                    var refundedAgain = await ActAsync("refund", new { paymentId });
                    refundAfterBadSignature = refundedAgain.Calls;
                    acts.Add(refundedAgain);
                }
            }

            // The first cancel gets no answer and does not take place: only an integration that sends it again ends
            // the subscription (cancel has no request id; a repeat of a cancel that did take place succeeds too).
            await AddFaultAsync(new { target = "cancel", transport = "timeout", times = 1 });
            var cancelled = await ActAsync("cancel", new { subscriptionId });
            cancelAfterTimeout = cancelled.Calls;
            statusAfterCancel = await StatusAsync(control, subscriptionId, cancellationToken);
            acts.Add(cancelled);

            // Refusing to change a cancelled subscription is what the check wants: a 409 is not a broken trigger.
            acts.Add(await ActAsync("change", new { subscriptionId }, mayRefuse: true));
        }

        if (secondSubscriptionId is not null)
        {
            // The cancel takes place and its SUCCESS is signed with another key. The status cannot tell an integration
            // that trusted it from one that made sure (both leave the subscription cancelled); the calls after it can.
            await AddFaultAsync(new { target = "cancel", transport = "badSignature", times = 1, match = new { subscriptionId = secondSubscriptionId } });
            var cancelledAgain = await ActAsync("cancel", new { subscriptionId = secondSubscriptionId });
            cancelAfterBadSignature = cancelledAgain.Calls;
            statusAfterBadlySignedCancel = await StatusAsync(control, secondSubscriptionId, cancellationToken);
            acts.Add(cancelledAgain);
        }

        var calls = acts.SelectMany(a => a.Calls).ToList();
        var spoiled = triggerErrors.Count == 0 ? "" : $" (the trigger failed: {string.Join("; ", triggerErrors.Distinct().Take(2))})";
        if (calls.Count == 0)
        {
            return [.. ApiChecks.Select(c => new CheckResult(c.Id, c.Title, CheckResult.Fail, $"the integration made no API call while the suite triggered it, so there is nothing to judge{spoiled}"))];
        }

        var results = new List<CheckResult>();
        var badSignatures = calls.Where(c => (string)c["resultCode"]! is "INVALID_SIGNATURE" or "KEY_NOT_FOUND").ToList();
        results.Add(Result(ApiChecks[0], badSignatures.Count == 0,
            $"{calls.Count} calls, all verified",
            $"{badSignatures.Count} of {calls.Count} calls failed verification: {string.Join("; ", badSignatures.Select(c => (string?)c["resultMessage"]).Take(1))}"));

        var refused = calls.Where(c => (string)c["resultCode"]! == "PARAM_ILLEGAL").ToList();
        results.Add(Result(ApiChecks[1], refused.Count == 0,
            $"{calls.Count} calls, none refused as PARAM_ILLEGAL",
            $"{refused.Count} of {calls.Count} calls were refused as PARAM_ILLEGAL: {string.Join("; ", refused.Select(c => $"{c["api"]}: {c["resultMessage"]}").Distinct().Take(2))}"));

        // Each /subscribe is a new purchase: its first create must not carry the id of an earlier one (the emulator
        // would answer it as a repeat, and no second subscription would be made).
        var inconsistent = calls.Where(c => (string)c["resultCode"]! == "REPEAT_REQ_INCONSISTENT").Select(c => (string?)c["requestId"]);
        var creates = calls.Where(c => (string)c["api"]! == "create").ToList();
        var differentBodies = creates.GroupBy(c => (string?)c["requestId"]).Where(g => g.Select(c => (string?)c["bodyHash"]).Distinct().Count() > 1).Select(g => g.Key);
        // A purchase's id: what its trigger answered, else its first create (a retry of the previous purchase that
        // came late is not it).
        var purchases = acts.Take(4).Select(Purchase).OfType<string>().ToList();
        var sharedByPurchases = purchases.GroupBy(r => r).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        var reused = inconsistent.Concat(differentBodies).Distinct().ToList();
        results.Add(Result(ApiChecks[2], reused.Count == 0 && sharedByPurchases.Count == 0,
            "each request id carried one request, and each new subscription a new id",
            reused.Count > 0
                ? $"request id reused for a different request: {string.Join(", ", reused)}"
                : $"{purchases.Count} separate subscribe requests sent request id {string.Join(", ", sharedByPurchases)} each: the emulator answered the later ones as repeats of the first, so no new subscription was made"));

        results.Add(RetriedWithSameId(ApiChecks[3], afterUnknown.Calls, creates, c => (string)c["resultStatus"]! == "U" && !((string)c["resultCode"]!).StartsWith("TRANSPORT_", StringComparison.Ordinal), "U"));
        results.Add(RetriedWithSameId(ApiChecks[4], afterTimeout.Calls, creates, c => (string)c["resultCode"]! == "TRANSPORT_TIMEOUT", "a timeout"));
        // The call the rule hit, as the journal records what its client saw (whichever call took the rule first).
        var badlySigned = calls.FirstOrDefault(c => (string)c["api"]! == "create" && (string)c["resultCode"]! == "TRANSPORT_BADSIGNATURE");

        var cancelAt = calls.FindIndex(c => (string)c["api"]! == "cancel" && (string)c["resultStatus"]! == "S" && (string?)c["subscriptionId"] == subscriptionId);
        var lateChanges = cancelAt < 0 ? [] : calls.Skip(cancelAt + 1).Where(c => (string)c["api"]! is "change" or "update" && (string?)c["subscriptionId"] == subscriptionId).ToList();
        results.Add(subscriptionId is null || cancelAt < 0
            ? new CheckResult(ApiChecks[5].Id, ApiChecks[5].Title, CheckResult.Skipped, subscriptionId is not null && statusAfterCancel is "ACTIVE"
                ? "the integration's cancel did not take place (see api-cancel-confirmed-after-timeout), so there was no cancelled subscription to test with"
                : "the trigger did not produce a cancelled subscription to test with")
            : Result(ApiChecks[5], lateChanges.Count == 0, "neither change nor update was called after the cancel", $"{string.Join("/", lateChanges.Select(c => (string)c["api"]!).Distinct())} called {lateChanges.Count} time(s) after the subscription was cancelled ({string.Join(", ", lateChanges.Select(c => (string)c["resultCode"]!))})"));
        const string forged = "an answer signed with another key than Antom's";
        results.Add(RetriedWithSameId(ApiChecks[6], badlySigned is null ? afterBadSignature.Calls : calls.SkipWhile(c => !ReferenceEquals(c, badlySigned)).ToList(), creates, c => ReferenceEquals(c, badlySigned), forged,
            noRetry: UnverifiedNotRetried("create", "request id")));
        var changes = calls.Where(c => (string)c["api"]! is "change" or "update").ToList();
        const string noChange = "the trigger did not produce an active subscription to change";
        results.Add(changeAfterUnknown is null
            ? new CheckResult(ApiChecks[7].Id, ApiChecks[7].Title, CheckResult.Skipped, noChange)
            : RetriedWithSameId(ApiChecks[7], changeAfterUnknown, changes, UnknownResult, "U", api: ChangeApi(changeAfterUnknown)));
        var refunds = calls.Where(c => (string)c["api"]! == "refund").ToList();
        var noRefund = missingTriggers.Count > 0
            ? $"the integration has no refund trigger ({missingTriggers[0]}), so its refunds were not judged"
            : "the trigger did not produce a subscription with a payment above 0 to refund";
        results.Add(refundAfterUnknown is null
            ? new CheckResult(ApiChecks[8].Id, ApiChecks[8].Title, CheckResult.Skipped, noRefund)
            : RetriedWithSameId(ApiChecks[8], refundAfterUnknown, refunds, UnknownResult, "U", api: "refund"));

        results.Add(cancelAfterTimeout is null
            ? new CheckResult(ApiChecks[9].Id, ApiChecks[9].Title, CheckResult.Skipped, "the trigger did not produce an active subscription to cancel")
            : CancelConfirmed(ApiChecks[9], cancelAfterTimeout, statusAfterCancel));

        var changeApi = changeAfterBadSignature is null ? "change" : ChangeApi(changeAfterBadSignature);
        results.Add(changeAfterBadSignature is null
            ? new CheckResult(ApiChecks[10].Id, ApiChecks[10].Title, CheckResult.Skipped, noChange)
            : RetriedWithSameId(ApiChecks[10], changeAfterBadSignature, changes, BadlySigned, forged, UnverifiedNotRetried(changeApi, "request id"), changeApi));
        results.Add(refundAfterBadSignature is null
            ? new CheckResult(ApiChecks[11].Id, ApiChecks[11].Title, CheckResult.Skipped, noRefund)
            : RetriedWithSameId(ApiChecks[11], refundAfterBadSignature, refunds, BadlySigned, forged, UnverifiedNotRetried("refund", "refundRequestId"), "refund"));
        results.Add(cancelAfterBadSignature is null
            ? new CheckResult(ApiChecks[12].Id, ApiChecks[12].Title, CheckResult.Skipped, noSecond!)
            : CancelAnswerVerified(ApiChecks[12], cancelAfterBadSignature, secondSubscriptionId!, statusAfterBadlySignedCancel));

        // A check the integration failed because its trigger did not work says so.
        return spoiled.Length == 0 ? results : [.. results.Select(r => r.Outcome == CheckResult.Pass ? r : r with { Reason = r.Reason + spoiled })];
    }

    /// <summary>A business U (a transport fault's U is judged by its own check).</summary>
    private static bool UnknownResult(JsonObject call) =>
        (string)call["resultStatus"]! == "U" && !((string)call["resultCode"]!).StartsWith("TRANSPORT_", StringComparison.Ordinal);

    /// <summary>A call whose answer the suite had signed with another key than Antom's (the journal records what the client saw).</summary>
    private static bool BadlySigned(JsonObject call) => (string)call["resultCode"]! == "TRANSPORT_BADSIGNATURE";

    /// <summary>Which of change and update the integration changes plans with, judging by its calls.</summary>
    private static string ChangeApi(List<JsonObject> calls) =>
        calls.Any(c => (string)c["api"]! == "update") && !calls.Any(c => (string)c["api"]! == "change") ? "update" : "change";

    private static string UnverifiedNotRetried(string api, string idName) =>
        $"the integration did not retry: an answer whose signature does not verify may not be Antom's, so it tells nothing of whether the {api} took place. "
        + "Verify the answer's signature header with Antom's public key over \"POST <path>\\n<client-id>.<response-time>.<body>\"; "
        + $"treat an answer that does not verify as unknown, and retry with the same {idName}";

    /// <summary>A purchase's request id: what its trigger answered, else its first create.</summary>
    private static string? Purchase((JsonNode? Answer, List<JsonObject> Calls) act) =>
        (string?)act.Answer?["subscriptionRequestId"] ?? (string?)act.Calls.FirstOrDefault(c => (string)c["api"]! == "create")?["requestId"];

    /// <summary>
    /// Approves a purchase other than the first, as its buyer would: its subscription's id, or why there is none.
    /// </summary>
    private async Task<(string? SubscriptionId, string? Why)> ApproveAsync(string control, string? requestId, string? firstRequestId, CancellationToken cancellationToken)
    {
        if (requestId is null)
        {
            return (null, "the fourth /subscribe gave no subscriptionRequestId and made no create, so there was no second subscription to cancel");
        }

        if (requestId == firstRequestId)
        {
            return (null, $"the fourth /subscribe used the first purchase's request id {requestId} (see api-request-ids-unique), so there was no second subscription to cancel");
        }

        using var approved = await Emulator.PostAsync($"{control}/subscription-requests/{Uri.EscapeDataString(requestId)}/approve", null, cancellationToken);
        var text = await approved.Content.ReadAsStringAsync(cancellationToken);
        return approved.IsSuccessStatusCode && (string?)JsonNode.Parse(text)?["subscriptionId"] is { } id
            ? (id, null)
            : (null, $"the fourth /subscribe's request {requestId} could not be approved (HTTP {(int)approved.StatusCode}: {(text.Length > 160 ? text[..160] + "…" : text)}), so there was no second subscription to cancel");
    }

    /// <summary>
    /// After a create whose outcome the integration could not know (among the calls it made for that purchase), it
    /// must retry that create with the same request id, then or later in the run; a create with another id made for the
    /// same purchase is a retry under a new id.
    /// </summary>
    private static CheckResult RetriedWithSameId(
        (string Id, string Title) check, List<JsonObject> purchaseCalls, List<JsonObject> allCreates, Func<JsonObject, bool> unknownOutcome, string what, string? noRetry = null, string api = "create")
    {
        var unknown = purchaseCalls.FirstOrDefault(c => (string)c["api"]! == api && unknownOutcome(c));
        if (unknown is null)
        {
            return new CheckResult(check.Id, check.Title, CheckResult.Fail, $"the integration made no {api} call the suite could answer with {what}");
        }

        // A retry sends the same request again: the same id and body (another purchase that reuses the id is not one).
        var requestId = (string?)unknown["requestId"];
        var later = allCreates.SkipWhile(c => !ReferenceEquals(c, unknown)).Skip(1).ToList();
        if (later.Any(c => (string?)c["requestId"] == requestId && (string?)c["bodyHash"] == (string?)unknown["bodyHash"]))
        {
            return new CheckResult(check.Id, check.Title, CheckResult.Pass, $"after {what} on {requestId}, the retry used the same id");
        }

        var renamed = purchaseCalls.SkipWhile(c => !ReferenceEquals(c, unknown)).Skip(1).FirstOrDefault(c => (string)c["api"]! == api);
        return new CheckResult(check.Id, check.Title, CheckResult.Fail, renamed switch
        {
            null => $"after {what} on {requestId} " + (noRetry ?? $"the integration did not retry: whether the {api} took place stays unknown (retry the {api} with the same request id)"),
            _ when (string?)renamed["requestId"] == requestId => $"after {what} on {requestId} the integration retried with the same id but another body: Antom may answer REPEAT_REQ_INCONSISTENT (send the same request again)",
            _ => $"after {what} on {requestId} the integration retried as {(string?)renamed["requestId"]}: {api switch { "refund" => "the buyer may be refunded twice", "change" or "update" => "the plan may be changed twice", _ => "a second subscription may be created" }} (retry with the same request id; Antom answers a repeat with the first outcome)",
        });
    }

    /// <summary>
    /// After a cancel that timed out without taking place, the subscription must end up cancelled: the integration
    /// sent the cancel again (or otherwise confirmed it). One that took the silence for success keeps charging the buyer.
    /// </summary>
    private static CheckResult CancelConfirmed((string Id, string Title) check, List<JsonObject> calls, string? status)
    {
        var cancels = calls.Where(c => (string)c["api"]! == "cancel").ToList();
        if (!cancels.Any(c => (string)c["resultCode"]! == "TRANSPORT_TIMEOUT"))
        {
            return new CheckResult(check.Id, check.Title, CheckResult.Fail, "the integration made no cancel call the suite could let time out");
        }

        return status is "CANCELLED" or "TERMINATED"
            ? new CheckResult(check.Id, check.Title, CheckResult.Pass, $"the cancel timed out, was sent again ({cancels.Count} cancel calls) and took place: the subscription is {status}")
            : new CheckResult(check.Id, check.Title, CheckResult.Fail,
                $"the cancel timed out and did not take place, and the integration did not send it again: the subscription is still {status ?? "unknown"}, so the buyer will be charged for the next period (a cancel whose answer did not come, or did not verify, is unknown: send it again; a repeat of a cancel that took place succeeds)");
    }

    /// <summary>
    /// After a cancel answered with another key's signature, the integration cannot know whether it took place: it
    /// must send it again (a repeat of a cancel that took place succeeds) or read the subscription back, until Antom
    /// answers. The emulator's badSignature fault lets the cancel take place, so the status alone would pass an
    /// integration that trusted the forged SUCCESS: the calls after it are judged, and the status too, so the check
    /// holds were the forged answer's cancel not to take place (then only a repeat ends the subscription).
    /// </summary>
    private static CheckResult CancelAnswerVerified((string Id, string Title) check, List<JsonObject> calls, string subscriptionId, string? status)
    {
        var badly = calls.FirstOrDefault(c => (string)c["api"]! == "cancel" && BadlySigned(c));
        if (badly is null)
        {
            return new CheckResult(check.Id, check.Title, CheckResult.Fail, "the integration made no cancel call the suite could answer with another key's signature");
        }

        // Answered by Antom (not broken by a transport fault): a cancel sent again, or an inquiry of the subscription.
        var madeSure = calls.SkipWhile(c => !ReferenceEquals(c, badly)).Skip(1)
            .Where(c => (string?)c["subscriptionId"] == subscriptionId && !((string)c["resultCode"]!).StartsWith("TRANSPORT_", StringComparison.Ordinal))
            .Where(c => (string)c["api"]! == "cancel" || ((string)c["api"]! == "inquireSubscription" && (string)c["resultStatus"]! == "S"))
            .ToList();
        var ended = status is "CANCELLED" or "TERMINATED";
        var how = string.Join(" and ", madeSure.GroupBy(c => (string)c["api"]!).Select(g => $"{g.Count()} {g.Key}"));
        return (madeSure.Count > 0, ended) switch
        {
            (true, true) => new CheckResult(check.Id, check.Title, CheckResult.Pass, $"the cancel's answer did not verify; the integration made sure ({how} after it), and the subscription is {status}"),
            (true, false) => new CheckResult(check.Id, check.Title, CheckResult.Fail,
                $"the cancel's answer did not verify; the integration called again ({how}), yet the subscription is still {status ?? "unknown"}: the buyer will be charged for the next period (send the cancel again until Antom answers it)"),
            (false, false) => new CheckResult(check.Id, check.Title, CheckResult.Fail,
                $"after a cancel answer signed with another key, the integration did not send the cancel again: it did not take place and the subscription is still {status ?? "unknown"}, so the buyer will be charged for the next period. "
                + "An answer whose signature does not verify may not be Antom's: treat it as unknown and send the same cancel again (a repeat of a cancel that took place succeeds)"),
            (false, true) => new CheckResult(check.Id, check.Title, CheckResult.Fail,
                "after a cancel answer signed with another key, the integration did not send the cancel again (nor read the subscription back): the cancel took place this time, but an answer whose signature does not verify may not be Antom's, "
                + "so it tells nothing of what happened, and one taken for done leaves the buyer charged when the cancel did not take place. Verify the answer's signature; treat one that does not verify as unknown and send the same cancel again (a repeat of a cancel that took place succeeds)"),
        };
    }

    /// <summary>The subscription's status as the emulator has it, or null when it cannot be read.</summary>
    private async Task<string?> StatusAsync(string control, string subscriptionId, CancellationToken cancellationToken)
    {
        using var response = await Emulator.GetAsync($"{control}/subscriptions/{Uri.EscapeDataString(subscriptionId)}", cancellationToken);
        return response.IsSuccessStatusCode ? (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))?["status"] : null;
    }

    /// <summary>The journal once the integration's calls have stayed quiet for <see cref="ConformanceOptions.SettleTime"/>.</summary>
    private async Task<JsonArray> SettledJournalAsync(string journal, CancellationToken cancellationToken)
    {
        var calls = (await Emulator.GetFromJsonAsync<JsonArray>(journal, cancellationToken))!;
        var deadline = TimeProvider.System.GetUtcNow() + TimeSpan.FromSeconds(60);
        while (options.SettleTime > TimeSpan.Zero && TimeProvider.System.GetUtcNow() < deadline)
        {
            await Task.Delay(options.SettleTime, TimeProvider.System, cancellationToken);
            var now = (await Emulator.GetFromJsonAsync<JsonArray>(journal, cancellationToken))!;
            if (now.Count == calls.Count)
            {
                return now;
            }

            calls = now;
        }

        return calls;
    }

    private static CheckResult Result((string Id, string Title) check, bool ok, string pass, string fail) =>
        new(check.Id, check.Title, ok ? CheckResult.Pass : CheckResult.Fail, ok ? pass : fail);

    private static CheckResult Judge(string id, string title, Delivery delivery, bool expectAck) => (expectAck, delivery.Acknowledged) switch
    {
        (true, true) => new CheckResult(id, title, CheckResult.Pass, $"acknowledged in {delivery.Elapsed.TotalMilliseconds:0} ms"),
        (true, false) => new CheckResult(id, title, CheckResult.Fail, $"not acknowledged: {delivery.Describe()}; the answer must be HTTP 200 with result.resultStatus S"),
        (false, true) => new CheckResult(id, title, CheckResult.Fail, "acknowledged: the integration accepts notifications it did not verify"),
        _ => new CheckResult(id, title, CheckResult.Pass, $"refused ({delivery.Describe()})"),
    };

    /// <summary>The paymentId of the subscription's first successful phase with something to refund (a free trial period has none), or null.</summary>
    private async Task<string?> PaidPaymentIdAsync(string control, string subscriptionId, CancellationToken cancellationToken)
    {
        using var response = await Emulator.GetAsync($"{control}/subscriptions/{Uri.EscapeDataString(subscriptionId)}", cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        var phases = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))?["phases"]?.AsArray() ?? [];
        return phases.Where(p => (string?)p?["resultStatus"] == "S" && (string?)p?["amount"]?["value"] is { } value && value.TrimStart('0').Length > 0)
            .Select(p => (string?)p?["paymentId"]).FirstOrDefault();
    }

    /// <summary>
    /// Asks the integration to act. Never throws: a trigger that fails is noted in <paramref name="errors"/> and shown
    /// in the checks it spoils. Sent with a Content-Length (not chunked), and given longer than the emulator's timeout
    /// fault holds a call, since the integration's own call may wait that long.
    /// </summary>
    /// <param name="mayRefuse">A 409 or 422 answer means the integration refused to act, as it should, not that the trigger is broken.</param>
    /// <param name="missing">For a trigger the integration may not have: a 404 or 405 is noted here, not as an error.</param>
    private async Task<JsonNode?> TriggerAsync(string action, object? body, bool mayRefuse, List<string>? missing, List<string> errors, CancellationToken cancellationToken)
    {
        var url = new Uri(options.TriggerUrl!, $"{options.TriggerUrl!.AbsolutePath.TrimEnd('/')}/{action}");
        try
        {
            using var content = new StringContent(JsonSerializer.Serialize(body ?? new { }), Encoding.UTF8, "application/json");
            using var response = await triggers.PostAsync(url, content, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                if (missing is not null && (int)response.StatusCode is 404 or 405)
                {
                    missing.Add($"POST {url} answered HTTP {(int)response.StatusCode}");
                }
                else if (!(mayRefuse && (int)response.StatusCode is 409 or 422))
                {
                    errors.Add($"POST {url} answered HTTP {(int)response.StatusCode}");
                }

                return null;
            }

            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            errors.Add(ex is TaskCanceledException ? $"POST {url} did not answer within {triggers.Timeout.TotalSeconds:0} s" : $"POST {url}: {ex.Message}");
            return null;
        }
    }

    /// <summary>The processed-count hook's answer, or why it could not be read (never throws).</summary>
    private async Task<(int Count, string? Error)> ProcessedCountAsync(string paymentId, CancellationToken cancellationToken)
    {
        var url = new Uri($"{options.ProcessedUrl}?paymentId={Uri.EscapeDataString(paymentId)}");
        try
        {
            using var response = await http.GetAsync(url, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return (-1, $"the processed-count hook GET {url} answered HTTP {(int)response.StatusCode}");
            }

            return JsonNode.Parse(text)?["count"] is JsonValue count && count.TryGetValue<int>(out var n)
                ? (n, null)
                : (-1, $"the processed-count hook GET {url} answered {(text.Length > 120 ? text[..120] + "…" : text)}, not {{\"count\":n}}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or FormatException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            return (-1, $"the processed-count hook GET {url} failed: {ex.Message}");
        }
    }

    private async Task<Delivery> SendAsync(Uri url, string body, RSA? key, CancellationToken cancellationToken, bool tamper = false)
    {
        var time = TimeProvider.System.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
        var bytes = Encoding.UTF8.GetBytes(body);
        var signature = key is null
            ? "algorithm=RSA256,keyVersion=1,signature=" + Uri.EscapeDataString(Convert.ToBase64String(RandomNumberGenerator.GetBytes(256)))
            : AntomSigner.SignatureHeader(key, url.PathAndQuery, options.ClientId, time, bytes);
        // A change that matters to the merchant: the amount paid, or the subscription's status.
        var sent = tamper
            ? Encoding.UTF8.GetBytes(body.Replace("\"19900\"", "\"1\"", StringComparison.Ordinal).Replace("\"ACTIVE\"", "\"TERMINATED\"", StringComparison.Ordinal))
            : bytes;
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(sent) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=UTF-8");
        request.Headers.TryAddWithoutValidation("client-id", options.ClientId);
        request.Headers.TryAddWithoutValidation("request-time", time);
        request.Headers.TryAddWithoutValidation("signature", signature);
        // Each delivery on a connection of its own, as a sender that comes and goes: a receiver that closes after each
        // answer (Python's http.server speaks HTTP/1.0) would otherwise race a pooled connection it has closed, and the
        // delivery fail without reaching it.
        request.Headers.ConnectionClose = true;
        var watch = Stopwatch.StartNew();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(AckLimit);
            using var response = await http.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            return new Delivery((int)response.StatusCode, text, watch.Elapsed, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return new Delivery(null, null, watch.Elapsed, ex is TaskCanceledException ? "no answer within 15 s" : ex.Message);
        }
    }

    /// <summary>
    /// <paramref name="body"/> with a member no integration knows, after the others (Antom adds fields over time: an
    /// integration must ignore what it does not know). Inserted into the text, so the rest is byte for byte the emulator's.
    /// </summary>
    private static string WithUnknownMember(string body) =>
        body[..body.LastIndexOf('}')] + $",\"{UnknownMember}\":{{\"note\":\"a member this integration does not know\"}}}}";

    private string NotifySubscription(string subscriptionId, string type) => notifications.Subscription(subscriptionId, type);

    private string NotifyPayment(string subscriptionId, string paymentId, int phaseNo) => notifications.Payment(subscriptionId, paymentId, phaseNo);

    private HttpClient CreateEmulatorClient()
    {
        var client = new HttpClient { BaseAddress = options.EmulatorUrl, Timeout = TimeSpan.FromSeconds(60) };
        if (options.AdminToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.AdminToken);
        }

        return client;
    }

    private static RSA LoadKey(string? pem)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem ?? File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "keys", "antom-private.pem")));
        return rsa;
    }

    private static string RandomDigits(int count) => string.Concat(Enumerable.Range(0, count).Select(_ => RandomNumberGenerator.GetInt32(10).ToString(CultureInfo.InvariantCulture)));

    private sealed record Delivery(int? Status, string? Body, TimeSpan Elapsed, string? Error)
    {
        public bool Acknowledged
        {
            get
            {
                if (Status != 200 || Body is null)
                {
                    return false;
                }

                try
                {
                    return JsonNode.Parse(Body)?["result"]?["resultStatus"]?.GetValue<string>() == "S";
                }
                catch (JsonException)
                {
                    return false;
                }
            }
        }

        public string Describe() => Error ?? $"HTTP {Status} {(Body is { Length: > 120 } b ? b[..120] + "…" : Body)}";
    }
}
