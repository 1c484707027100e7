namespace Emulator.Merchants;

/// <summary>
/// A control call or dashboard page under <c>/merchants/{clientId}</c> is a use of that merchant
/// (<see cref="MerchantActivity"/>, for <c>Emulator:MerchantRetention</c>): the client id as routing read it.
/// </summary>
public sealed class MerchantUseFilter(MerchantActivity activity) : IEndpointFilter
{
    private static readonly object HeldBeforeKey = new();

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (context.HttpContext.GetRouteValue("clientId") is string { Length: > 0 } clientId)
        {
            context.HttpContext.Items[HeldBeforeKey] = activity.Held(clientId);
            activity.Used(clientId);
        }

        return next(context);
    }

    /// <summary>
    /// The use of the merchant this instance held when the call came, before the call itself was recorded: the merchant's
    /// view shows the last use before the call that asks for it (the call is a use too, which the next call shows).
    /// </summary>
    public static DateTimeOffset? HeldBefore(HttpContext http) =>
        http.Items.TryGetValue(HeldBeforeKey, out var at) ? at as DateTimeOffset? : null;
}
