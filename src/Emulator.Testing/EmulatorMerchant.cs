using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Emulator.Testing;

/// <summary>
/// One merchant of the emulator, with its key pair: call the emulated API signed as this merchant, act as the buyer,
/// move its clock, inject faults, and await its notifications.
/// </summary>
public sealed class EmulatorMerchant : IAsyncDisposable
{
    private readonly AntomEmulator emulator;
    private readonly bool deleteWhenDisposed;

    internal EmulatorMerchant(AntomEmulator emulator, string clientId, RSA privateKey, NotificationInbox? inbox, bool deleteWhenDisposed = false)
    {
        this.emulator = emulator;
        ClientId = clientId;
        PrivateKey = privateKey;
        Inbox = inbox;
        this.deleteWhenDisposed = deleteWhenDisposed;
    }

    public string ClientId { get; }

    public RSA PrivateKey { get; }

    /// <summary>The private key as the Java and .NET SDKs load it (base64 PKCS#8 DER).</summary>
    public string PrivateKeyPkcs8Base64 => Convert.ToBase64String(PrivateKey.ExportPkcs8PrivateKey());

    /// <summary>The in-process notification inbox, when the merchant has no endpoint of its own.</summary>
    public NotificationInbox? Inbox { get; }

    // Escaped: a client id may hold '#', '?' or '%' (printable ASCII but space and '/'), which a bare path would cut
    // short and send to another merchant.
    private string Control => $"/_emulator/v1/merchants/{Uri.EscapeDataString(ClientId)}";

    /// <summary>Where an API lives under the gateway prefix: <c>/v1/payments/…</c> for the refunds, <c>/v1/subscriptions/…</c> for the rest.</summary>
    public static string ApiPath(string api) => api is "refund" or "inquiryRefund" ? $"/v1/payments/{api}" : $"/v1/subscriptions/{api}";

