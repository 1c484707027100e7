using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;

namespace SampleMerchant;

/// <summary>
/// A small merchant integration of Antom Subscription Pay, as a merchant would write it: notification endpoints that
/// verify signatures and process each payment once, and test hooks (<c>/conformance/…</c>) through which the
/// conformance suite makes it subscribe, cancel and change.
/// </summary>
public static class MerchantApp
{
    private const string Ack = """{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}""";
    private const string Refuse = """{"result":{"resultCode":"INVALID_SIGNATURE","resultStatus":"F","resultMessage":"signature does not verify"}}""";

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var options = builder.Configuration.GetSection("Merchant").Get<MerchantOptions>() ?? new MerchantOptions();
        var app = builder.Build();
        var state = new MerchantState(options);

        app.MapPost("/antom/notify/subscription", (HttpRequest request) => state.OnNotificationAsync(request, payment: false));
        app.MapPost("/antom/notify/payment", (HttpRequest request) => state.OnNotificationAsync(request, payment: true));
        app.MapGet("/conformance/processed", (string paymentId) => options.Makes("processed-hook-404") ? Results.NotFound() : Results.Json(new { count = state.ProcessedCount(paymentId) }));
        app.MapPost("/conformance/subscribe", state.SubscribeAsync);
        app.MapPost("/conformance/cancel", (JsonObject body) => state.CancelAsync((string)body["subscriptionId"]!));
        app.MapPost("/conformance/change", (JsonObject body) => state.ChangeAsync((string)body["subscriptionId"]!));
        app.MapPost("/conformance/refund", (JsonObject body) => options.Makes("no-refund-trigger") ? Task.FromResult(Results.NotFound()) : state.RefundAsync((string)body["paymentId"]!));
        return app;
    }

    private sealed class MerchantState(MerchantOptions options)
    {
        private readonly RSA privateKey = Load(k => k.ImportPkcs8PrivateKey(Convert.FromBase64String(options.PrivateKey), out _));
        private readonly RSA antomKey = Load(k => k.ImportSubjectPublicKeyInfo(Convert.FromBase64String(options.AntomPublicKey), out _));
        private readonly HttpClient gateway = new() { BaseAddress = new Uri(options.GatewayUrl), Timeout = TimeSpan.FromSeconds(options.TimeoutSeconds) };
        private readonly ConcurrentDictionary<string, int> processedPayments = new();
        private readonly ConcurrentDictionary<string, string> subscriptionStatus = new();

        // Changes Antom refused while a renewal's payment was being processed, by subscription: sent again (under a new
        // request id) once that payment's notifyPayment has come.
        private readonly ConcurrentDictionary<string, (string Api, string IdField, string Prefix, JsonObject Body)> changesAfterPayment = new();
        private int purchases;

        public int ProcessedCount(string paymentId) => processedPayments.GetValueOrDefault(paymentId);

        public async Task<IResult> OnNotificationAsync(HttpRequest request, bool payment)
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            // Antom signs the request target it calls, path and query as sent (escaped): the raw target, not Request.Path,
            // which is decoded and leaves the query out (a notification URL may carry a tenant or a token).
            var target = request.HttpContext.Features.Get<IHttpRequestFeature>()!.RawTarget;
            var verified = Signatures.Verify(antomKey, target, request.Headers["client-id"].ToString(), request.Headers["request-time"].ToString(), body, request.Headers["signature"].ToString());
            if (!verified && !options.Makes("skip-signature-check") && !(payment == false && options.Makes("verify-payments-only")))
            {
                return Results.Content(Refuse, "application/json", statusCode: 401);
            }

            var json = JsonNode.Parse(body)!;
            try
            {
                MishandleShapes(json, body, payment);
            }
            catch (Exception ex) when (ex is JsonException or ArgumentNullException or InvalidOperationException)
            {
                // An exception the handler does not catch: the web framework answers HTTP 500, and Antom retries.
                return Results.Text($"{ex.GetType().Name}: {ex.Message}", statusCode: StatusCodes.Status500InternalServerError);
            }

            if (payment)
            {
                // A payment may come before the CREATE of its subscription: kept all the same (or refused with a 5xx,
                // which Antom retries). Acknowledged and forgotten, it would be lost: Antom does not send it again.
                if (options.Makes("drop-early-payment") && !subscriptionStatus.ContainsKey((string)json["subscriptionId"]!))
                {
                    return Results.Content(Ack, "application/json");
                }

                // Process each period's payment once, however often it is delivered.
                processedPayments.AddOrUpdate((string)json["paymentId"]!, 1, (_, n) => options.Makes("count-duplicates") ? n + 1 : n);

                // The payment that held a change back is done (whichever way): the change goes now, after the answer
                // to this notification (a job queue would do the same).
                if (changesAfterPayment.TryRemove((string)json["subscriptionId"]!, out var held))
                {
                    _ = Task.Run(async () =>
                    {
                        held.Body[held.IdField] = held.Prefix + Guid.NewGuid().ToString("N");
                        await RetryUnknownAsync(held.Api, held.IdField, held.Body, await CallAsync(held.Api, held.Body), retries: 2, pause: TimeSpan.Zero);
                    });
                }
            }
            else
            {
                // Notifications may come late or out of order (a CHANGE's ACTIVE after the merchant's own cancel): one
                // never brings an ended or cancelled subscription back to ACTIVE.
                var incoming = (string)json["subscriptionNotificationType"]! == "CANCEL" ? "CANCELLED" : (string)json["subscriptionStatus"]!;
                subscriptionStatus.AddOrUpdate((string)json["subscriptionId"]!, incoming,
                    (_, current) => current is "CANCELLED" or "TERMINATED" && incoming == "ACTIVE" ? current : incoming);
            }

            return Results.Content(Ack, "application/json");
        }

        /// <summary>
        /// The mistakes integrations make on the notifications Antom sends besides a plain success, when told to make
        /// them: each throws where such an integration does.
        /// </summary>
        private void MishandleShapes(JsonNode json, byte[] body, bool payment)
        {
            if (options.Makes("strict-fields"))
            {
                // A strict deserializer (Jackson's FAIL_ON_UNKNOWN_PROPERTIES, .NET's Disallow) refuses a member Antom added.
                _ = payment ? JsonSerializer.Deserialize<PaymentNotification>(body, Strict) : (object?)JsonSerializer.Deserialize<SubscriptionNotification>(body, Strict);
            }

            if (payment && options.Makes("reject-failed-payments"))
            {
                // Takes every payment for a success and records when it was paid: a failed one has no paymentTime.
                _ = DateTimeOffset.Parse((string)json["paymentTime"]!, CultureInfo.InvariantCulture);
            }

            if (payment && options.Makes("reject-zero-amount") && long.Parse((string)json["paymentAmount"]!["value"]!, CultureInfo.InvariantCulture) <= 0)
            {
                throw new InvalidOperationException("a payment's amount must be positive");
            }

            if (!payment && options.Makes("create-only"))
            {
                // Written for the first notification only, as if a subscription were only ever created and started.
                var (type, status) = ((string?)json["subscriptionNotificationType"], (string?)json["subscriptionStatus"]);
                if ((type, status) is not ("CREATE", "ACTIVE"))
                {
                    throw new InvalidOperationException($"unexpected notifySubscription {type}/{status}");
                }
            }
        }

        public async Task<IResult> SubscribeAsync()
        {
            if (options.Makes("no-trigger"))
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            var requestId = options.Makes("same-request-id") ? "sub-order" : "sub-" + Guid.NewGuid().ToString("N");
            // Built once: a retry sends the same request again (only its request time and signature are new).
            var create = new JsonObject
            {
                ["subscriptionRequestId"] = requestId,
                ["subscriptionDescription"] = $"Sample plan, purchase {Interlocked.Increment(ref purchases)}",
                ["subscriptionRedirectUrl"] = "https://merchant.example/done",
                ["subscriptionStartTime"] = TimeProvider.System.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                ["periodRule"] = new JsonObject { ["periodType"] = "MONTH", ["periodCount"] = 1 },
                ["paymentMethod"] = new JsonObject { ["paymentMethodType"] = "GCASH" },
                ["paymentAmount"] = new JsonObject { ["currency"] = "PHP", ["value"] = "19900" },
                ["orderInfo"] = new JsonObject { ["orderAmount"] = new JsonObject { ["currency"] = "PHP", ["value"] = "19900" } },
                ["env"] = new JsonObject { ["terminalType"] = "WEB" },
            };
            var reply = await CallAsync("create", create);
            if (options.RetryInBackground)
            {
                // Answered at once; an unknown outcome is settled in the background, a second between tries.
                _ = Task.Run(() => RetryUnknownAsync("create", "subscriptionRequestId", create, reply, retries: 3, pause: TimeSpan.FromSeconds(1)));
                return Results.Json(new { subscriptionRequestId = requestId, resultCode = (string?)reply?["result"]?["resultCode"] });
            }

            reply = await RetryUnknownAsync("create", "subscriptionRequestId", create, reply, retries: 2, pause: TimeSpan.Zero);
            return Results.Json(new { subscriptionRequestId = (string)create["subscriptionRequestId"]!, resultCode = (string?)reply?["result"]?["resultCode"] });
        }

        /// <summary>Sends the request again while its outcome is unknown (U, or no answer): the same request, unless told to make a mistake.</summary>
        private async Task<JsonObject?> RetryUnknownAsync(string api, string? idField, JsonObject request, JsonObject? reply, int retries, TimeSpan pause)
        {
            for (var retry = 0; retry < retries && (string?)reply?["result"]?["resultStatus"] is null or "U" && !options.Makes("ignore-unknown"); retry++)
            {
                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, TimeProvider.System);
                }

                if (idField is not null && options.Makes("new-id-on-unknown"))
                {
                    request[idField] = api switch { "create" => "sub-", "refund" => "rfd-", "update" => "upd-", _ => "chg-" } + Guid.NewGuid().ToString("N");
                }

                reply = await CallAsync(api, request);
            }

            return reply;
        }

        public async Task<IResult> CancelAsync(string subscriptionId)
        {
            // Cancel has no request id: after an unknown outcome the same cancel is sent again (a repeat of one that took
            // place succeeds), never taken for done.
            var cancel = new JsonObject { ["subscriptionId"] = subscriptionId, ["cancellationType"] = "CANCEL" };
            var reply = await RetryUnknownAsync("cancel", idField: null, cancel, await CallAsync("cancel", cancel), retries: 2, pause: TimeSpan.Zero);
            if ((string?)reply?["result"]?["resultStatus"] == "S")
            {
                subscriptionStatus[subscriptionId] = "CANCELLED";
            }

            return Results.Json(new { resultCode = (string?)reply?["result"]?["resultCode"] });
        }

        public async Task<IResult> ChangeAsync(string subscriptionId)
        {
            if (subscriptionStatus.GetValueOrDefault(subscriptionId) is "CANCELLED" or "TERMINATED")
            {
                return Results.Json(new { resultCode = "REFUSED_LOCALLY" }, statusCode: 409);
            }

            // Built once: a retry after an unknown outcome sends the same change again, under the same request id.
            var (api, idField, prefix) = options.UseUpdate ? ("update", "subscriptionUpdateRequestId", "upd-") : ("change", "subscriptionChangeRequestId", "chg-");
            var change = new JsonObject
            {
                [idField] = prefix + Guid.NewGuid().ToString("N"),
                ["subscriptionId"] = subscriptionId,
                ["paymentAmount"] = new JsonObject { ["currency"] = "PHP", ["value"] = "29900" },
            };
            var reply = await RetryUnknownAsync(api, idField, change, await CallAsync(api, change), retries: 2, pause: TimeSpan.Zero);
            if ((string?)reply?["result"]?["resultCode"] == "UPDATE_FORBIDDEN_DURING_PAYMENT")
            {
                // Final for this request id: the same change goes again under a new one once the payment is done.
                changesAfterPayment[subscriptionId] = (api, idField, prefix, change);
                return Results.Json(new { resultCode = "UPDATE_FORBIDDEN_DURING_PAYMENT", deferred = true }, statusCode: StatusCodes.Status202Accepted);
            }

            return Results.Json(new { resultCode = (string?)reply?["result"]?["resultCode"] });
        }

        /// <summary>Refunds part of a period payment; a retry after an unknown outcome sends the same refund again, so it is made once.</summary>
        public async Task<IResult> RefundAsync(string paymentId)
        {
            var refund = new JsonObject
            {
                ["refundRequestId"] = "rfd-" + Guid.NewGuid().ToString("N"),
                ["paymentId"] = paymentId,
                ["refundAmount"] = new JsonObject { ["currency"] = "PHP", ["value"] = "100" },
            };
            var reply = await RetryUnknownAsync("refund", "refundRequestId", refund, await CallAsync("refund", refund), retries: 2, pause: TimeSpan.Zero);
            return Results.Json(new { resultCode = (string?)reply?["result"]?["resultCode"] });
        }

        private async Task<JsonObject?> CallAsync(string api, JsonObject body)
        {
            var path = $"/ams/sandbox/api/v1/{(api is "refund" ? "payments" : "subscriptions")}/{api}";
            var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
            var time = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=UTF-8");
            request.Headers.TryAddWithoutValidation("Client-Id", options.ClientId);
            request.Headers.TryAddWithoutValidation("Request-Time", time);
            request.Headers.TryAddWithoutValidation("Signature", Signatures.Sign(privateKey, path, options.ClientId, time, bytes));
            try
            {
                using var response = await gateway.SendAsync(request);
                var answer = await response.Content.ReadAsByteArrayAsync();

                // An answer is Antom's only if its signature verifies: anything else (a 5xx page, an unsigned or
                // wrongly signed body) says nothing of what happened, like no answer at all.
                var signed = Signatures.Verify(
                    antomKey, path, Header(response, "client-id"), Header(response, "response-time"), answer, Header(response, "signature"));
                if (!signed && !options.Makes("trust-unverified-answers") && !(api == "cancel" && options.Makes("trust-unverified-cancel")))
                {
                    return Unknown("UNVERIFIED_ANSWER");
                }

                return JsonNode.Parse(answer)?.AsObject();
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
                return Unknown("NO_ANSWER");
            }
        }

        private static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

        private static JsonObject Unknown(string why) => new() { ["result"] = new JsonObject { ["resultStatus"] = "U", ["resultCode"] = why } };

        private static string Header(HttpResponseMessage response, string name) =>
            response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";

        private static RSA Load(Action<RSA> import)
        {
            var rsa = RSA.Create();
            import(rsa);
            return rsa;
        }
    }

    // The notifications' members as a strict integration models them (the strict-fields mistake): every member it knows.
    private sealed record SubscriptionNotification(string SubscriptionRequestId, string SubscriptionId, string SubscriptionStatus, string SubscriptionNotificationType, string SubscriptionStartTime, string SubscriptionEndTime, PeriodRule PeriodRule);

    private sealed record PeriodRule(string PeriodType, int PeriodCount);

    private sealed record PaymentNotification(Result Result, string PaymentId, Amount PaymentAmount, string PaymentCreateTime, string? PaymentTime, string SubscriptionRequestId, string SubscriptionId, string PeriodStartTime, string PeriodEndTime, string PhaseNo);

    private sealed record Result(string ResultCode, string ResultStatus, string ResultMessage);

    private sealed record Amount(string Currency, string Value);
}
