using System.Net;
using Emulator.Hosting;
using Microsoft.Extensions.Options;

namespace Emulator.Control;

/// <summary>Guards <c>/_emulator</c>: a bearer token when one is configured, otherwise loopback callers only.</summary>
public sealed class ControlAccessFilter(IOptions<EmulatorOptions> options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var token = options.Value.AdminToken;
        if (token.Length > 0)
        {
            var header = http.Request.Headers.Authorization.ToString();
            if (!string.Equals(header, "Bearer " + token, StringComparison.Ordinal))
            {
                return TypedResults.Problem("send Authorization: Bearer <Emulator:AdminToken>", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");
            }
        }
        else if (http.Connection.RemoteIpAddress is { } remote && !IPAddress.IsLoopback(remote))
        {
            return TypedResults.Problem("the control API answers only loopback callers unless Emulator:AdminToken is set", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
        }

        return await next(context);
    }
}
