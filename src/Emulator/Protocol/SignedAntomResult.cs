namespace Emulator.Protocol;

/// <summary>
/// HTTP 200 with the signed body and the lower-case headers the SDKs read by exact name (SPEC §1.4, §9).
/// </summary>
public sealed class SignedAntomResult(byte[] body, string clientId, string responseTime, string? signature) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=UTF-8";
        response.ContentLength = body.Length;
        response.Headers["client-id"] = clientId;
        response.Headers["response-time"] = responseTime;
        if (signature is not null)
        {
            response.Headers["signature"] = signature;
        }
        await response.Body.WriteAsync(body, httpContext.RequestAborted);
    }
}
