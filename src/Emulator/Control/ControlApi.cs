using System.Reflection;
using Emulator.Domain;
using Emulator.Lifecycle;
using Emulator.Merchants;
using Emulator.Persistence;
using Emulator.Protocol;
using Emulator.Scheduling;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Emulator.Control;

/// <summary>The control API under <c>/_emulator/v1</c> (CONTROL-API.md): what tests, tools and people drive.</summary>
public static class ControlApi
{
    public const string Prefix = "/_emulator/v1";

    /// <summary>Health for probes that carry no token.</summary>
    public const string LivenessPath = "/healthz";

    public static IEndpointRouteBuilder MapControlApi(this IEndpointRouteBuilder app)
    {
        var root = app.MapGroup(Prefix).WithTags("Emulator control");
        root.MapGet("/health", HealthAsync).WithName("GetHealth");
        // The same answer outside /_emulator, open to any caller: load balancers and orchestrators probe without the
        // admin token, which every /_emulator call wants when one is set (CONTROL-API.md).
        app.MapGet(LivenessPath, HealthAsync).WithName("GetLiveness").WithTags("Emulator control");
        root.MapGet("/keys", GetKeys).WithName("GetKeys");

        var merchants = root.MapGroup("/merchants/{clientId}").AddEndpointFilter<MerchantUseFilter>();
        merchants.MapPut("", PutMerchantAsync).WithName("PutMerchant");
        merchants.MapGet("", GetMerchantAsync).WithName("GetMerchant");
        merchants.MapDelete("", DeleteMerchantAsync).WithName("DeleteMerchant");

        // What a merchant has: answered 404 by the filter when the merchant does not exist.
        var merchant = merchants.MapGroup("").AddEndpointFilter<KnownMerchantFilter>();
        merchant.MapGet("/subscriptions", ListSubscriptionsAsync).WithName("ListSubscriptions");
        merchant.MapGet("/subscriptions/{subscriptionId}", GetSubscriptionAsync).WithName("GetSubscription");
        merchant.MapPost("/subscription-requests/{subscriptionRequestId}/approve", ApproveAsync).WithName("ApproveSubscriptionRequest");
        merchant.MapPost("/subscription-requests/{subscriptionRequestId}/decline", DeclineAsync).WithName("DeclineSubscriptionRequest");
        merchant.MapGet("/api-calls", ListApiCallsAsync).WithName("ListApiCalls");
        merchant.MapClockApi();
        merchant.MapRefundsApi();
        merchant.MapPaymentsApi();
        merchant.MapReportsApi();
        merchant.MapNotificationsApi();
        root.MapFaultsApi(merchant);
        return app;
    }

