namespace Emulator.Control;

/// <summary>
/// A control API or dashboard call cut short because this instance is stopping (a deploy, <c>SIGTERM</c>): its run
/// ended where it was. A 503 that says so and what to do, instead of a bare 500: what was committed stays, what was not
/// is undone, so the call can be sent again (an advance sent again with the same <c>{"to":…}</c> finishes its run).
/// </summary>
public sealed class StoppingProblems(IProblemDetailsService problems, IHostApplicationLifetime lifetime) : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not OperationCanceledException || !lifetime.ApplicationStopping.IsCancellationRequested || httpContext.Response.HasStarted)
        {
            return false;
        }

        return await Unavailable.WriteAsync(
            httpContext,
            problems,
            exception,
            "Instance stopping",
            "this emulator instance is stopping, and its run ended where it was; what was committed stays, what was not is undone: send the call again once an instance answers (an advance sent again with the same \"to\" finishes its run; nothing is charged twice)",
            "This emulator instance is stopping, and its run ended where it was. What was committed stays, what was not is undone: send the form again once an instance answers.");
    }
}
