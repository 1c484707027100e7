using Emulator.Lifecycle;
using Emulator.Protocol;

namespace Emulator.Api;

/// <summary>The emulated Antom subscription API and the refunds of its payments, under the production and the sandbox prefix (SPEC §1.2).</summary>
public static class SubscriptionsApi
{
    public static readonly IReadOnlyList<string> Prefixes = ["/ams/api", "/ams/sandbox/api"];

    public static IEndpointRouteBuilder MapSubscriptionsApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in Prefixes)
        {
            var group = app.MapGroup(prefix + "/v1/subscriptions").WithTags("Antom subscriptions");
            var name = prefix.Contains("sandbox", StringComparison.Ordinal) ? "Sandbox" : "";
            group.MapPost("/create", CreateAsync).WithName($"{name}CreateSubscription")
                .WithMetadata(new AntomRequestBody(typeof(Wire.CreateSubscriptionWire))).Produces<CreateSubscriptionResponse>(StatusCodes.Status200OK, "application/json");
            group.MapPost("/change", ChangeAsync).WithName($"{name}ChangeSubscription")
                .WithMetadata(new AntomRequestBody(typeof(Wire.ChangeSubscriptionWire))).Produces<AntomResponse>(StatusCodes.Status200OK, "application/json");
            group.MapPost("/update", UpdateAsync).WithName($"{name}UpdateSubscription")
                .WithMetadata(new AntomRequestBody(typeof(Wire.UpdateSubscriptionWire))).Produces<AntomResponse>(StatusCodes.Status200OK, "application/json");
            group.MapPost("/cancel", CancelAsync).WithName($"{name}CancelSubscription")
                .WithMetadata(new AntomRequestBody(typeof(Wire.CancelSubscriptionWire))).Produces<AntomResponse>(StatusCodes.Status200OK, "application/json");
            group.MapPost("/inquireSubscription", InquireSubscriptionAsync).WithName($"{name}InquireSubscription")
                .WithMetadata(new AntomRequestBody(typeof(Wire.InquireSubscriptionWire))).Produces<InquireSubscriptionResponse>(StatusCodes.Status200OK, "application/json");
            group.MapPost("/inquireSubscriptionList", InquireSubscriptionListAsync).WithName($"{name}InquireSubscriptionList")
                .WithMetadata(new AntomRequestBody(typeof(Wire.InquireSubscriptionListWire))).Produces<InquireSubscriptionListResponse>(StatusCodes.Status200OK, "application/json");
            group.MapPost("/inquireSubscriptionPayment", InquireSubscriptionPaymentAsync).WithName($"{name}InquireSubscriptionPayment")
                .WithMetadata(new AntomRequestBody(typeof(Wire.InquireSubscriptionPaymentWire))).Produces<InquireSubscriptionPaymentResponse>(StatusCodes.Status200OK, "application/json");

            var payments = app.MapGroup(prefix + "/v1/payments").WithTags("Antom refunds of subscription payments");
            payments.MapPost("/refund", RefundAsync).WithName($"{name}Refund")
                .WithMetadata(new AntomRequestBody(typeof(Wire.RefundWire))).Produces<RefundResponse>(StatusCodes.Status200OK, "application/json");
            payments.MapPost("/inquiryRefund", InquiryRefundAsync).WithName($"{name}InquiryRefund")
                .WithMetadata(new AntomRequestBody(typeof(Wire.InquiryRefundWire))).Produces<InquiryRefundResponse>(StatusCodes.Status200OK, "application/json");
        }

        app.Map("/ams/{**rest}", (HttpContext http, AntomGateway gateway) => gateway.NoInterface(http)).ExcludeFromDescription();
        return app;
    }

    /// <summary>
    /// A gateway path after empty segments ('//ams/…': a gateway URL ending in '/' joined to the API path, as the Go SDK
    /// joins them) matches no route, since a route's first segment is never empty; it is answered like any other path
    /// under the gateway that no API serves, signed, over the path as received, which is the path the client verifies.
    /// </summary>
    public static bool IsGatewayPathAfterEmptySegments(HttpContext http) =>
        http.Request.Path.Value is { } path
        && path.StartsWith("//", StringComparison.Ordinal)
        && path.TrimStart('/').StartsWith("ams/", StringComparison.OrdinalIgnoreCase);

    public static Task NoInterfaceAsync(HttpContext http) =>
        http.RequestServices.GetRequiredService<AntomGateway>().NoInterface(http).ExecuteAsync(http);

    public static Task<IResult> CreateAsync(HttpContext http, AntomGateway gateway, SubscriptionService service, CancellationToken cancellationToken) =>
        gateway.HandleAsync(http, Apis.Create, service.CreateAsync, cancellationToken);

    public static Task<IResult> ChangeAsync(HttpContext http, AntomGateway gateway, SubscriptionService service, CancellationToken cancellationToken) =>
        gateway.HandleAsync(http, Apis.Change, service.ChangeAsync, cancellationToken);

    public static Task<IResult> UpdateAsync(HttpContext http, AntomGateway gateway, SubscriptionService service, CancellationToken cancellationToken) =>
        gateway.HandleAsync(http, Apis.Update, service.UpdateAsync, cancellationToken);

    public static Task<IResult> InquireSubscriptionAsync(HttpContext http, AntomGateway gateway, SubscriptionService service, CancellationToken cancellationToken) =>
        gateway.HandleAsync(http, Apis.InquireSubscription, service.InquireAsync, cancellationToken);

    public static Task<IResult> InquireSubscriptionListAsync(HttpContext http, AntomGateway gateway, SubscriptionService service, CancellationToken cancellationToken) =>
        gateway.HandleAsync(http, Apis.InquireSubscriptionList, service.InquireListAsync, cancellationToken);

    public static Task<IResult> InquireSubscriptionPaymentAsync(HttpContext http, AntomGateway gateway, SubscriptionService service, CancellationToken cancellationToken) =>
        gateway.HandleAsync(http, Apis.InquireSubscriptionPayment, service.InquirePaymentsAsync, cancellationToken);

    public static Task<IResult> RefundAsync(HttpContext http, AntomGateway gateway, SubscriptionService service, CancellationToken cancellationToken) =>
        gateway.HandleAsync(http, Apis.Refund, service.RefundAsync, cancellationToken);

    public static Task<IResult> InquiryRefundAsync(HttpContext http, AntomGateway gateway, SubscriptionService service, CancellationToken cancellationToken) =>
        gateway.HandleAsync(http, Apis.InquiryRefund, service.InquireRefundAsync, cancellationToken);

    public static Task<IResult> CancelAsync(HttpContext http, AntomGateway gateway, SubscriptionService service, CancellationToken cancellationToken) =>
        gateway.HandleAsync(http, Apis.Cancel, service.CancelAsync, cancellationToken);
}
