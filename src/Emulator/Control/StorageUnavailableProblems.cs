using System.Data.Common;

namespace Emulator.Control;

/// <summary>
/// A control API or dashboard call that failed because the database did not answer (a PostgreSQL server restarting or
/// out of connections, a stale pooled connection) is a 503 whose detail says so and what to do, instead of a bare 500.
/// What was committed stays; what was not is undone, so the call can be sent again (an advance with the same
/// <c>{"to":…}</c> finishes its run). The emulated Antom API answers such a failure itself, with a signed <c>U</c>.
/// </summary>
public sealed class StorageUnavailableProblems(IProblemDetailsService problems, ILogger<StorageUnavailableProblems> logger) : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (Persistence.DatabaseFailures.Transient(exception) is not { } failure || httpContext.Response.HasStarted)
        {
            return false;
        }

        logger.LogWarning(failure, "The database failed during {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
        return await Unavailable.WriteAsync(
            httpContext,
            problems,
            exception,
            "Database unavailable",
            $"the database did not answer ({failure.Message}); what was not committed is undone: send the call again (an advance sent again with the same \"to\" finishes its run; nothing is charged twice)",
            $"The database did not answer ({failure.Message}). What was not committed is undone: reload the page, or send the form again, once it answers.");
    }
}
