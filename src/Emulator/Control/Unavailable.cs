namespace Emulator.Control;

/// <summary>
/// The answer to a control API or dashboard call that the emulator cannot serve now (the database gone, the instance
/// stopping): a 503 that says why and what to do, as problem details, or as a page a browser shows under the dashboard.
/// </summary>
internal static class Unavailable
{
    public static async ValueTask<bool> WriteAsync(
        HttpContext httpContext, IProblemDetailsService problems, Exception exception, string title, string detail, string forPeople)
    {
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "1";
        if (Dashboard.DashboardPages.IsDashboard(httpContext.Request))
        {
            await Dashboard.DashboardPages.Unavailable(title, forPeople).ExecuteAsync(httpContext);
            return true;
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = { Status = StatusCodes.Status503ServiceUnavailable, Title = title, Detail = detail },
            Exception = exception,
        });
    }
}
