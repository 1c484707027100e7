using System.Net;
using Emulator.Hosting;
using Microsoft.Extensions.Options;

namespace Emulator.Control;

/// <summary>
/// Guards everything under <c>/_emulator</c> (the control API, its OpenAPI document and reference, the dashboard): a
/// bearer token when one is configured, otherwise loopback callers only. A middleware, so that it answers before a
/// request body is read: a caller without the token gets 401, whatever it sent.
/// </summary>
public sealed class ControlAccess(RequestDelegate next, IOptions<EmulatorOptions> options)
{
    public const string Root = "/_emulator";

    public async Task InvokeAsync(HttpContext http)
    {
        var token = options.Value.AdminToken;
        if (token.Length > 0)
        {
            var header = http.Request.Headers.Authorization.ToString();
            var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
            if (!string.Equals(given, token, StringComparison.Ordinal))
            {
                http.Response.Headers.WWWAuthenticate = "Bearer";
                await Results.Problem("send Authorization: Bearer <Emulator:AdminToken>", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized").ExecuteAsync(http);
                return;
            }
        }
        else if (http.Connection.RemoteIpAddress is { } remote && !IPAddress.IsLoopback(remote))
        {
            await Results.Problem("the control API answers only loopback callers unless Emulator:AdminToken is set", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden").ExecuteAsync(http);
            return;
        }

        await next(http);
    }
}
