using Emulator.Notifications;
using Prometheus;

namespace Emulator.Hosting;

/// <summary>The emulator's Prometheus metrics, served at <c>/metrics</c>.</summary>
public static class EmulatorMetrics
{
    public static readonly Counter ApiCalls = Metrics.CreateCounter(
        "emulator_api_calls_total", "Emulated Antom API calls by API and result code.", "api", "result_code");

    public static readonly Counter Deductions = Metrics.CreateCounter(
        "emulator_deductions_total", "Period deductions by result.", "result_status", "result_code");

    public static readonly Counter NotificationAttempts = Metrics.CreateCounter(
        "emulator_notification_attempts_total", "Notification delivery attempts by kind and outcome.", "kind", "outcome");

    public static readonly Gauge OutboxDepth = Metrics.CreateGauge(
        "emulator_outbox_depth", "Notifications not yet acknowledged or exhausted.");

    public static readonly Gauge MerchantTurnsAwaited = Metrics.CreateGauge(
        "emulator_merchant_turns_awaited",
        "On a shared database: runs and calls of this instance waiting for one of its merchant turns (0 on SQLite).");

    public static IEndpointRouteBuilder MapEmulatorMetrics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", async (HttpContext http, Outbox outbox, Persistence.Database database, CancellationToken ct) =>
        {
            OutboxDepth.Set(await outbox.PendingCountAsync(ct));
            MerchantTurnsAwaited.Set(database.MerchantTurnsAwaited);
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(http.Response.Body, ct);
        }).ExcludeFromDescription();
        return app;
    }
}
