using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Emulator.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ContractTests.Support;

/// <summary>
/// A small merchant integration with the conformance suite's hooks, correct unless told to make one of a list of
/// mistakes, so that the suite can be shown to catch each one (and nothing else). Serves <c>antom/notify/…</c>,
/// <c>conformance/processed</c> and <c>conformance/subscribe|cancel|change</c> on a free loopback port.
/// </summary>
public sealed class ToyMerchant : IAsyncDisposable
{
    private const string Acknowledgement = """{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}""";

    private readonly WebApplication app;
    private readonly HashSet<string> mistakes;
    private readonly EmulatorMerchant merchant;
    private readonly RSA antomKey;
    private readonly HttpClient gateway;
    private readonly ConcurrentDictionary<string, int> processed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> statuses = new(StringComparer.Ordinal);

    private ToyMerchant(Uri url, Uri gatewayUrl, EmulatorMerchant merchant, RSA antomKey, IEnumerable<string> mistakes)
    {
        Url = url;
        this.merchant = merchant;
        this.antomKey = antomKey;
        this.mistakes = [.. mistakes];
        gateway = new HttpClient { BaseAddress = gatewayUrl, Timeout = TimeSpan.FromSeconds(2) };
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url.ToString());
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.MapPost("/antom/notify/subscription", OnSubscriptionAsync);
        app.MapPost("/antom/notify/payment", OnPaymentAsync);
        app.MapGet("/conformance/processed", (string paymentId) => Makes("processed-hook-404") ? Results.NotFound() : Results.Json(new { count = processed.GetValueOrDefault(paymentId) }));
        app.MapPost("/conformance/subscribe", SubscribeAsync);
        app.MapPost("/conformance/cancel", async (JsonObject body) =>
        {
            var id = (string)body["subscriptionId"]!;
            var reply = await CallAsync("cancel", new JsonObject { ["subscriptionId"] = id, ["cancellationType"] = "CANCEL" });
            if ((string?)reply["result"]?["resultStatus"] == "S")
            {
                statuses[id] = "CANCELLED";
            }

            return Results.Json(new { resultCode = (string?)reply["result"]?["resultCode"] });
        });
        app.MapPost("/conformance/change", async (JsonObject body) =>
        {
            var id = (string)body["subscriptionId"]!;
            if (statuses.GetValueOrDefault(id) is "CANCELLED" or "TERMINATED")
            {
                return Results.Json(new { resultCode = "REFUSED_LOCALLY" }, statusCode: StatusCodes.Status409Conflict);
            }

            var reply = await CallAsync("change", new JsonObject
            {
                ["subscriptionChangeRequestId"] = "chg-" + Guid.NewGuid().ToString("N"),
                ["subscriptionId"] = id,
                ["paymentAmount"] = new JsonObject { ["currency"] = "PHP", ["value"] = "29900" },
            });
            return Results.Json(new { resultCode = (string?)reply["result"]?["resultCode"] });
        });
    }

    public Uri Url { get; }

    /// <param name="mistakes">
    /// <c>same-request-id</c> (every purchase sends one request id), <c>drop-early-payment</c> (acknowledges a payment
    /// for a subscription it does not know yet, and forgets it), <c>count-duplicates</c> (processes each delivery),
    /// <c>ignore-unknown</c> (never retries a U or a timeout), <c>new-id-on-unknown</c> (retries them with a new request
    /// id), <c>processed-hook-404</c>, <c>no-trigger</c> (the trigger hooks answer 503).
    /// </param>
    public static async Task<ToyMerchant> StartAsync(Uri url, AntomEmulator emulator, EmulatorMerchant merchant, params string[] mistakes)
    {
        var toy = new ToyMerchant(url, emulator.BaseUrl, merchant, await emulator.AntomPublicKeyAsync(), mistakes);
        await toy.app.StartAsync();
        return toy;
    }

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        gateway.Dispose();
    }

    private bool Makes(string mistake) => mistakes.Contains(mistake);

    private async Task<(bool Verified, JsonObject Body)> ReadAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var verified = AntomSigner.Verify(antomKey, request.Path, request.Headers["client-id"].ToString(), request.Headers["request-time"].ToString(), body, request.Headers["signature"].ToString());
        return (verified, JsonNode.Parse(body)!.AsObject());
    }

    private async Task<IResult> OnSubscriptionAsync(HttpRequest request)
    {
        var (verified, json) = await ReadAsync(request);
        if (!verified)
        {
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }

        statuses[(string)json["subscriptionId"]!] = (string)json["subscriptionNotificationType"]! == "CANCEL" ? "CANCELLED" : (string)json["subscriptionStatus"]!;
        return Results.Text(Acknowledgement, "application/json");
    }

    private async Task<IResult> OnPaymentAsync(HttpRequest request)
    {
        var (verified, json) = await ReadAsync(request);
        if (!verified)
        {
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }

        if (!statuses.ContainsKey((string)json["subscriptionId"]!))
        {
            // Correct: ask for the payment again once the subscription is known (Antom retries what is not acknowledged).
            return Makes("drop-early-payment") ? Results.Text(Acknowledgement, "application/json") : Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        var paymentId = (string)json["paymentId"]!;
        processed.AddOrUpdate(paymentId, 1, (_, count) => Makes("count-duplicates") ? count + 1 : count);
        return Results.Text(Acknowledgement, "application/json");
    }

    private async Task<IResult> SubscribeAsync()
    {
        if (Makes("no-trigger"))
        {
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        var requestId = Makes("same-request-id") ? "toy-order" : "toy-" + Guid.NewGuid().ToString("N");
        JsonObject reply = null!;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            reply = await CallAsync("create", new JsonObject
            {
                ["subscriptionRequestId"] = requestId,
                ["subscriptionDescription"] = "Toy plan",
                ["subscriptionRedirectUrl"] = "https://merchant.example/done",
                ["subscriptionStartTime"] = "2030-01-01T00:00:00+00:00",
                ["periodRule"] = new JsonObject { ["periodType"] = "MONTH", ["periodCount"] = 1 },
                ["paymentMethod"] = new JsonObject { ["paymentMethodType"] = "GCASH" },
                ["paymentAmount"] = new JsonObject { ["currency"] = "PHP", ["value"] = "19900" },
                ["orderInfo"] = new JsonObject { ["orderAmount"] = new JsonObject { ["currency"] = "PHP", ["value"] = "19900" } },
                ["env"] = new JsonObject { ["terminalType"] = "WEB" },
            });
            if ((string?)reply["result"]?["resultStatus"] != "U" || Makes("ignore-unknown"))
            {
                break;
            }

            if (Makes("new-id-on-unknown"))
            {
                requestId = "toy-" + Guid.NewGuid().ToString("N");
            }
        }

        return Results.Json(new { subscriptionRequestId = requestId, resultCode = (string?)reply["result"]?["resultCode"] });
    }

    /// <summary>A signed call; a timeout or a broken connection is an unknown (U) outcome.</summary>
    private async Task<JsonObject> CallAsync(string api, JsonObject body)
    {
        var path = $"/ams/sandbox/api/v1/subscriptions/{api}";
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        var time = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=UTF-8");
        request.Headers.TryAddWithoutValidation("Client-Id", merchant.ClientId);
        request.Headers.TryAddWithoutValidation("Request-Time", time);
        request.Headers.TryAddWithoutValidation("Signature", AntomSigner.SignatureHeader(merchant.PrivateKey, path, merchant.ClientId, time, bytes));
        try
        {
            using var response = await gateway.SendAsync(request);
            return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return new JsonObject { ["result"] = new JsonObject { ["resultStatus"] = "U", ["resultCode"] = "CLIENT_TIMEOUT" } };
        }
    }
}
