using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ContractTests.Support;

/// <summary>
/// A merchant's notification endpoint for tests: a real HTTP server on loopback that records every request, checks
/// its signature with the test's own verifier and the Antom public key, and answers as the test says (by default the
/// fixed acknowledgement of SPEC §4.3).
/// </summary>
public sealed class NotificationReceiver : IAsyncDisposable
{
    public const string Acknowledgement = """{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}""";

    private readonly WebApplication app;
    private readonly ConcurrentQueue<ReceivedNotification> received = new();
    private readonly List<(Func<ReceivedNotification, bool> Predicate, TaskCompletionSource<ReceivedNotification> Signal)> waiters = [];
    private int order;

    private NotificationReceiver(WebApplication app) => this.app = app;

    /// <summary>How to answer a request: status and body. Default: 200 with the acknowledgement.</summary>
    public Func<ReceivedNotification, Task<(int Status, string Body)>> Answer { get; set; } = _ => Task.FromResult((200, Acknowledgement));

    public Uri BaseAddress { get; private set; } = null!;

    public string SubscriptionUrl => new Uri(BaseAddress, "/merchant/notify/subscription").ToString();

    public string PaymentUrl => new Uri(BaseAddress, "/merchant/notify/payment").ToString();

    public IReadOnlyList<ReceivedNotification> Received => [.. received.OrderBy(r => r.Order)];

    public static async Task<NotificationReceiver> StartAsync()
    {
        // No configuration file watchers: a test run starts hundreds of receivers.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new NotificationReceiver(app);
        app.MapPost("/{**path}", receiver.HandleAsync);
        app.MapGet("/{**path}", () => Results.Content("<!doctype html><title>Merchant</title><p id=\"merchant\">Back at the merchant</p>", "text/html"));
        await app.StartAsync();
        receiver.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return receiver;
    }

    /// <summary>Completes when a notification matching <paramref name="predicate"/> has arrived (or already had).</summary>
    public Task<ReceivedNotification> WaitForAsync(Func<ReceivedNotification, bool> predicate, TimeSpan timeout)
    {
        var signal = new TaskCompletionSource<ReceivedNotification>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (waiters)
        {
            if (Received.FirstOrDefault(predicate) is { } already)
            {
                return Task.FromResult(already);
            }

            waiters.Add((predicate, signal));
        }

        return signal.Task.WaitAsync(timeout);
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    private async Task HandleAsync(HttpContext http)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        var path = http.Request.Path.Value + http.Request.QueryString.Value;
        var valid = headers.TryGetValue("signature", out var signature)
            && headers.TryGetValue("client-id", out var clientId)
            && headers.TryGetValue("request-time", out var time)
            && TestSigner.Verify(Fixtures.AntomPublicKey, path, clientId, time, body, signature);
        var notification = new ReceivedNotification(Interlocked.Increment(ref order), path, headers, body, valid);
        received.Enqueue(notification);
        lock (waiters)
        {
            foreach (var waiter in waiters.Where(w => w.Predicate(notification)).ToList())
            {
                waiter.Signal.TrySetResult(notification);
                waiters.Remove(waiter);
            }
        }

        var (status, answer) = await Answer(notification);
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(answer);
    }
}
