using Microsoft.AspNetCore.Http.HttpResults;

namespace Emulator.Control;

/// <summary>The control API's problem details (RFC 9457) with a detail that says what to fix.</summary>
public static class ControlProblems
{
    public static ProblemHttpResult UnknownMerchant(string clientId) =>
        TypedResults.Problem(detail: $"no merchant '{clientId}'; create it with PUT {ControlApi.Prefix}/merchants/{clientId}", statusCode: StatusCodes.Status404NotFound);

    public static ProblemHttpResult BadRequest(string detail) => TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest);

    public static ProblemHttpResult NotFound(string detail) => TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound);

    public static ProblemHttpResult Conflict(string detail) => TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status409Conflict);
}
