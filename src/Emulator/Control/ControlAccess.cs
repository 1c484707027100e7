using System.Net;
using Emulator.Hosting;
using Microsoft.Extensions.Options;

namespace Emulator.Control;

/// <summary>
/// Guards everything under <c>/_emulator</c> (the control API, its OpenAPI document and reference, the dashboard): a
/// bearer token when one is configured, otherwise loopback callers and those of <c>Emulator:ControlNetworks</c> only.
/// A middleware, so that it answers before a request body is read: a caller without the token gets 401, whatever it
/// sent.
/// </summary>
public sealed class ControlAccess(RequestDelegate next, IOptions<EmulatorOptions> options)
{
    public const string Root = "/_emulator";

    private readonly IPNetwork[] networks = [.. options.Value.ControlNetworks.Select(n => IPNetwork.Parse(n))];

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
        else if (http.Connection.RemoteIpAddress is { } remote && !Trusted(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote))
        {
            await Results.Problem(
                $"the control API answers only loopback callers{(networks.Length > 0 ? " and those of Emulator:ControlNetworks" : "")} unless Emulator:AdminToken is set (this caller: {remote})",
                statusCode: StatusCodes.Status403Forbidden, title: "Forbidden").ExecuteAsync(http);
            return;
        }

        await next(http);
    }

    private bool Trusted(IPAddress remote) => IPAddress.IsLoopback(remote) || networks.Any(n => n.Contains(remote));
}