    /// <summary>
    /// Calls <c>subscriptions/{api}</c> or <c>payments/{api}</c> (sandbox path when the client id starts with SANDBOX_), signed as this merchant.
    /// A call that gets no Antom answer (a <c>timeout</c> or <c>reset</c> transport fault, an HTTP 500, or no answer
    /// within <paramref name="timeout"/>) comes back with <see cref="AntomReply.NoAnswer"/> saying why, instead of
    /// throwing: what a merchant's client must treat as an unknown outcome.
    /// </summary>
    /// <param name="timeout">How long to wait for the answer, as a merchant's HTTP client would (the Java SDK waits 15 s); a <c>timeout</c> fault holds a call for <c>Emulator:TimeoutFaultHold</c> (1 min).</param>
    public async Task<AntomReply> CallAsync(string api, object body, string? forceResultCode = null, TimeSpan? timeout = null)
    {
        var path = (ClientId.StartsWith("SANDBOX_", StringComparison.Ordinal) ? "/ams/sandbox/api" : "/ams/api") + ApiPath(api);
        var bytes = body is JsonNode node ? Encoding.UTF8.GetBytes(node.ToJsonString()) : JsonSerializerBytes(body);
        var time = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=UTF-8");
        request.Headers.TryAddWithoutValidation("Client-Id", ClientId);
        request.Headers.TryAddWithoutValidation("Request-Time", time);
        request.Headers.TryAddWithoutValidation("Signature", AntomSigner.SignatureHeader(PrivateKey, path, ClientId, time, bytes));
        if (forceResultCode is not null)
        {
            request.Headers.TryAddWithoutValidation("Emulator-Result-Code", forceResultCode);
        }

        using var limit = new CancellationTokenSource(timeout ?? Timeout.InfiniteTimeSpan);
        try
        {
            using var response = await emulator.Http.SendAsync(request, limit.Token);
            var raw = await response.Content.ReadAsByteArrayAsync(limit.Token);
            var headers = response.Headers.Concat(response.Content.Headers).ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.Ordinal);
            var valid = AntomSigner.Verify(await emulator.AntomPublicKeyAsync(), path, headers.GetValueOrDefault("client-id", ""), headers.GetValueOrDefault("response-time", ""), raw, headers.GetValueOrDefault("signature"));
            return AntomReply.Read(response.StatusCode, raw, headers, valid);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            return AntomReply.Without($"no answer within {timeout!.Value.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException ex)
        {
            return AntomReply.Without($"the connection failed: {ex.Message}");
        }
    }

    /// <summary>What the buyer does on the authorization page: approve. Returns the subscription (with its id).</summary>
    public Task<JsonObject> ApproveAsync(string subscriptionRequestId) => PostAsync($"{Control}/subscription-requests/{Uri.EscapeDataString(subscriptionRequestId)}/approve", null);

    /// <summary>
    /// A create the buyer then approves, as most tests begin: returns the new <c>subscriptionId</c>. A create that is not
    /// answered <c>SUCCESS</c> throws with its result (a body the field rules refuse says which field and rule).
    /// </summary>
    public async Task<string> SubscribeAsync(object createBody)
    {
        var node = createBody as JsonNode ?? JsonNode.Parse(JsonSerializerBytes(createBody));
        var requestId = ControlJson.Text(node?["subscriptionRequestId"])
            ?? throw new ArgumentException("the create body has no subscriptionRequestId", nameof(createBody));
        var create = await CallAsync("create", node!);
        if (create.NoAnswer is { } why)
        {
            throw new InvalidOperationException($"create {requestId} got no answer: {why}");
        }

        if (create.ResultCode != "SUCCESS")
        {
            throw new InvalidOperationException($"create {requestId} was answered {create.ResultCode} ({create.ResultStatus}): {create.ResultMessage}");
        }

        return (string)(await ApproveAsync(requestId))["subscriptionId"]!;
    }

    public Task<JsonObject> DeclineAsync(string subscriptionRequestId) => PostAsync($"{Control}/subscription-requests/{Uri.EscapeDataString(subscriptionRequestId)}/decline", null);

    /// <summary>Moves this merchant's clock by an ISO-8601 duration (<c>P1M</c>); returns what happened on the way.</summary>
    public async Task<JsonArray> AdvanceAsync(string by) => (await PostAsync($"{Control}/clock/advance", new { by }))["events"]!.AsArray();

    public async Task<JsonArray> AdvanceToAsync(DateTimeOffset to) => (await PostAsync($"{Control}/clock/advance", new { to }))["events"]!.AsArray();

    /// <summary>Adds a fault rule (CONTROL-API.md "Faults"), e.g. <c>new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH" }</c>.</summary>
    public Task<JsonObject> AddFaultAsync(object fault) => PostAsync($"{Control}/faults", fault);

    /// <summary>Deletes every fault rule of this merchant.</summary>
    public Task DeleteFaultsAsync() => SendAsync(HttpMethod.Delete, $"{Control}/faults", null);

    /// <summary>Applies a scenario of <c>fixtures/scenarios/</c> (e.g. <c>flaky-webhook</c>); returns the fault rules it added.</summary>
    public async Task<JsonArray> ApplyScenarioAsync(string name) => (await SendAsync(HttpMethod.Post, $"{Control}/scenarios/{Uri.EscapeDataString(name)}", null))!.AsArray();

    /// <summary>Stops this merchant's clock, at <paramref name="at"/> or at its current time.</summary>
    public Task<JsonObject> FreezeClockAsync(DateTimeOffset? at = null) => PostAsync($"{Control}/clock/freeze", new { at });

    /// <summary>Lets this merchant's clock tick with wall time again.</summary>
    public Task<JsonObject> ResumeClockAsync() => PostAsync($"{Control}/clock/resume", null);

    /// <summary>
    /// Lets this merchant's clock tick <paramref name="rate"/> times as fast as wall time (14400: a 30-day month in 3
    /// minutes), for tests that watch the background loop run renewals rather than advance the clock.
    /// </summary>
    public Task<JsonObject> ResumeClockAsync(long rate) => PostAsync($"{Control}/clock/resume", new { rate });

    /// <summary>
    /// Settles a refund a fault left <c>PROCESSING</c> (<c>"effect":"processing"</c>): <paramref name="status"/>
    /// <c>SUCCESS</c> or <c>FAIL</c>, now, on the merchant's clock. The <c>REFUND_IN_PROCESS</c> answer carries no
    /// <paramref name="refundId"/>: take it from <c>inquiryRefund</c> by the <c>refundRequestId</c>, or from the
    /// subscription's <c>refunds</c>.
    /// </summary>
    public Task<JsonObject> SettleRefundAsync(string refundId, string status) => PostAsync($"{Control}/refunds/{Uri.EscapeDataString(refundId)}/settle", new { status });

    /// <summary>
    /// Settles a period's payment a deduction fault left under way (<c>PAYMENT_IN_PROCESS</c>,
    /// <c>"effect":"processing"</c>): <paramref name="status"/> <c>SUCCESS</c>, or <c>FAIL</c> with a deduction
    /// <paramref name="resultCode"/> (default <c>PROCESS_FAIL</c>), now, on the merchant's clock. Returns the phase once its
    /// notifyPayment has had a delivery attempt. The <paramref name="paymentId"/> is in the subscription's <c>phases</c>
    /// (and in the advance's <c>paymentProcessing</c> event).
    /// </summary>
    public Task<JsonObject> SettlePaymentAsync(string paymentId, string status, string? resultCode = null) =>
        PostAsync($"{Control}/payments/{Uri.EscapeDataString(paymentId)}/settle", new { status, resultCode });

    /// <summary>One more attempt of a notification now (same body, fresh signature); returns the notification after it.</summary>
    public Task<JsonObject> RedeliverAsync(string notificationId) => PostAsync($"{Control}/notifications/{Uri.EscapeDataString(notificationId)}/redeliver", null);

    /// <summary>
    /// Sends one test notification now, as Antom Dashboard's notification Test tab does: signed as a real one, one attempt,
    /// not in the ledger, never retried, untouched by fault rules. <paramref name="request"/> is the body of
    /// <c>POST …/notifications/test</c>: <c>kind</c> (<c>notifySubscription</c> or <c>notifyPayment</c>); <c>url</c>
    /// (default: the merchant's registered URL of the kind, the inbox's when the kit made it);
    /// <c>subscriptionNotificationType</c> (<c>CREATE</c> by default, <c>CHANGE</c>, <c>UPDATE</c>, <c>CANCEL</c>,
    /// <c>TERMINATE</c>) and <c>declined</c> (the CREATE of a declined request) for notifySubscription; <c>resultCode</c>
    /// (<c>SUCCESS</c> by default, or an F deduction code such as <c>USER_BALANCE_NOT_ENOUGH</c>) for notifyPayment; or
    /// <c>body</c>, a JSON text sent byte for byte instead of the emulator's sample; and <c>forgery</c>, to see the endpoint
    /// refuse a notification Antom did not sign: <c>wrongKey</c> (signed with another key), <c>tamperedBody</c> (the body
    /// changed after signing) or <c>noSignature</c>. For example
    /// <c>new { kind = "notifyPayment", resultCode = "USER_BALANCE_NOT_ENOUGH" }</c>. Returns what happened: <c>url</c>,
    /// <c>headers</c>, <c>body</c> (as sent), <c>signedContent</c> (the text your verifier must rebuild), <c>httpStatus</c>,
    /// <c>responseBody</c>, <c>outcome</c> (<c>acknowledged</c>, <c>rejected</c>, <c>unreachable</c>, <c>timeout</c>),
    /// <c>error</c>, <c>forgery</c>, <c>expected</c> (<c>acknowledged</c>, or <c>notAcknowledged</c> when forged) and
    /// <c>passed</c>. An endpoint that cannot be reached is an outcome, not an exception; a refused request throws.
    /// </summary>
    public Task<JsonObject> SendTestNotificationAsync(object request) => PostAsync($"{Control}/notifications/test", request);

    public async Task<JsonObject> SubscriptionAsync(string subscriptionId) => (await SendAsync(HttpMethod.Get, $"{Control}/subscriptions/{Uri.EscapeDataString(subscriptionId)}", null))!.AsObject();

    /// <summary>The emulator's ledger of this merchant's notifications (bodies, statuses, attempts).</summary>
    public async Task<JsonArray> NotificationLedgerAsync() => (await SendAsync(HttpMethod.Get, $"{Control}/notifications", null))!.AsArray();

    /// <summary>
    /// The merchant's transaction details report of <paramref name="day"/> (a UTC day; by default today on its clock): the
    /// CSV text a reconciliation job reads, laid out as Antom's report files are (header row, a row per payment and
    /// refund of the day, <c>&lt;END&gt;</c>).
    /// </summary>
    public Task<string> TransactionDetailsAsync(DateOnly? day = null) =>
        SendForTextAsync(HttpMethod.Get, $"{Control}/reports/transactions" + ReportQuery(day, null), null);

    /// <summary>
    /// The settlement details of the batch that settles on <paramref name="settlementDate"/> (by default today on the
    /// merchant's clock) in <paramref name="currency"/>: the transactions of the day the merchant's settlement cycle
    /// before, with settlement amounts and fees (docs/emulation.md "Reconciliation reports"). <paramref name="currency"/> may be left
    /// out unless that day settles in more than one currency.
    /// </summary>
    public Task<string> SettlementDetailsAsync(DateOnly? settlementDate = null, string? currency = null) =>
        SendForTextAsync(HttpMethod.Get, $"{Control}/reports/settlements" + ReportQuery(settlementDate, currency), null);

    /// <summary>The settlement summary of the batch <see cref="SettlementDetailsAsync"/> picks: a TOTAL row, then one per transaction type.</summary>
    public Task<string> SettlementSummaryAsync(DateOnly? settlementDate = null, string? currency = null) =>
        SendForTextAsync(HttpMethod.Get, $"{Control}/reports/settlement-summary" + ReportQuery(settlementDate, currency), null);

    /// <summary>A report's query string: its day and, for a settlement batch, its currency (each left out when null).</summary>
    private static string ReportQuery(DateOnly? day, string? currency)
    {
        var query = new List<string>();
        if (day is { } d)
        {
            query.Add("date=" + d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        }

        if (currency is not null)
        {
            query.Add("currency=" + Uri.EscapeDataString(currency));
        }

        return query.Count == 0 ? "" : "?" + string.Join("&", query);
    }

    /// <summary>Every call this merchant made to the emulated API, oldest first, with its request id and result.</summary>
    public async Task<JsonArray> ApiCallsAsync() => (await SendAsync(HttpMethod.Get, $"{Control}/api-calls", null))!.AsArray();

    /// <summary>
    /// Awaits a notification matching <paramref name="predicate"/> that reached the merchant: from the in-process inbox,
    /// or, when notifications go to the merchant's own server, from the emulator's ledger (a notification that got an
    /// HTTP answer there, acknowledged or not; its <see cref="ReceivedNotification.Path"/> is the URL's path, and
    /// <see cref="ReceivedNotification.SignatureValid"/> is true because the emulator signed it: this copy is not
    /// verified again). On timeout, the exception lists what did arrive.
    /// </summary>
    public async Task<ReceivedNotification> WaitForNotificationAsync(Func<ReceivedNotification, bool> predicate, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        if (Inbox is not null)
        {
            return await Inbox.WaitForAsync(predicate, limit);
        }

        using var cancel = new CancellationTokenSource(limit);
        var seen = new List<string>();
        while (true)
        {
            seen.Clear();
            foreach (var entry in await NotificationLedgerAsync())
            {
                var body = (string)entry!["body"]!;
                var candidate = new ReceivedNotification(
                    new Uri((string)entry["url"]!).PathAndQuery,
                    new Dictionary<string, string> { ["emulator-notification-id"] = (string)entry["notificationId"]! },
                    Encoding.UTF8.GetBytes(body),
                    SignatureValid: true);
                var answered = entry["attempts"]!.AsArray().Any(a => a?["httpStatus"] is not null);
                seen.Add($"{candidate.Summary} {entry["status"]}{(answered ? "" : " (no answer from the endpoint yet)")}");
                if (answered && predicate(candidate))
                {
                    return candidate;
                }
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no notification matched within {limit.TotalSeconds:0.#} s; the ledger holds {seen.Count}: {(seen.Count == 0 ? "none" : string.Join(", ", seen))}");
            }
        }
    }

    /// <summary>
    /// Awaits a notifySubscription of <paramref name="type"/> (<c>CREATE</c>, <c>CHANGE</c>, <c>UPDATE</c>,
    /// <c>CANCEL</c>, <c>TERMINATE</c>), of <paramref name="subscriptionId"/> when given.
    /// </summary>
    public Task<ReceivedNotification> WaitForSubscriptionNotificationAsync(string type, string? subscriptionId = null, TimeSpan? timeout = null) =>
        WaitForNotificationAsync(n => !n.IsPayment && n.SubscriptionNotificationType == type && (subscriptionId is null || n.SubscriptionId == subscriptionId), timeout);

    /// <summary>Awaits the notifyPayment of period <paramref name="phaseNo"/> (1 for the first), of <paramref name="subscriptionId"/> when given.</summary>
    public Task<ReceivedNotification> WaitForPaymentAsync(int phaseNo, string? subscriptionId = null, TimeSpan? timeout = null) =>
        WaitForNotificationAsync(n => n.IsPayment && n.PhaseNo == phaseNo && (subscriptionId is null || n.SubscriptionId == subscriptionId), timeout);

    /// <summary>
    /// Stops the inbox; on a running emulator (<see cref="AntomEmulator.Connect"/>), also deletes the merchant when the kit
    /// made up its client id, so that test runs do not pile merchants up there. One your test named is kept.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Inbox is not null)
        {
            await Inbox.DisposeAsync();
        }

        PrivateKey.Dispose();
        if (deleteWhenDisposed)
        {
            try
            {
                using var deleted = await emulator.Http.DeleteAsync(Control);
            }
            catch (Exception e) when (e is HttpRequestException or ObjectDisposedException or TaskCanceledException)
            {
                // The emulator, or the kit's connection to it, is gone already (disposed first, or not answering): nothing
                // left to tidy that a test should fail for.
            }
        }
    }

    private async Task<JsonObject> PostAsync(string path, object? body) => (await SendAsync(HttpMethod.Post, path, body))!.AsObject();

    /// <summary>A control API call; a refusal throws with the emulator's problem details (what to fix), not a bare status.</summary>
    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, object? body)
    {
        var text = await SendForTextAsync(method, path, body);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    private async Task<string> SendForTextAsync(HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await emulator.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {text}");
        }

        return text;
    }

    private static byte[] JsonSerializerBytes(object body) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(body, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));
}
