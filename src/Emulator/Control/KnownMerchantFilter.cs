using Emulator.Merchants;

namespace Emulator.Control;

/// <summary>
/// Everything under <c>/merchants/{clientId}/…</c> is about a merchant that exists: an unknown client id is answered
/// 404 with how to create it (CONTROL-API.md conventions), here rather than in each call.
/// </summary>
public sealed class KnownMerchantFilter(MerchantRegistry merchants) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var clientId = context.HttpContext.GetRouteValue("clientId") as string ?? "";
        return await merchants.FindAsync(clientId, context.HttpContext.RequestAborted) is null
            ? ControlProblems.UnknownMerchant(clientId)
            : await next(context);
    }
}
