using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Emulator.Hosting;
using Emulator.Merchants;
using Microsoft.Extensions.Options;

namespace Emulator.Protocol;

/// <summary>
/// The front door of the emulated Antom API: reads the request headers and raw body, authenticates the merchant by
/// signature, parses the JSON, runs the API handler and answers in Antom's signed envelope. Every outcome, including an
/// unexpected exception, leaves here as HTTP 200 with a signed <c>result</c> (SPEC §1.4, §9).
/// </summary>
public sealed partial class AntomGateway(
    MerchantRegistry merchants,
    Scheduling.MerchantClocks clocks,
    Faults.FaultStore faults,
    Faults.ResultCodeCatalogue catalogue,
    Persistence.ApiCallJournal journal,
    Persistence.SubscriptionStore subscriptions,
    Persistence.Database database,
    AntomSigningKey signingKey,
    MerchantActivity activity,
    TimeProvider time,
    IOptions<EmulatorOptions> options,
    ILogger<AntomGateway> logger)
{
    public delegate Task<AntomResponse> Handler(GatewayRequest request, CancellationToken cancellationToken);

    public async Task<IResult> HandleAsync(HttpContext http, string api, Handler handler, CancellationToken cancellationToken)
    {
        var path = http.Request.Path.Value + http.Request.QueryString.Value;
        var clientId = ClientIdOf(http);
        AntomResponse response;
        string? transport = null;
        try
        {
            (response, transport) = await ProcessAsync(http, api, path, clientId, handler, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogError(ex, "Unexpected failure in {Api} for client {ClientId}", api, clientId);
            response = new AntomResponse(AntomResult.UnknownException("the emulator failed unexpectedly; retry with the same request id (details in the emulator log)"));
        }

        logger.LogInformation("API {Api} client {ClientId} request {RequestId} → {ResultCode}", api, clientId, http.Items[RequestIdItem], response.Result.ResultCode);
        EmulatorMetrics.ApiCalls.WithLabels(api, response.Result.ResultCode).Inc();
        if (http.Items[MerchantItem] is Merchant known)
        {
            activity.Used(known.ClientId);
            // A call broken below the business layer is journalled as what the client saw: no answer, or one it cannot
            // trust (signed with another key, or unsigned): its outcome is unknown to it (status U).
            var seen = transport switch
            {
                "timeout" or "reset" or "http500" => new AntomResult(TransportCode(transport), "U", $"transport fault {transport}: the client got no Antom answer"),
                "badSignature" or "noSignature" => new AntomResult(
                    TransportCode(transport), "U", $"transport fault {transport}: the answer ({response.Result.ResultCode}) was {(transport == "badSignature" ? "signed with another key" : "not signed")}, so the client cannot trust it"),
                _ => response.Result,
            };
            try
            {
                await journal.RecordAsync(
                    new Persistence.ApiCallRecord(known.ClientId, await clocks.NowAsync(known.ClientId, CancellationToken.None), api, http.Items[RequestIdItem] as string,
                        http.Items[SubscriptionIdItem] as string ?? (http.Items[RequestItem] as GatewayRequest)?.InTimeline.SubscriptionId,
                        seen.ResultCode, seen.ResultStatus, seen.ResultMessage, http.Items[BodyHashItem] as string),
                    CancellationToken.None);
            }
            catch (Exception ex)
            {
                // The journal is diagnostic: a database that fails now (a shared one gone away) costs its line, not the
                // caller's answer, which is the signed outcome of what was done (or UNKNOWN_EXCEPTION above).
                logger.LogWarning(ex, "Could not journal {Api} {RequestId}: the answer goes out without its journal line", api, http.Items[RequestIdItem]);
            }

            if (http.Items[RequestItem] is GatewayRequest asked && !asked.InTimeline.Recorded && response is not ReplayedResponse
                && api is Lifecycle.Apis.Create or Lifecycle.Apis.Change or Lifecycle.Apis.Update or Lifecycle.Apis.Cancel)
            {
                await RecordRefusalAsync(
                    asked, api, http.Items[RequestIdItem] as string, http.Items[SubscriptionIdItem] as string, http.Items[SubscriptionRequestIdItem] as string,
                    seen, http.Items[FaultItem] is Faults.FaultRule);
            }
        }
        var body = Serialize(response);
        return await TransportAsync(http, transport, path, clientId ?? "", options.Value.NumbersAsStrings ? WireNumbers.AsStrings(body) : body, cancellationToken);
    }

    /// <summary>
    /// Puts a create, change, update or cancel refused before it reached its subscription (by a fault, a field rule, another body
    /// under a used request id) in that subscription's timeline, when the call names one of the merchant's. Diagnostic:
    /// a failure here is logged and the caller's answer stays as it was.
    /// </summary>
    private async Task RecordRefusalAsync(
        GatewayRequest request, string api, string? requestId, string? subscriptionId, string? subscriptionRequestId, AntomResult seen, bool byFault)
    {
        try
        {
            // The request's body is gone with its document by now: the ids were kept.
            if (await SubscriptionOfAsync(request.Merchant.ClientId, subscriptionId, subscriptionRequestId, CancellationToken.None) is { } subscription)
            {
                var cause = byFault ? " by a fault" : "";
                await subscriptions.AppendTimelineAsync(subscription.SubscriptionId, new Domain.TimelineEntry(
                    request.Now, "apiCall", $"{api} {requestId} → {seen.ResultCode}{cause}, refused before it reached the subscription: {seen.ResultMessage}"), CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not put the refused {Api} {RequestId} in its subscription's timeline", api, requestId);
        }
    }

    /// <summary>
    /// Transport faults (CONTROL-API.md "Faults"): below the business layer, as a network or a broken gateway would fail.
    /// </summary>
    private async Task<IResult> TransportAsync(HttpContext http, string? transport, string path, string clientId, byte[] body, CancellationToken cancellationToken)
    {
        switch (transport)
        {
            case "badSignature":
                return Answer(path, clientId, body, signingKey.SignWithWrongKey);
            case "noSignature":
                return new SignedAntomResult(body, clientId, ResponseTime(), signature: null);
            case "http500":
                return Results.Text("Internal Server Error", "text/plain", statusCode: StatusCodes.Status500InternalServerError);
            case "reset":
                http.Abort();
                return Results.Empty;
            case "timeout":
                try
                {
                    await Task.Delay(options.Value.TimeoutFaultHold, time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // The client gave up first, as intended.
                }

                http.Abort();
                return Results.Empty;
            default:
                return Answer(path, clientId, body);
        }
    }

    /// <summary>An answer for a path with no API behind it (SPEC §3.13 <c>NO_INTERFACE_DEF</c>).</summary>
    public IResult NoInterface(HttpContext http)
    {
        var path = http.Request.Path.Value + http.Request.QueryString.Value;
        var result = HttpMethods.IsPost(http.Request.Method)
            ? AntomResult.NoInterfaceDefinition(path)
            : new AntomResult("METHOD_NOT_SUPPORTED", "F", $"{http.Request.Method} is not supported; Antom APIs take POST");
        return Answer(path, ClientIdOf(http) ?? "", Serialize(new AntomResponse(result)));
    }

    /// <summary>
    /// The request's <c>Client-Id</c>, or null when it is not printable ASCII (as Antom's client ids are): such a value
    /// cannot go back in the answer's <c>client-id</c> header, which the web server refused to write (HTTP 500).
    /// </summary>
    private static string? ClientIdOf(HttpContext http) =>
        http.Request.Headers["Client-Id"].ToString() is var header && header.All(c => c is >= ' ' and <= '~') ? header : null;

    /// <summary>Signs an already serialized body for the request path and answers with it (also used to replay).</summary>
    public IResult Answer(string path, string clientId, byte[] body, Func<byte[], string>? sign = null)
    {
        var responseTime = ResponseTime();
        var signature = (sign ?? signingKey.Sign)(AntomSignature.SignedContent(path, clientId, responseTime, body));
        return new SignedAntomResult(body, clientId, responseTime, AntomSignature.HeaderValue(signature, signingKey.KeyVersion));
    }

    private string ResponseTime() => time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);

    public static byte[] Serialize(AntomResponse response) => response is ReplayedResponse replayed
        ? replayed.Body
        : JsonSerializer.SerializeToUtf8Bytes(response, response.GetType(), WireJson.Options);

    private async Task<(AntomResponse Response, string? Transport)> ProcessAsync(HttpContext http, string api, string path, string? clientId, Handler handler, CancellationToken cancellationToken)
    {
        var headers = http.Request.Headers;
        if (clientId is null)
        {
            return Fail(AntomResult.ParamIllegal("header Client-Id: must be printable ASCII, as Antom's client ids are"));
        }

        if (clientId.Length == 0)
        {
            return Fail(AntomResult.ParamIllegal("header Client-Id: is required"));
        }

        var requestTime = headers["Request-Time"].ToString();
        if (requestTime.Length == 0)
        {
            return Fail(AntomResult.ParamIllegal("header Request-Time: is required (milliseconds since the epoch or ISO-8601)"));
        }

        if (!RequestTimeFormat().IsMatch(requestTime))
        {
            return Fail(AntomResult.ParamIllegal($"header Request-Time: must be a time since the epoch in 10 to 19 digits (seconds; milliseconds, as the SDKs send; or finer, up to nanoseconds, as older Go SDKs send) or an ISO-8601 date-time (got '{requestTime}')"));
        }

        if (await merchants.FindAsync(clientId, cancellationToken) is not var (merchant, publicKey))
        {
            return Fail(AntomResult.UnknownClient(clientId));
        }

        http.Items[MerchantItem] = merchant;
        var body = await ReadBodyAsync(http.Request, options.Value.MaxRequestBodyBytes, cancellationToken);
        if (body is null)
        {
            return Fail(AntomResult.ParamIllegal($"body: must not be larger than {options.Value.MaxRequestBodyBytes} bytes"));
        }

        var content = AntomSignature.SignedContent(path, clientId, requestTime, body);
        var signatureHeader = headers["Signature"].ToString();
        if (Authenticate(signatureHeader, merchant, publicKey, content) is { } refused)
        {
            return Fail(refused);
        }

        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            return Fail(AntomResult.ParamIllegal("body: is not valid UTF-8 (JSON text must be UTF-8; was it sent in another encoding?)"));
        }

        JsonDocument document;
        try
        {
            // A UTF-8 byte order mark before the JSON is skipped, as Java's JSON parsers (Jackson, fastjson) skip it and
            // RFC 8259 §8.1 allows: .NET Framework's StreamWriter and Windows PowerShell write one. It stays in what is signed.
            document = JsonDocument.Parse(body.AsMemory(body.AsSpan().StartsWith(Utf8ByteOrderMark) ? Utf8ByteOrderMark.Length : 0));
        }
        catch (JsonException ex)
        {
            return Fail(AntomResult.ParamIllegal($"body: is not valid JSON ({ex.Message})"));
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Fail(AntomResult.ParamIllegal("body: must be a JSON object"));
            }

            // Only an escape can make text that is not text (half a surrogate pair such as \ud800, or NUL, \u0000, which
            // no database column takes): look further only then.
            if (HasSuspectEscape(body) && UnreadableText(document.RootElement, "") is { } unreadable)
            {
                return Fail(AntomResult.ParamIllegal($"{unreadable}: contains a \\u escape that is not text: NUL (\\u0000) or half a UTF-16 surrogate pair (\\ud800-\\udfff not in a pair)"));
            }

            http.Items[RequestIdItem] = RequestIdOf(api, document.RootElement);
            (http.Items[SubscriptionIdItem], http.Items[SubscriptionRequestIdItem]) = NamedSubscription(api, document.RootElement);
            var now = await clocks.NowAsync(merchant.ClientId, cancellationToken);
            var request = new GatewayRequest(merchant, document.RootElement, BodyHashes.Canonical(document.RootElement), options.Value.BaseUrlFor(http.Request), now);
            http.Items[BodyHashItem] = request.CanonicalBodyHash;
            http.Items[RequestItem] = request;
            try
            {
                return await ApplyFaultsAsync(http, api, request, handler, cancellationToken);
            }
            catch (MerchantGoneException)
            {
                // Deleted while the call was under way: its write was undone, and nothing of it is journalled, as for a
                // call that came after the delete.
                http.Items.Remove(MerchantItem);
                return Fail(AntomResult.UnknownClient(clientId));
            }
        }
    }

    /// <summary>
    /// Business faults answer like Antom (HTTP 200, signed, the catalogue's status and message); an <c>F</c> changes
    /// nothing but is kept for the request id; a <c>U</c> takes effect only when the rule says <c>applied</c> (SPEC §10,
    /// CONTROL-API.md "Faults").
    /// </summary>
    private async Task<(AntomResponse Response, string? Transport)> ApplyFaultsAsync(HttpContext http, string api, GatewayRequest request, Handler handler, CancellationToken cancellationToken)
    {
        var forced = http.Request.Headers[ForcedResultCodeHeader].ToString();
        if (forced.Length > 0)
        {
            if (catalogue.Find(api, forced) is null)
            {
                return Fail(AntomResult.ParamIllegal($"header {ForcedResultCodeHeader}: '{forced}' is not a result code of {api}; GET /_emulator/v1/result-codes lists them"));
            }

            var effect = http.Request.Headers[ForcedEffectHeader].ToString();
            if (effect == Faults.FaultTargets.Processing && !(api == Lifecycle.Apis.Refund && catalogue.Find(api, forced)!.ResultStatus == "U"))
            {
                return Fail(AntomResult.ParamIllegal($"header {ForcedEffectHeader}: processing applies to a U result code of refund (such as REFUND_IN_PROCESS), not to {forced} of {api}"));
            }

            return await ApplyRuleAsync(http, api, request, new Faults.FaultRule
            {
                FaultId = "header", Target = api, ResultCode = forced,
                Effect = effect is Faults.FaultTargets.Applied or Faults.FaultTargets.Processing ? effect : Faults.FaultTargets.NotApplied,
            }, handler, cancellationToken);
        }

        // The rule is chosen with a read and used up by the write that stores the call's outcome (the handler's, or one
        // of its own just before the answer when the call stores nothing): a call that fails or dies before that leaves
        // the rule for its retry. A rule another call took meanwhile is chosen again.
        for (var attempt = 1; ; attempt++)
        {
            // The same request again, once answered, gets its first answer (SPEC §3.12): a rule that would answer it
            // with a business F passes it over, left for a new request (the context is read only when rules are live).
            var answeredRepeat = false;
            var use = await faults.ChooseAsync(
                request.Merchant.ClientId,
                api,
                async ct =>
                {
                    answeredRepeat = await AnsweredRepeatAsync(api, request, http.Items[RequestIdItem] as string, ct);
                    return await FaultContextOfAsync(api, request, ct);
                },
                applies: r => !(answeredRepeat && r.ResultCode is { } rc && catalogue.Find(api, rc)?.ResultStatus == "F"),
                cancellationToken);
            try
            {
                var outcome = await ApplyRuleAsync(http, api, request with { Fault = use }, use?.Rule, handler, cancellationToken);
                await UseFaultAloneAsync(use, cancellationToken);
                return outcome;
            }
            catch (Faults.FaultRuleTakenException) when (attempt < MaxFaultChoices)
            {
                // Nothing of this attempt was stored: the call is handled again as if it had just arrived.
                request.InTimeline.Recorded = false;
                request.InTimeline.SubscriptionId = null;
            }
            finally
            {
                // A transport delay's use, held while the call waited: used by now, or left for the next call.
                use?.Release();
            }
        }
    }

    /// <summary>Uses the call's rule in a write of its own, unless a write of the call used it already.</summary>
    private async Task UseFaultAloneAsync(Faults.FaultUse? use, CancellationToken cancellationToken)
    {
        if (use is { Used: false })
        {
            await database.WriteAsync(work => use.UseAsync(work, cancellationToken), cancellationToken);
        }
    }

    /// <summary>Uses the rule of a call whose client gave up during a transport delay; a rule deleted meanwhile has nothing to use.</summary>
    private async Task UseGivenUpFaultAsync(Faults.FaultUse? use)
    {
        try
        {
            await UseFaultAloneAsync(use, CancellationToken.None);
        }
        catch (Faults.FaultRuleTakenException)
        {
            // Deleted (or its last use taken) while the call waited: nothing left to use.
        }
    }

    /// <summary>How many times a call chooses its fault rule at most when other calls keep taking the one it chose.</summary>
    private const int MaxFaultChoices = 100;

    /// <summary>Answers the call as <paramref name="rule"/> says (none: as the handler does).</summary>
    private async Task<(AntomResponse Response, string? Transport)> ApplyRuleAsync(
        HttpContext http, string api, GatewayRequest request, Faults.FaultRule? rule, Handler handler, CancellationToken cancellationToken)
    {
        http.Items[FaultItem] = rule;
        if (rule?.ResultCode is { } code && code != "SUCCESS")
        {
            var row = catalogue.Find(api, code)!;
            if (row.ResultStatus == "U" && (rule.Applied || rule.Processing))
            {
                await handler(request with
                {
                    AnsweredWith = code,
                    Processing = rule.Processing ? new RefundProcessing(rule.Delay is null ? null : rule.DelayedFrom(request.Now)) : null,
                }, cancellationToken);
            }

            var injected = new AntomResult(code, row.ResultStatus, row.Message);
            if (row.ResultStatus == "F" && Lifecycle.Apis.KeepsAnswers(api) && !NeverKept.Contains(code))
            {
                // A business F is final, as a real one: the handler keeps it under the request id once the body passes
                // its field rules (SPEC §3.12), and does nothing else. A request id answered before (a header forcing
                // the code on a repeat, a twin answered meanwhile) keeps its first answer, and the same body gets it.
                if (await handler(request with { Injected = injected }, cancellationToken) is ReplayedResponse first && first.Result.ResultCode != code)
                {
                    return (first, null);
                }
            }

            return Fail(injected);
        }

        switch (rule?.Transport)
        {
            case "delay":
                // Used when the delayed answer is given, by the call's write as any call's rule (or just before the answer
                // when the call stores nothing): a call the emulator did not finish (its write failed, its process died
                // during the wait) has not used it. Meanwhile the use is held for this call, so a retry the client sends
                // while this one waits (its own time limit passed) is not held by the same use.
                try
                {
                    await Task.Delay(rule.DelaySpan, time, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // The client gave up during the wait: it has had the fault (no answer in time), and no answer can be
                    // given now. The call takes no effect; the rule is used, so the retry is not held again.
                    await UseGivenUpFaultAsync(request.Fault);
                    throw;
                }

                return (await handler(request, cancellationToken), null);
            case "timeout" or "reset" or "http500":
                var response = rule.Applied
                    ? await handler(request with { AnsweredWith = TransportCode(rule.Transport!) }, cancellationToken)
                    : new AntomResponse(AntomResult.Success);
                return (response, rule.Transport);
            default:
                return (await handler(request, cancellationToken), rule?.Transport);
        }
    }

    /// <summary>
    /// Refusals an answer is never kept for, injected or not: the gateway's own (who is calling, how, with which
    /// signature), a body's field rules, a reused request id, and a failure of the system itself.
    /// </summary>
    private static readonly HashSet<string> NeverKept = new(StringComparer.Ordinal)
    {
        "PARAM_ILLEGAL", "REPEAT_REQ_INCONSISTENT", "INVALID_SIGNATURE", "KEY_NOT_FOUND", "UNKNOWN_CLIENT", "NO_INTERFACE_DEF",
        "METHOD_NOT_SUPPORTED", "ACCESS_DENIED", "CLIENT_FORBIDDEN_ACCESS_API", "INVALID_API", "INVALID_CLIENT_STATUS",
        "MERCHANT_NOT_REGISTERED", "OAUTH_FAILED", "INVALID_ACCESS_TOKEN", "SYSTEM_ERROR",
    };

    /// <summary>
    /// The subscription a call is about, by both of its ids whichever one the body names: a rule matching a
    /// subscription's <c>subscriptionRequestId</c> hits a change or cancel that names its <c>subscriptionId</c>.
    /// </summary>
    private async Task<Faults.FaultContext> FaultContextOfAsync(string api, GatewayRequest request, CancellationToken cancellationToken)
    {
        var (subscriptionId, requestId) = NamedSubscription(api, request.Body);
        var subscription = await SubscriptionOfAsync(request.Merchant.ClientId, subscriptionId, requestId, cancellationToken);
        return new Faults.FaultContext(subscription?.SubscriptionId ?? subscriptionId, subscription?.SubscriptionRequestId ?? requestId, null);
    }

    /// <summary>Whether this call repeats, with the same body, a request of an API that keeps answers and was answered before.</summary>
    private async Task<bool> AnsweredRepeatAsync(string api, GatewayRequest request, string? requestId, CancellationToken cancellationToken)
    {
        if (requestId is null || !Lifecycle.Apis.KeepsAnswers(api))
        {
            return false;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        return await Persistence.IdempotencyStore.FindAsync(connection, request.Merchant.ClientId, api, requestId, cancellationToken) is { } first
            && request.IsSameBody(first.RequestHash);
    }

    /// <summary>The merchant's subscription a body names, by its <c>subscriptionId</c> or else its <c>subscriptionRequestId</c>.</summary>
    private async Task<Domain.Subscription?> SubscriptionOfAsync(string clientId, string? subscriptionId, string? subscriptionRequestId, CancellationToken cancellationToken) =>
        (subscriptionId, subscriptionRequestId) switch
        {
            ({ } id, _) => await subscriptions.FindAsync(clientId, id, cancellationToken),
            (null, { } requestId) => (await subscriptions.ListAsync(clientId, null, requestId, cancellationToken)).FirstOrDefault(),
            _ => null,
        };

    /// <summary>What a call a transport fault broke is recorded as (the journal, the timeline): <c>TRANSPORT_TIMEOUT</c>.</summary>
    private static string TransportCode(string transport) => $"TRANSPORT_{transport.ToUpperInvariant()}";

    private static string? Text(JsonElement body, string name) => JsonFields.TextOf(body, name);

    /// <summary>
    /// The subscription a call names, by the fields its API reads (SPEC §3.1–3.8): a member the API does not read, such
    /// as a <c>subscriptionId</c> in a create, names nothing, so a refused call's line goes to no other subscription's
    /// timeline and no rule on another subscription hits it.
    /// </summary>
    private static (string? SubscriptionId, string? SubscriptionRequestId) NamedSubscription(string api, JsonElement body) => api switch
    {
        Lifecycle.Apis.Create => (null, Text(body, "subscriptionRequestId")),
        Lifecycle.Apis.Cancel => (Text(body, "subscriptionId"), Text(body, "subscriptionRequestId")),
        Lifecycle.Apis.Change or Lifecycle.Apis.Update or Lifecycle.Apis.InquireSubscription or Lifecycle.Apis.InquireSubscriptionPayment => (Text(body, "subscriptionId"), null),
        _ => (null, null),
    };

    private static AntomResult? Authenticate(string header, Merchant merchant, RSA publicKey, byte[] content)
    {
        // Described only for a refusal: the description costs more than the verification it explains.
        string Expected() => $"expected header Signature: algorithm=RSA256,keyVersion={merchant.KeyVersion},signature=<url-encoded base64 of SHA256withRSA over the content>; content expected to be signed: {SignedContentText.Describe(content)}";
        if (header.Length == 0)
        {
            return AntomResult.InvalidSignature($"header Signature is missing; {Expected()}");
        }

        var parsed = SignatureHeader.Parse(header);
        if (parsed.Algorithm is { } algorithm && !algorithm.Equals(AntomSignature.Algorithm, StringComparison.OrdinalIgnoreCase))
        {
            return AntomResult.InvalidSignature($"algorithm '{algorithm}' is not supported, only RSA256; {Expected()}");
        }

        if (parsed.KeyVersion is { } version && version != merchant.KeyVersion)
        {
            return new AntomResult("KEY_NOT_FOUND", "F", $"client {merchant.ClientId} has no key version '{version}'; its registered key is version {merchant.KeyVersion}");
        }

        var signature = parsed.DecodeSignature();
        if (signature is null)
        {
            return AntomResult.InvalidSignature($"the signature= part of header Signature is missing or not URL-encoded base64; {Expected()}");
        }

        return AntomSignature.Verify(publicKey, content, signature)
            ? null
            : AntomResult.InvalidSignature($"signature does not verify with the public key registered for {merchant.ClientId}; {Expected()}");
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        if (request.ContentLength is { } length)
        {
            // The usual case: read straight into an array of the announced size (Kestrel holds the client to it).
            var exact = new byte[length];
            var filled = await request.Body.ReadAtLeastAsync(exact, exact.Length, throwOnEndOfStream: false, cancellationToken);
            return filled == exact.Length ? exact : exact[..filled];
        }

        using var buffer = new MemoryStream();
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    /// <summary>Whether the body holds <c>\u0000</c> or an escape such as <c>\ud83d</c> (half of a surrogate pair, lone or not).</summary>
    private static bool HasSuspectEscape(ReadOnlySpan<byte> body)
    {
        while (body.IndexOf("\\u"u8) is var at and >= 0)
        {
            body = body[(at + 2)..];
            if (body.StartsWith("0000"u8)
                || (body.Length >= 2 && body[0] is (byte)'d' or (byte)'D'
                    && body[1] is (>= (byte)'8' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F')))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The path of the first name or string in <paramref name="element"/> that is not text (unreadable, or holding NUL), if any.</summary>
    private static string? UnreadableText(JsonElement element, string path)
    {
        static bool Readable(Func<string?> read)
        {
            try
            {
                return read()?.Contains('\0', StringComparison.Ordinal) != true;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }

        string Child(string name) => path.Length == 0 ? name : $"{path}.{name}";
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Readable(element.GetString) ? null : path;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!Readable(() => property.Name))
                    {
                        return Child("(a property name)");
                    }

                    if (UnreadableText(property.Value, Child(property.Name)) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (UnreadableText(item, $"{path}[{index++}]") is { } found)
                    {
                        return found;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>Forces one result code on this call alone (ignored in the signed content).</summary>
    public const string ForcedResultCodeHeader = "Emulator-Result-Code";

    /// <summary>With a forced <c>U</c> code: <c>applied</c> makes the call take effect anyway; <c>processing</c> (refund) takes the refund as processing until settled.</summary>
    public const string ForcedEffectHeader = "Emulator-Effect";

    private static (AntomResponse, string?) Fail(AntomResult result) => (new AntomResponse(result), null);

    private const string RequestIdItem = "antom.requestId";
    private const string SubscriptionIdItem = "antom.subscriptionId";
    private const string MerchantItem = "antom.merchant";
    private const string BodyHashItem = "antom.bodyHash";
    private const string SubscriptionRequestIdItem = "antom.subscriptionRequestId";
    private const string RequestItem = "antom.request";
    private const string FaultItem = "antom.fault";

    /// <summary>The id the journal gives a call: its request id, or what it names when it has none, read from its API's own fields.</summary>
    private static string? RequestIdOf(string api, JsonElement root) => api switch
    {
        Lifecycle.Apis.Create => Text(root, "subscriptionRequestId"),
        Lifecycle.Apis.Change => Text(root, "subscriptionChangeRequestId"),
        Lifecycle.Apis.Update => Text(root, "subscriptionUpdateRequestId"),
        Lifecycle.Apis.Refund => Text(root, "refundRequestId"),
        Lifecycle.Apis.InquiryRefund => Text(root, "refundId") ?? Text(root, "refundRequestId"),
        Lifecycle.Apis.Cancel => Text(root, "subscriptionRequestId") ?? Text(root, "subscriptionId"),
        Lifecycle.Apis.InquireSubscription or Lifecycle.Apis.InquireSubscriptionPayment => Text(root, "subscriptionId"),
        _ => null,
    };

    // ASCII digits (\d takes every script's), to the very end.
    [GeneratedRegex(@"^([0-9]{10,19}|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)\z")]
    private static partial Regex RequestTimeFormat();
}
