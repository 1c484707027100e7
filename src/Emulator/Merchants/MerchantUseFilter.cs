namespace Emulator.Merchants;

/// <summary>
/// A control call or dashboard page under <c>/merchants/{clientId}</c> is a use of that merchant
/// (<see cref="MerchantActivity"/>, for <c>Emulator:MerchantRetention</c>): the client id as routing read it.
/// </summary>
public sealed class MerchantUseFilter(MerchantActivity activity) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (context.HttpContext.GetRouteValue("clientId") is string { Length: > 0 } clientId)
        {
            activity.Used(clientId);
        }

        return next(context);
    }
}
