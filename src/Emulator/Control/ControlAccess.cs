using System.Net;
using System.Security.Cryptography;
using System.Text;
using Emulator.Hosting;
using Microsoft.Extensions.Options;
using static Emulator.Dashboard.Html;

namespace Emulator.Control;

/// <summary>
/// Guards everything under <c>/_emulator</c> (the control API, its OpenAPI document and reference, the dashboard): a
/// bearer token when one is configured, otherwise loopback callers and those of <c>Emulator:ControlNetworks</c> only.
/// A middleware, so that it answers before a request body is read: a caller without the token gets 401, whatever it
/// sent. A browser, which cannot send a bearer token, signs in once at <c>/_emulator/login</c> and then carries the
/// token in a cookie (HttpOnly, SameSite=Strict, so no other site's page can use it).
/// </summary>
public sealed class ControlAccess(RequestDelegate next, IOptions<EmulatorOptions> options)
{
    public const string Root = "/_emulator";
    public const string LoginPath = Root + "/login";
    public const string CookieName = "emulator-admin-token";

    private readonly IPNetwork[] networks = [.. options.Value.ControlNetworks.Select(n => IPNetwork.Parse(n))];

    public async Task InvokeAsync(HttpContext http)
    {
        var token = options.Value.AdminToken;
        var request = http.Request;
        var change = !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method);
        var header = request.Headers.Authorization.ToString();
        var bearer = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
        if (change && !bearer && FromAnotherSite(request) && !request.Path.Equals(LoginPath, StringComparison.OrdinalIgnoreCase))
        {
            // Without a token, loopback callers are trusted: a page of any site the developer visits could otherwise
            // post a form to the dashboard on localhost (advance a clock, add a fault) or approve a request.
            await Results.Problem(
                $"a change to the emulator from another site's page is refused (Origin '{request.Headers.Origin}', Sec-Fetch-Site '{request.Headers["Sec-Fetch-Site"]}'); use the emulator's own pages, or call the control API from a script",
                statusCode: StatusCodes.Status403Forbidden, title: "Forbidden").ExecuteAsync(http);
            return;
        }