    /// <summary>
    /// Ok when the database answers within 3 s: a load balancer or orchestrator then takes an instance whose database is
    /// gone out of rotation, instead of sending it calls that can only fail. At <see cref="LivenessPath"/> it answers
    /// callers without the admin token.
    /// </summary>
    public static async Task<Results<Ok<HealthView>, JsonHttpResult<HealthView>>> HealthAsync(Database database, ILoggerFactory logs, TimeProvider time, CancellationToken cancellationToken)
    {
        var version = typeof(ControlApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev";
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(HealthLimit);
        try
        {
            // The answer does not wait for the query past the limit: a database that hangs (a frozen server, whose
            // connections are neither refused nor answered) does not take a cancellation either, and would hold the
            // check for the driver's own timeouts (half a minute), past any load balancer's patience.
            var query = database.QueryAsync("SELECT 1", r => r.GetInt64(0), limit.Token);
            _ = query.ContinueWith(q => _ = q.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            await query.WaitAsync(HealthLimit, time, cancellationToken);
            return TypedResults.Ok(new HealthView("ok", version));
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or OperationCanceledException or TimeoutException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            // Health answers anyone: the error's own text (hosts, ports, users) goes to the log only.
            logs.CreateLogger(typeof(ControlApi)).LogWarning(ex, "Health: the {Kind} database did not answer", database.Kind);
            var why = ex switch
            {
                OperationCanceledException or TimeoutException => "did not answer within 3 s",
                System.Data.Common.DbException { SqlState: { } state } => $"failed with SQLSTATE {state}",
                _ => $"failed ({ex.GetType().Name})",
            };
            return TypedResults.Json(new HealthView("unavailable", version, $"the {database.Kind} database {why}; the emulator's log says more"), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static readonly TimeSpan HealthLimit = TimeSpan.FromSeconds(3);

    public static Ok<KeysView> GetKeys(AntomSigningKey key) =>
        TypedResults.Ok(new KeysView(key.KeyVersion, key.PublicKeyBase64, key.PublicKeyPem));

    public static async Task<Results<Ok<MerchantView>, ProblemHttpResult>> PutMerchantAsync(
        HttpContext http, string clientId, MerchantBody body, MerchantRegistry merchants, MerchantClocks clocks, TimeMachine machine, TimeProvider time, MerchantActivity activity,
        CancellationToken cancellationToken)
    {
        if (clientId.Length > 64)
        {
            return ControlProblems.BadRequest("clientId must be at most 64 characters");
        }

        if (clientId.Any(c => c <= ' ' || c > '~' || c == '/'))
        {
            // It travels in the Client-Id header, whose value loses its outer spaces, and in the control API's paths.
            return ControlProblems.BadRequest($"clientId must be printable ASCII without spaces or '/', as Antom's client ids are (got '{clientId}')");
        }

        if (body.KeyVersion is { } keyVersion && (keyVersion.Length is 0 or > 16 || !keyVersion.All(char.IsAsciiLetterOrDigit)))
        {
            // It is sent back in the Signature header (keyVersion=…), where a comma, a space or a new line cannot go.
            return ControlProblems.BadRequest($"keyVersion must be 1 to 16 ASCII letters or digits, as the Signature header carries it (got '{keyVersion}')");
        }

        if (!RsaKeys.TryNormalizePublicKey(body.PublicKey, out var publicKey, out var error))
        {
            return ControlProblems.BadRequest(error);
        }

        foreach (var (name, url) in new[] { ("subscriptionNotificationUrl", body.SubscriptionNotificationUrl), ("paymentNotificationUrl", body.PaymentNotificationUrl) })
        {
            if (url is not null && !JsonFields.IsHttpUrl(url, out _))
            {
                return ControlProblems.BadRequest($"{name} must be an absolute http or https URL, such as http://localhost:8080/antom/notify (got '{url}')");
            }
        }

        if (body.Clock is { Rate: { } rate } clock)
        {
            if (clock.FrozenAt is not null)
            {
                return ControlProblems.BadRequest("clock takes frozenAt (it stands still) or rate (it ticks that many times as fast as the wall), not both");
            }

            if (!Scheduling.ClockState.IsRate(rate))
            {
                return ControlProblems.BadRequest(ClockApi.RateRule("clock.rate", rate));
            }
        }

        var terms = SettlementTerms.Default;
        if (body.Settlement is { } settlement && !settlement.TryGetTerms(out terms, out var settlementError))
        {
            return ControlProblems.BadRequest(settlementError);
        }

        // Between runs: a run of this client id still under way (a deleted merchant's, whose caller gave up) would move
        // the clock this sets when it ends.
        var (merchant, created) = await machine.BetweenRunsAsync(clientId, async ct =>
        {
            // What it replaces is read in the same write: a merchant registered meanwhile (an instance loading the
            // default one at start) keeps its CreatedAt.
            var (replaced, merchant) = await merchants.ChangeAsync(
                clientId,
                existing => new Merchant(
                    clientId,
                    body.KeyVersion ?? "1",
                    publicKey,
                    body.SubscriptionNotificationUrl,
                    body.PaymentNotificationUrl,
                    existing?.CreatedAt ?? time.GetUtcNow(),
                    existing?.Fixture,
                    body.Settlement is null ? null : terms),
                ct);
            if (body.Clock?.FrozenAt is { } frozenAt)
            {
                await clocks.FreezeAsync(clientId, frozenAt, ct);
            }
            else if (body.Clock?.Rate is { } pace)
            {
                await clocks.ResumeAsync(clientId, pace, ct);
            }

            return (merchant!, replaced is null);
        }, cancellationToken);

        // A merchant made by this call was not used before it (a call naming its client id before was of no merchant).
        var lastUsed = created ? null : await activity.LastUseAsync(clientId, MerchantUseFilter.HeldBefore(http), cancellationToken);
        return TypedResults.Ok(MerchantView.From(merchant, lastUsed));
    }

    public static async Task<Results<Ok<MerchantView>, ProblemHttpResult>> GetMerchantAsync(
        HttpContext http, string clientId, MerchantRegistry merchants, MerchantActivity activity, CancellationToken cancellationToken) =>
        await merchants.FindAsync(clientId, cancellationToken) is var (merchant, _)
            ? TypedResults.Ok(MerchantView.From(merchant, await activity.LastUseAsync(clientId, MerchantUseFilter.HeldBefore(http), cancellationToken)))
            : ControlProblems.UnknownMerchant(clientId);

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteMerchantAsync(string clientId, MerchantRemoval removal, CancellationToken cancellationToken) =>
        await removal.DeleteAsync(clientId, cancellationToken) ? TypedResults.NoContent() : ControlProblems.UnknownMerchant(clientId);

    public static async Task<Results<Ok<IAsyncEnumerable<SubscriptionView>>, ProblemHttpResult>> ListSubscriptionsAsync(
        string clientId, string? status, string? subscriptionRequestId, SubscriptionStore store, SubscriptionViews views, CancellationToken cancellationToken)
    {
        var wanted = SubscriptionStatusNames.FromWire(status);
        if (status is { Length: > 0 } && wanted is null)
        {
            return ControlProblems.BadRequest("status must be one of AWAITING_AUTHORIZATION, ACTIVE, CANCELLED, TERMINATED");
        }

        var ids = await store.ListIdsAsync(clientId, wanted, subscriptionRequestId, cancellationToken);
        return TypedResults.Ok(await StreamedList.StartAsync(views.PagesAsync(clientId, ids, wanted, cancellationToken), cancellationToken));
    }

    public static async Task<Results<Ok<SubscriptionView>, ProblemHttpResult>> GetSubscriptionAsync(
        string clientId, string subscriptionId, SubscriptionStore store, SubscriptionViews views, CancellationToken cancellationToken) =>
        await store.FindAsync(clientId, subscriptionId, cancellationToken) is { } subscription
            ? TypedResults.Ok(await views.BuildAsync(subscription, cancellationToken))
            : ControlProblems.NotFound($"merchant {clientId} has no subscription {subscriptionId}");

    public static Task<Results<Ok<SubscriptionView>, ProblemHttpResult>> ApproveAsync(
        HttpContext http, string clientId, string subscriptionRequestId, BuyerDecisions buyer, SubscriptionViews views, CancellationToken cancellationToken) =>
        DecideAsync(clientId, RequestIdOf(http, subscriptionRequestId), approve: true, buyer, views, cancellationToken);

    public static Task<Results<Ok<SubscriptionView>, ProblemHttpResult>> DeclineAsync(
        HttpContext http, string clientId, string subscriptionRequestId, BuyerDecisions buyer, SubscriptionViews views, CancellationToken cancellationToken) =>
        DecideAsync(clientId, RequestIdOf(http, subscriptionRequestId), approve: false, buyer, views, cancellationToken);

    /// <summary>
    /// The request id as the caller escaped it in the path: the server leaves <c>%2F</c> (a '/') encoded but decodes
    /// <c>%25</c>, so the routed value cannot tell a '/' from the text "%2F"; the raw request target can.
    /// </summary>
    private static string RequestIdOf(HttpContext http, string routed)
    {
        var target = http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "";
        var segments = target.Split('?')[0].Split('/');
        var at = Array.IndexOf(segments, "subscription-requests");
        return at >= 0 && at + 1 < segments.Length ? Uri.UnescapeDataString(segments[at + 1]) : routed;
    }

    private static async Task<Results<Ok<SubscriptionView>, ProblemHttpResult>> DecideAsync(
        string clientId, string subscriptionRequestId, bool approve, BuyerDecisions buyer, SubscriptionViews views, CancellationToken cancellationToken)
    {
        var (subscription, outcome) = await buyer.DecideAsync(clientId, subscriptionRequestId, approve, cancellationToken);
        if (subscription is null)
        {
            return ControlProblems.NotFound(outcome.Reason!);
        }

        return outcome.Succeeded ? TypedResults.Ok(await views.BuildAsync(subscription, cancellationToken)) : ControlProblems.Conflict(outcome.Reason!);
    }

    /// <summary>Every authenticated call the merchant made to the emulated API, oldest first (the conformance suite reads it).</summary>
    public static async Task<Ok<IReadOnlyList<ApiCallRecord>>> ListApiCallsAsync(string clientId, ApiCallJournal journal, CancellationToken cancellationToken) =>
        TypedResults.Ok(await journal.ListAsync(clientId, cancellationToken));
}
