namespace Emulator.Control;

/// <summary>
/// A control API call whose body cannot be read (not JSON, a field of the wrong type, no body, another media type) is
/// refused in problem details that say what was wrong, as every other refusal is (CONTROL-API.md conventions), instead
/// of the framework's empty 400 or 415.
/// </summary>
public sealed class UnreadableBodyProblems(IProblemDetailsService problems) : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException unreadable)
        {
            return false;
        }

        var detail = unreadable.InnerException is { } cause ? $"{unreadable.Message.TrimEnd('.')}: {cause.Message}" : unreadable.Message;
        httpContext.Response.StatusCode = unreadable.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = { Status = unreadable.StatusCode, Detail = detail },
            Exception = exception,
        });
    }
}
