using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;

namespace Emulator.Control;

/// <summary>
/// A control API call whose body cannot be read (not JSON, a field of the wrong type, no body, another media type) is
/// refused in problem details that say what was wrong, as every other refusal is (CONTROL-API.md conventions), instead
/// of the framework's empty 400 or 415. The detail names the field and the kind of value it takes, not the emulator's
/// own types.
/// </summary>
public sealed class UnreadableBodyProblems(IProblemDetailsService problems) : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException unreadable)
        {
            return false;
        }

        var detail = unreadable.InnerException switch
        {
            JsonException json when Faults.FaultBody.UnknownField(json) is { } unknown => $"the body's {unknown}",
            JsonException json when TestNotificationBody.UnknownField(json) is { } unknown => $"the body's {unknown}",
            JsonException { Path: { Length: > 2 } path } json when OfTheWrongType(json) =>
                $"the body's {path[2..]} {Expected(BodyType(httpContext), path[2..])} (docs/control-api.md and GET /_emulator/v1/openapi.json give each field)",
            JsonException { Path: "$" } json when OfTheWrongType(json) => "the body must be a JSON object (docs/control-api.md and GET /_emulator/v1/openapi.json give its fields)",
            JsonException { Path: { Length: > 2 } path } json => $"the body's {path[2..]}: {json.Message}",
            JsonException json => $"the body is not readable JSON: {json.Message}",
            { } cause => $"{unreadable.Message.TrimEnd('.')}: {cause.Message}",
            null when unreadable.Message.Contains("no body was provided", StringComparison.Ordinal) => "a JSON body is required (docs/control-api.md and GET /_emulator/v1/openapi.json give its fields)",
            null => unreadable.Message,
        };
        httpContext.Response.StatusCode = unreadable.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = { Status = unreadable.StatusCode, Detail = detail },
            Exception = exception,
        });
    }

    // System.Text.Json's words for a value it read but could not convert (the JSON itself was readable).
    private static bool OfTheWrongType(JsonException json) => json.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal);

    // The exception handler runs without the endpoint; the feature keeps the one that failed.
    private static Type? BodyType(HttpContext httpContext) =>
        httpContext.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Endpoint?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;

    /// <summary>What the field at a JSON path (<c>clock.frozenAt</c>) of the body type takes, as a client would write it.</summary>
    private static string Expected(Type? body, string path)
    {
        var type = body;
        foreach (var name in path.Split('.'))
        {
            var property = type?.GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            type = property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        }

        return type switch
        {
            null => "has a value of the wrong type",
            _ when type == typeof(string) => "must be a string",
            _ when type == typeof(DateTimeOffset) => "must be an ISO-8601 instant with an offset, written as a string",
            _ when type == typeof(TimeSpan) => "must be a duration, written as a string",
            _ when type == typeof(bool) => "must be true or false",
            _ when type.IsEnum => "must be one of the documented names, written as a string",
            _ when type == typeof(int) => $"must be a whole number up to {int.MaxValue}",
            _ when type == typeof(long) => "must be a whole number",
            _ when type.IsPrimitive || type == typeof(decimal) => "must be a number",
            _ when type != typeof(string) && typeof(System.Collections.IEnumerable).IsAssignableFrom(type) => "must be an array",
            _ => "must be an object",
        };
    }
}