        if (token.Length > 0)
        {
            if (http.Request.Path.Equals(LoginPath, StringComparison.OrdinalIgnoreCase))
            {
                await LoginAsync(http, token);
                return;
            }

            var given = bearer ? header["Bearer ".Length..].Trim() : request.Cookies[CookieName];
            if (!bearer && given is not null && change && !SameOrigin(request))
            {
                // A browser sends the cookie with a form another page posts (SameSite stops other sites, not other
                // ports or subdomains of this one): a change made with the cookie must come from the dashboard itself.
                await Results.Problem("a change made with the sign-in cookie must come from this emulator's own pages (Origin or Sec-Fetch-Site); scripts send Authorization: Bearer <token>", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden").ExecuteAsync(http);
                return;
            }

            if (!Matches(given, token))
            {
                if (HttpMethods.IsGet(http.Request.Method) && http.Request.Path.StartsWithSegments(Dashboard.DashboardPages.Root))
                {
                    http.Response.Redirect($"{LoginPath}?back={Uri.EscapeDataString(http.Request.Path + http.Request.QueryString)}");
                    return;
                }

                http.Response.Headers.WWWAuthenticate = "Bearer";
                await Results.Problem($"send Authorization: Bearer <Emulator:AdminToken> (a browser signs in at {LoginPath})", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized").ExecuteAsync(http);
                return;
            }
        }
        else if (http.Connection.RemoteIpAddress is { } remote && (remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote) is var caller && !Trusted(caller))
        {
            await Results.Problem(
                $"the control API answers only loopback callers{(networks.Length > 0 ? " and those of Emulator:ControlNetworks" : "")} unless Emulator:AdminToken is set (this caller: {remote}; to trust its network, add it to Emulator:ControlNetworks, e.g. Emulator__ControlNetworks__0={caller}/32)",
                statusCode: StatusCodes.Status403Forbidden, title: "Forbidden").ExecuteAsync(http);
            return;
        }

        await next(http);
    }

    /// <summary>The sign-in form (GET), and its post: the right token sets the cookie and goes back to the dashboard.</summary>
    private static async Task LoginAsync(HttpContext http, string token)
    {
        var back = http.Request.Query["back"].ToString();
        if (HttpMethods.IsPost(http.Request.Method) && http.Request.HasFormContentType)
        {
            IFormCollection form;
            try
            {
                form = await http.Request.ReadFormAsync(http.RequestAborted);
            }
            catch (InvalidDataException)
            {
                // A NUL, a broken multipart body: a 400 saying so, as the dashboard's own forms answer (it was a 500).
                await Form(http, "", "The form could not be read.", StatusCodes.Status400BadRequest);
                return;
            }

            back = form["back"].ToString();
            if (Matches(form["token"].ToString(), token))
            {
                http.Response.Cookies.Append(CookieName, token, new CookieOptions
                {
                    HttpOnly = true,
                    SameSite = SameSiteMode.Strict,
                    Secure = http.Request.IsHttps,
                    Path = Root,
                });
                http.Response.StatusCode = StatusCodes.Status303SeeOther;
                http.Response.Headers.Location = back.StartsWith(Dashboard.DashboardPages.Root, StringComparison.Ordinal) ? back : Dashboard.DashboardPages.Root;
                return;
            }

            await Form(http, back, "That is not the emulator's admin token.", StatusCodes.Status401Unauthorized);
            return;
        }

        await Form(http, back, null, StatusCodes.Status200OK);
    }

    private static Task Form(HttpContext http, string back, string? error, int status) => Page(
        "Sign in",
        (error is null ? "" : $"<p class=\"closed\">{E(error)}</p>")
        + $"<p>This emulator's control API and dashboard want its admin token (<code>Emulator:AdminToken</code>).</p>"
        + $"<form method=\"post\" action=\"{LoginPath}\"><input type=\"hidden\" name=\"back\" value=\"{E(back)}\">"
        + "<input type=\"password\" name=\"token\" autocomplete=\"current-password\" size=\"40\" autofocus> <button>Sign in</button></form>",
        status).ExecuteAsync(http);

    /// <summary>
    /// A request a browser made from another site's page (a different origin: another host, port or scheme). Requests
    /// without a browser's provenance headers (scripts, SDKs, test clients) are not.
    /// </summary>
    private bool FromAnotherSite(HttpRequest request) =>
        request.Headers["Sec-Fetch-Site"].ToString() is { Length: > 0 } site
            ? site is not ("same-origin" or "none")
            : request.Headers.Origin.ToString() is { Length: > 0 } origin && !IsOwnOrigin(request, origin);

    /// <summary>A request a browser made from one of this emulator's own pages.</summary>
    private bool SameOrigin(HttpRequest request) =>
        request.Headers["Sec-Fetch-Site"].ToString() == "same-origin" || IsOwnOrigin(request, request.Headers.Origin.ToString());

    /// <summary>
    /// The emulator's own origin as the browser sees it: the request's scheme and host; behind a proxy that rewrites
    /// them, <c>Emulator:PublicBaseUrl</c> or the proxy's <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Host</c>. (Browsers
    /// send no <c>Sec-Fetch-Site</c> to plain-HTTP origins other than localhost: there the origin is all there is.)
    /// </summary>
    private bool IsOwnOrigin(HttpRequest request, string origin)
    {
        bool Is(string candidate) => string.Equals(origin, candidate.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
        return origin.Length > 0
            && (Is($"{request.Scheme}://{request.Host}")
                || (Uri.TryCreate(options.Value.PublicBaseUrl, UriKind.Absolute, out var configured) && Is(configured.GetLeftPart(UriPartial.Authority)))
                || (request.Headers["X-Forwarded-Host"].ToString() is { Length: > 0 } forwarded
                    && Is($"{(request.Headers["X-Forwarded-Proto"].ToString() is { Length: > 0 } proto ? proto : request.Scheme)}://{forwarded}")));
    }

    private static bool Matches(string? given, string token) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token));

    private bool Trusted(IPAddress remote) => IPAddress.IsLoopback(remote) || networks.Any(n => n.Contains(remote));
}
