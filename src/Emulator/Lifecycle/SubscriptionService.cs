using System.Text;
using System.Text.Json;
using Emulator.Api;
using Emulator.Domain;
using Emulator.Hosting;
using Emulator.Notifications;
using Emulator.Persistence;
using Emulator.Protocol;
using Microsoft.Extensions.Options;

namespace Emulator.Lifecycle;

/// <summary>
/// Runs create, change, update and cancel against the store: validation, idempotency (SPEC §10) and the aggregate's intent
/// methods, each state change saved in one write transaction with its idempotency record.
/// </summary>
public sealed partial class SubscriptionService(
    Database database, SubscriptionStore subscriptions, RefundStore refunds, SubscriptionIds ids, Scheduling.MerchantRuns runs, IOptions<EmulatorOptions> options)
{
    public async Task<AntomResponse> CreateAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        var fields = JsonFields.Root(request.Body, []);
        if (CreateSubscriptionRequest.Parse(fields, request.Merchant, request.Now) is not { } create)
        {
            return await RepeatOrParamIllegalAsync(request, Apis.Create, "subscriptionRequestId", fields, cancellationToken);
        }

        if (request.Injected is { } injected)
        {
            return await KeepInjectedAsync(request, Apis.Create, create.SubscriptionRequestId, injected, cancellationToken);
        }

        // No read for a replay first: the idempotency record is inserted first in the write, and a repeated request id
        // finds the first answer there (one read less for every new subscription, the usual case).
        var clientId = request.Merchant.ClientId;
        var subscription = Subscription.Create(
            ids.NextSubscriptionId(request.Now), clientId, create.SubscriptionRequestId, NewToken(), create.Plan, request.Now);
        var answer = AuthorizationLinks.For(subscription, request.BaseUrl);
        var body = AntomGateway.Serialize(answer);
        RecordCall(subscription, request, Apis.Create, create.SubscriptionRequestId, "SUCCESS");

        // The idempotency record goes in before the subscription: a concurrent twin then meets the record, not the
        // unique index on the request id.
        return await WriteCallAsync(
            request,
            work => FirstAnswerAsync(work, clientId, Apis.Create, create.SubscriptionRequestId, request, answer.Result, body, cancellationToken,
                () => PersistAsync(work, subscription, isNew: true, cancellationToken)),
            cancellationToken);
    }

    public async Task<AntomResponse> ChangeAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        var fields = JsonFields.Root(request.Body, []);
        if (ChangeSubscriptionRequest.Parse(fields, request.Now) is not { } change)
        {
            return await RepeatOrParamIllegalAsync(request, Apis.Change, "subscriptionChangeRequestId", fields, cancellationToken);
        }

        var plan = new PlanChange(change.Description, change.StartTime, change.EndTime, change.PeriodRule, change.PaymentAmount, change.OrderAmount, change.PaymentAmountDifference);
        return await ModifyAsync(request, Apis.Change, change.SubscriptionChangeRequestId, change.SubscriptionId, plan,
            subscription => change.StartTime is { } start
                && CreateSubscriptionRequest.StartRuleBroken(change.PeriodRule ?? subscription.Plan.PeriodRule, start, request.Now) is var (field, rule)
                    // create's start rule, with the new period rule or else the subscription's.
                    ? AntomResult.ParamIllegal($"{field}: {rule}")
                    : null,
            subscription => subscription.Change(plan, request.Now),
            cancellationToken);
    }

    /// <summary>update (SPEC §3.4): as change, with its own request id, no start time and a movable next phase.</summary>
    public async Task<AntomResponse> UpdateAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        var fields = JsonFields.Root(request.Body, []);
        if (UpdateSubscriptionRequest.Parse(fields, request.Now) is not { } update)
        {
            return await RepeatOrParamIllegalAsync(request, Apis.Update, "subscriptionUpdateRequestId", fields, cancellationToken);
        }

        return await ModifyAsync(request, Apis.Update, update.SubscriptionUpdateRequestId, update.SubscriptionId, update.Update,
            subscription => update.Update.Proration is { } proration && proration.CustomAmount.Currency != subscription.Plan.PaymentAmount.Currency
                ? AntomResult.ParamIllegal(
                    $"prorationSettings.customAmount.currency: must be {subscription.Plan.PaymentAmount.Currency}, the subscription's currency (got {proration.CustomAmount.Currency})")
                : null,
            subscription => subscription.Update(update.Update, options.Value.DeductionLeadTime, request.Now),
            cancellationToken);
    }

    /// <summary>
    /// change and update: the replay of a used request id, or the subscription read, checked and modified in one write
    /// with the request id's first answer. <paramref name="refuse"/> gives a field rule that depends on the
    /// subscription (nothing written or kept when it breaks one); <paramref name="apply"/> the aggregate's intent.
    /// </summary>
    private async Task<AntomResponse> ModifyAsync(
        GatewayRequest request, string api, string requestId, string subscriptionId, PlanChange plan,
        Func<Subscription, AntomResult?> refuse, Func<Subscription, Outcome> apply, CancellationToken cancellationToken)
    {
        if (request.Injected is { } injected)
        {
            return await KeepInjectedAsync(request, api, requestId, injected, cancellationToken);
        }

        var clientId = request.Merchant.ClientId;
        if (await ReplayAsync(clientId, api, requestId, request, cancellationToken) is { } replay)
        {
            return replay;
        }

        Subscription? changed = null;
        var answer = await WriteCallAsync(request, async work =>
        {
            var subscription = Issued(await SubscriptionStore.FindAsync(work, clientId, subscriptionId, null, cancellationToken));
            AntomResult result;
            if (subscription is null)
            {
                result = NotExist(subscriptionId);
            }
            else if (refuse(subscription) is { } broken)
            {
                // Refused like any other field rule: nothing written or kept.
                return new AntomResponse(broken);
            }
            else if (plan.PaymentAmount is { } amount && amount.Currency != subscription.Plan.PaymentAmount.Currency)
            {
                // A plan in two currencies (trials and the order in one, the periods in another) is one create refuses.
                return new AntomResponse(AntomResult.ParamIllegal(
                    $"paymentAmount.currency: must stay {subscription.Plan.PaymentAmount.Currency}, the currency the subscription was created with (got {amount.Currency})"));
            }
            else
            {
                var outcome = apply(subscription);
                result = outcome.Succeeded ? AntomResult.Success
                    : outcome.ResultCode is { } code ? new AntomResult(code, "F", outcome.Reason!)
                    : AntomResult.ProcessFail(outcome.Reason!);
                RecordCall(subscription, request, api, requestId, result.ResultCode);
                await PersistAsync(work, subscription, isNew: false, cancellationToken);
            }

            var body = AntomGateway.Serialize(new AntomResponse(result));

            // Told only when kept: undone when a concurrent twin answered first.
            return await FirstAnswerAsync(work, clientId, api, requestId, request, result, body, cancellationToken,
                () =>
                {
                    changed = subscription;
                    return Task.CompletedTask;
                });
        }, cancellationToken);
        await ToldAsync(changed, cancellationToken);
        return answer;
    }

    private static void RecordCall(Subscription subscription, GatewayRequest request, string api, string requestId, string resultCode)
    {
        subscription.RecordApiCall(request.Now, api, requestId, resultCode, request.AnsweredWith);
        request.InTimeline.Recorded = true;
    }

    /// <summary>cancel has no request id: it is idempotent by state (SPEC §10).</summary>
    public async Task<AntomResponse> CancelAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        var fields = JsonFields.Root(request.Body, []);
        if (CancelSubscriptionRequest.Parse(fields) is not { } cancel)
        {
            return ParamIllegal(fields);
        }

        Subscription? changed = null;
        var answer = await WriteCallAsync(request, async work =>
        {
            var found = await SubscriptionStore.FindAsync(work, request.Merchant.ClientId, cancel.SubscriptionId, cancel.SubscriptionRequestId, cancellationToken);
            var subscription = cancel.SubscriptionId is null ? found : Issued(found);
            if (subscription is null)
            {
                return new AntomResponse(NotExist(cancel.SubscriptionId ?? cancel.SubscriptionRequestId!));
            }

            var outcome = subscription.Cancel(cancel.CancellationType, request.Now);
            var result = outcome.Succeeded ? AntomResult.Success : AntomResult.ProcessFail(outcome.Reason!);
            RecordCall(subscription, request, Apis.Cancel, cancel.CancellationType, result.ResultCode);
            await PersistAsync(work, subscription, isNew: false, cancellationToken);
            changed = subscription;
            return new AntomResponse(result);
        }, cancellationToken);
        await ToldAsync(changed, cancellationToken);
        return answer;
    }

    /// <summary>
    /// inquireSubscription (SPEC §3.6): reads only. A request the buyer has not authorized yet has no subscription the
    /// merchant could know the id of (notifySubscription brings it): it does not exist for this API either.
    /// </summary>
    public async Task<AntomResponse> InquireAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        var fields = JsonFields.Root(request.Body, []);
        if (InquireSubscriptionRequest.Parse(fields) is not { } inquiry)
        {
            return ParamIllegal(fields);
        }

        var subscription = Issued(await subscriptions.FindAsync(request.Merchant.ClientId, inquiry.SubscriptionId, cancellationToken));
        if (subscription is null)
        {
            return new AntomResponse(NotExist(inquiry.SubscriptionId));
        }

        subscription = await SettledAsync(subscription, request.Now, cancellationToken);
        return new InquireSubscriptionResponse(AntomResult.Success, await InfoAsync(subscription, request.Now, cancellationToken));
    }

    /// <summary>
    /// inquireSubscriptionList (SPEC §3.7): the merchant's subscriptions whose initial start time lies in the window,
    /// filtered, oldest start first (then by id), one page. Requests the buyer has not authorized are not listed, as
    /// inquireSubscription does not know them.
    /// </summary>
    public async Task<AntomResponse> InquireListAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        var fields = JsonFields.Root(request.Body, []);
        if (InquireSubscriptionListRequest.Parse(fields, request.Now) is not { } inquiry)
        {
            return ParamIllegal(fields);
        }

        var all = (await subscriptions.ListAsync(request.Merchant.ClientId, null, null, cancellationToken)).ToList();
        for (var i = 0; i < all.Count; i++)
        {
            all[i] = await SettledAsync(all[i], request.Now, cancellationToken);
        }

        var matching = all
            .Where(s => s.InitialStartTime >= inquiry.StartTimeFrom && s.InitialStartTime <= inquiry.StartTimeTo)
            .Where(s => s.Status != SubscriptionStatus.AwaitingAuthorization && inquiry.Statuses.Contains(s.Status.ToWire()))
            .Where(s => inquiry.PaymentMethodTypes?.Contains(s.Plan.PaymentMethod.PaymentMethodType) ?? true)
            .Where(s => inquiry.Currencies?.Contains(s.Plan.PaymentAmount.Currency) ?? true)
            .Where(s => inquiry.PeriodTypes?.Contains(s.Plan.PeriodRule.PeriodType) ?? true)
            .OrderBy(s => s.InitialStartTime)
            .ThenBy(s => s.SubscriptionId, StringComparer.Ordinal)
            .ToList();
        var (listed, paginator) = Paginator.Page(matching, inquiry.CurrentPage, inquiry.PageSize);
        var page = new List<SubscriptionInfo>(listed.Count);
        foreach (var subscription in listed)
        {
            page.Add(await InfoAsync(subscription, request.Now, cancellationToken));
        }

        return new InquireSubscriptionListResponse(AntomResult.Success, page, paginator);
    }

    /// <summary>The subscription as the inquiries describe it at <paramref name="now"/>, with its last state change.</summary>
    private async Task<SubscriptionInfo> InfoAsync(Subscription subscription, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var timeline = await subscriptions.TimelineAsync(subscription.SubscriptionId, cancellationToken);
        var lastUpdate = timeline.Where(e => e.Type == "stateChanged" && e.At <= now).Select(e => e.At).DefaultIfEmpty(subscription.CreatedAt).Max();
        var phases = await subscriptions.PhasesAsync(subscription.SubscriptionId, cancellationToken);
        return SubscriptionInfo.Of(subscription, phases, now, lastUpdate);
    }

    /// <summary>
    /// inquireSubscriptionPayment (SPEC §3.8): the payments of a subscription, oldest phase first, one page. An unknown
    /// subscription has none: an empty list, not an error.
    /// </summary>
    public async Task<AntomResponse> InquirePaymentsAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        var fields = JsonFields.Root(request.Body, []);
        if (InquireSubscriptionPaymentRequest.Parse(fields) is not { } inquiry)
        {
            return ParamIllegal(fields);
        }

        var subscription = await subscriptions.FindAsync(request.Merchant.ClientId, inquiry.SubscriptionId, cancellationToken);
        if (subscription is not null)
        {
            subscription = await SettledAsync(subscription, request.Now, cancellationToken);
        }

        var payments = subscription is null
            ? []
            : (await subscriptions.PhasesAsync(subscription.SubscriptionId, cancellationToken))
                .Where(p => p.PaymentCreateTime <= request.Now && !p.UnderWay)
                .Select(p => SubscriptionTransaction.Of(subscription, p))
                .Where(p => inquiry.PaymentStatuses?.Contains(p.Status) ?? true)
                .OrderBy(p => p.PhaseNo)
                .ToList();
        var (page, paginator) = Paginator.Page(payments, inquiry.CurrentPage, inquiry.PageSize);
        return new InquireSubscriptionPaymentResponse(AntomResult.Success, page, paginator);
    }

    /// <summary>
    /// The subscription as an inquiry at <paramref name="now"/> finds it: a payment under way whose processing time is
    /// over has succeeded by then, whether or not the time machine has run since (docs/faults.md "effect"), so it is settled
    /// and saved first, with the notifyPayment it owes, as an intent would (<see cref="Subscription.SettleIfDue"/>).
    /// </summary>
    private async Task<Subscription> SettledAsync(Subscription subscription, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (subscription.PaymentUnderWay is null || subscription.PaymentSettlesAt is not { } at || at > now)
        {
            return subscription;
        }

        var (current, settled) = await database.WriteAsync(async work =>
        {
            var fresh = await SubscriptionStore.FindAsync(work, subscription.ClientId, subscription.SubscriptionId, null, cancellationToken);
            if (fresh is null || !fresh.SettleIfDue(now))
            {
                // Settled (or gone) since it was read: what the store holds now is the answer.
                return (fresh ?? subscription, false);
            }

            await PersistAsync(work, fresh, isNew: false, cancellationToken);
            return (fresh, true);
        }, cancellationToken);
        if (settled)
        {
            await ToldAsync(current, cancellationToken);
        }

        return current;
    }

    /// <summary>The buyer's decision on the authorization page or through the control API.</summary>
    /// <param name="thenInTheSameUnit">Runs in the decision's own transaction once it is saved (the approval's due
    /// phase 1, so that no cancel can come between the approval and its charge).</param>
    public async Task<(Subscription? Subscription, Outcome Outcome)> DecideAsync(
        string clientId, string subscriptionRequestId, bool approve, DateTimeOffset now, CancellationToken cancellationToken,
        Func<WriteTransaction, Subscription, Task>? thenInTheSameUnit = null)
    {
        var decided = await database.WriteAsync<(Subscription?, Outcome)>(async work =>
        {
            var subscription = await SubscriptionStore.FindAsync(work, clientId, null, subscriptionRequestId, cancellationToken);
            if (subscription is null)
            {
                return (null, Outcome.Refused($"no subscription request '{subscriptionRequestId}'"));
            }

            // Saved even when refused: a decision that came too late closes the request (expiry) as it is refused.
            var outcome = approve ? subscription.Approve(now) : subscription.Decline(now);
            await PersistAsync(work, subscription, isNew: false, cancellationToken);
            if (outcome.Changed && thenInTheSameUnit is not null)
            {
                await thenInTheSameUnit(work, subscription);
            }

            return (subscription, outcome);
        }, cancellationToken);
        await ToldAsync(decided.Item1, cancellationToken);
        return decided;
    }

    /// <summary>What a committed call changed, for the events of an advance under way for the merchant.</summary>
    private async Task ToldAsync(Subscription? changed, CancellationToken cancellationToken)
    {
        if (changed is not null)
        {
            await runs.TellAsync(changed.ClientId, changed.Events.Select(e => Scheduling.TimeMachine.ToJournal(changed.SubscriptionId, e)).OfType<Scheduling.JournalEvent>(), cancellationToken);
        }
    }

    /// <summary>The subscription, its phases and the notifications it owes: one transaction (STYLE.md).</summary>
    private async Task PersistAsync(WriteTransaction work, Subscription subscription, bool isNew, CancellationToken cancellationToken)
    {
        await subscriptions.SaveAsync(work, subscription, isNew, cancellationToken);
        await Outbox.EnqueueAsync(work, subscription, options.Value.NumbersAsStrings, cancellationToken);

        // A payment under way that a call settled (a test's settle, or an intent after its processing time) is a
        // deduction's end too; the time machine counts the ones it makes.
        foreach (var settled in subscription.Events.OfType<PhaseDeducted>())
        {
            Hosting.EmulatorMetrics.Deductions.WithLabels(settled.Phase.ResultStatus, settled.Phase.ResultCode).Inc();
        }
    }

    /// <summary>
    /// Stores this answer as the first one to the request id, in the caller's unit of work. When a concurrent call with
    /// the same id got there first, the unit's writes are undone and that call's answer is given instead (read through
    /// the unit's transaction, which sees it even before it is committed). <paramref name="body"/> is the answer
    /// serialized, <paramref name="result"/> its result (kept as is: nothing is parsed again while the writer is held).
    /// </summary>
    private static async Task<AntomResponse> FirstAnswerAsync(
        WriteTransaction work, string clientId, string api, string requestId, GatewayRequest request, AntomResult result, byte[] body, CancellationToken cancellationToken, Func<Task>? then = null)
    {
        if (!await IdempotencyStore.TryInsertAsync(work, clientId, api, requestId, request.CanonicalBodyHash, Encoding.UTF8.GetString(body), cancellationToken))
        {
            await work.RollbackAsync(cancellationToken);
            return Replay(requestId, api, request, await IdempotencyStore.FindAsync(work, clientId, api, requestId, cancellationToken)
                ?? throw new InvalidOperationException("idempotency record vanished"));
        }

        if (then is not null)
        {
            await then();
        }

        return new ReplayedResponse(result, body);
    }

    /// <summary>
    /// Keeps a business <c>F</c> a fault answered with as the request id's first answer, as Antom keeps a real one; a
    /// request id already answered keeps its answer. Nothing else is written.
    /// </summary>
    private Task<AntomResponse> KeepInjectedAsync(GatewayRequest request, string api, string requestId, AntomResult injected, CancellationToken cancellationToken) =>
        WriteCallAsync(
            request,
            work => FirstAnswerAsync(work, request.Merchant.ClientId, api, requestId, request, injected, AntomGateway.Serialize(new AntomResponse(injected)), cancellationToken),
            cancellationToken);

    /// <summary>
    /// The write of an API call's outcome, as one unit: the merchant the call authenticated as is still registered (a
    /// delete that came since leaves nothing of it behind: <see cref="Merchants.MerchantGoneException"/>), and the
    /// fault rule chosen for the call is used up with the call's effect and its kept answer, all or nothing.
    /// </summary>
    private Task<T> WriteCallAsync<T>(GatewayRequest request, Func<WriteTransaction, Task<T>> unit, CancellationToken cancellationToken) =>
        database.WriteAsync(async work =>
        {
            await MerchantStore.EnsureRegisteredAsync(work, request.Merchant, cancellationToken);
            if (request.Fault is { } fault)
            {
                await fault.UseAsync(work, cancellationToken);
            }

            return await unit(work);
        }, cancellationToken);

    private async Task<AntomResponse?> ReplayAsync(string clientId, string api, string requestId, GatewayRequest request, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await IdempotencyStore.FindAsync(connection, clientId, api, requestId, cancellationToken) is { } first
            ? Replay(requestId, api, request, first)
            : null;
    }

    private static AntomResponse Replay(string requestId, string api, GatewayRequest request, (string RequestHash, string Response) first)
    {
        var (firstHash, firstResponse) = first;
        return request.IsSameBody(firstHash)
            ? ReplayedResponse.From(Encoding.UTF8.GetBytes(firstResponse))
            : new AntomResponse(new AntomResult("REPEAT_REQ_INCONSISTENT", "F", $"request id '{requestId}' was already used for {api} with a different body; use a new request id for a new request"));
    }

    /// <summary>
    /// A body that breaks a rule now may still be the repeat of a request that passed when it was first sent (a time
    /// rule such as the authorization deadline has passed since): the same body with the same request id gets the first
    /// answer (SPEC §10); another body with that request id is REPEAT_REQ_INCONSISTENT, the root of the trouble, with the
    /// rule it breaks besides; a new request id gets the broken rules. Read only for a refused body, so a valid one costs
    /// no read.
    /// </summary>
    private async Task<AntomResponse> RepeatOrParamIllegalAsync(GatewayRequest request, string api, string idField, JsonFields fields, CancellationToken cancellationToken)
    {
        if (JsonFields.TextOf(request.Body, idField) is { Length: > 0 and <= 64 } requestId
            && await ReplayAsync(request.Merchant.ClientId, api, requestId, request, cancellationToken) is { } first)
        {
            return first is ReplayedResponse
                ? first
                : new AntomResponse(first.Result with { ResultMessage = $"{first.Result.ResultMessage} (this body also breaks a rule: {fields.Errors[0]})" });
        }

        return ParamIllegal(fields);
    }

    private static AntomResponse ParamIllegal(JsonFields fields)
    {
        var errors = fields.Errors;
        var more = errors.Count > 1 ? $" (and {errors.Count - 1} more: {string.Join("; ", errors.Skip(1).Take(3))})" : "";
        return new AntomResponse(AntomResult.ParamIllegal(errors[0] + more));
    }

    /// <summary>
    /// The subscription a call names by its <c>subscriptionId</c>, if Antom has issued that id: a request the buyer has
    /// not authorized has none the merchant can know (notifySubscription <c>CREATE</c> gives it), so every call that names
    /// one by that id finds nothing, as inquireSubscription does; cancel names it by its <c>subscriptionRequestId</c>.
    /// </summary>
    private static Subscription? Issued(Subscription? subscription) =>
        subscription?.Status == SubscriptionStatus.AwaitingAuthorization ? null : subscription;

    private static AntomResult NotExist(string id) =>
        AntomResult.SubscriptionNotExist($"no subscription '{id}' exists for this client id");

    // 32 hex digits, rising (the token's unique index takes new tokens at one end), with 96 random bits.
    private static readonly RisingKeys Tokens = new(counterDigits: 8, randomBytes: 12);

    private static string NewToken() => Tokens.Next();
}
