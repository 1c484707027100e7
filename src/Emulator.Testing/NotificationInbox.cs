using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Emulator.Testing;

/// <summary>
/// A merchant's notification endpoint inside the test process: it verifies each notification's signature, hands it to
/// the merchant's handler if one was given, acknowledges it, and lets tests await it.
/// </summary>
public sealed class NotificationInbox : IAsyncDisposable
{
    public const string Acknowledgement = """{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}""";

    private readonly WebApplication app;
    private readonly RSA antomPublicKey;
    private readonly List<ReceivedNotification> received = [];
    private readonly List<(Func<ReceivedNotification, bool> Predicate, TaskCompletionSource<ReceivedNotification> Signal)> waiters = [];

    private NotificationInbox(WebApplication app, RSA antomPublicKey)
    {
        this.app = app;
        this.antomPublicKey = antomPublicKey;
    }

    /// <summary>Called for each notification before it is acknowledged (the merchant's own handling code).</summary>
    public Func<ReceivedNotification, Task>? Handler { get; set; }

    /// <summary>
    /// Replaces the inbox's own answer (acknowledge when the signature verifies, refuse otherwise) to play a merchant
    /// endpoint that fails, stalls or answers oddly.
    /// </summary>
    public Func<ReceivedNotification, Task<(int Status, string Body)>>? Answer { get; set; }

    public Uri BaseAddress { get; private set; } = null!;

    public string SubscriptionUrl => new Uri(BaseAddress, "/antom/notify/subscription").ToString();

    public string PaymentUrl => new Uri(BaseAddress, "/antom/notify/payment").ToString();

    public IReadOnlyList<ReceivedNotification> Received
    {
        get
        {
            lock (received)
            {
                return [.. received];
            }
        }
    }

    public static async Task<NotificationInbox> StartAsync(RSA antomPublicKey)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var inbox = new NotificationInbox(app, antomPublicKey);
        app.MapPost("/{**path}", inbox.HandleAsync);
        app.MapGet("/{**path}", () => Results.Content("<!doctype html><title>Merchant</title><p id=\"merchant\">Back at the merchant</p>", "text/html"));
        await app.StartAsync();
        inbox.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return inbox;
    }

    public Task<ReceivedNotification> WaitForAsync(Func<ReceivedNotification, bool> predicate, TimeSpan timeout)
    {
        var signal = new TaskCompletionSource<ReceivedNotification>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (received)
        {
            // One the Handler threw on does not count: the emulator retries it, and a later delivery may get through.
            if (received.FirstOrDefault(n => predicate(n) && n.HandlerError is null) is { } already)
            {
                return Task.FromResult(already);
            }

            waiters.Add((predicate, signal));
        }

        return WithinAsync(signal.Task, predicate, timeout);
    }

    private async Task<ReceivedNotification> WithinAsync(Task<ReceivedNotification> match, Func<ReceivedNotification, bool> predicate, TimeSpan timeout)
    {
        try
        {
            return await match.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            string[] arrived;
            Exception? handlerError;
            lock (received)
            {
                arrived = [.. received.Select(n => n.Summary + (n.SignatureValid ? "" : " (signature did not verify)")
                    + (n.HandlerError is { } error ? $" (the Handler threw {error.GetType().Name}: {error.Message}; answered HTTP 500, so the emulator retries it)" : ""))];
                handlerError = received.LastOrDefault(n => n.HandlerError is not null && predicate(n))?.HandlerError;
            }

            throw new TimeoutException(
                $"no notification matched within {timeout.TotalSeconds:0.#} s; the inbox received {arrived.Length}: {(arrived.Length == 0 ? "none" : string.Join(", ", arrived))}",
                handlerError);
        }
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    private async Task HandleAsync(HttpContext http)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        // The request target as it came, path and query still escaped: what Antom signs (SPEC §1.5). Request.Path is
        // decoded ('/caf%C3%A9' is '/café'), and a notification to such a path would not verify over it.
        var path = http.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } target
            ? target
            : http.Request.Path.Value + http.Request.QueryString.Value;
        var valid = AntomSigner.Verify(antomPublicKey, path, headers.GetValueOrDefault("client-id", ""), headers.GetValueOrDefault("request-time", ""), body, headers.GetValueOrDefault("signature"));
        ReceivedNotification notification;
        lock (received)
        {
            notification = new ReceivedNotification(path, headers, body, valid) { Order = received.Count + 1 };
        }

        (int Status, string Body)? failed = null;
        if (Handler is { } handler)
        {
            try
            {
                await handler(notification);
            }
            catch (Exception ex)
            {
                // The merchant's code failed on it: answered as a server would (the emulator retries), and kept, so that
                // a test waiting for it hears of the failure instead of a timeout.
                notification = notification with { HandlerError = ex };
                var result = new System.Text.Json.Nodes.JsonObject { ["resultCode"] = "HANDLER_FAILED", ["resultStatus"] = "F", ["resultMessage"] = $"{ex.GetType().Name}: {ex.Message}" };
                failed = (500, new System.Text.Json.Nodes.JsonObject { ["result"] = result }.ToJsonString());
            }
        }

        var (status, answer) = failed
            ?? (Answer is { } custom
                ? await custom(notification)
                : valid ? (200, Acknowledgement) : (401, """{"result":{"resultCode":"INVALID_SIGNATURE","resultStatus":"F","resultMessage":"bad signature"}}"""));

        lock (received)
        {
            received.Add(notification);
            foreach (var waiter in notification.HandlerError is null ? waiters.Where(w => w.Predicate(notification)).ToList() : [])
            {
                waiter.Signal.TrySetResult(notification);
                waiters.Remove(waiter);
            }
        }

        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(answer);
    }
}
