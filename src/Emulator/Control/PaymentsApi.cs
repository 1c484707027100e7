using Emulator.Domain;
using Emulator.Faults;
using Emulator.Lifecycle;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Emulator.Control;

/// <summary>Period payments a deduction fault left under way (docs/faults.md "effect"): settled when a test says so.</summary>
public static class PaymentsApi
{
    public static RouteGroupBuilder MapPaymentsApi(this RouteGroupBuilder merchant)
    {
        merchant.MapPost("/payments/{paymentId}/settle", SettleAsync).WithName("SettlePayment");
        return merchant;
    }

    /// <summary>
    /// A period's payment under way succeeds or fails now (the merchant's clock); its notifyPayment has had its first
    /// delivery attempt when this answers, as after an approve. 409 when it is not under way.
    /// </summary>
    public static async Task<Results<Ok<Phase>, ProblemHttpResult>> SettleAsync(
        string clientId, string paymentId, SettlePaymentBody body, PaymentSettlements settlements, ResultCodeCatalogue catalogue, CancellationToken cancellationToken)
    {
        if (body.Result(catalogue) is not { } result)
        {
            return ControlProblems.BadRequest(body.Problem(catalogue)!);
        }

        return await settlements.SettleAsync(clientId, paymentId, result, cancellationToken) switch
        {
            (null, null, _) => ControlProblems.NotFound($"no payment '{paymentId}' of merchant '{clientId}'"),
            (_, { } conflict, _) => ControlProblems.Conflict(conflict),
            ({ } settled, null, _) => TypedResults.Ok(settled),
        };
    }
}

/// <summary>The body of <c>POST …/payments/{paymentId}/settle</c>: <c>SUCCESS</c>, or <c>FAIL</c> with a deduction code (default <c>PROCESS_FAIL</c>).</summary>
public sealed record SettlePaymentBody(string? Status, string? ResultCode)
{
    /// <summary>How the payment ends, or null when the body says nothing valid (<see cref="Problem"/> says why).</summary>
    public DeductionResult? Result(ResultCodeCatalogue catalogue) => (Status, ResultCode) switch
    {
        ("SUCCESS", null) => DeductionResult.Success,
        ("FAIL", var code) when catalogue.Find(FaultTargets.Deduction, code ?? "PROCESS_FAIL") is { ResultStatus: "F" } row => new DeductionResult("F", row.Code, row.Message),
        _ => null,
    };

    public string? Problem(ResultCodeCatalogue catalogue) => Status switch
    {
        _ when Result(catalogue) is not null => null,
        "SUCCESS" => "resultCode goes with status FAIL: a payment that succeeds is SUCCESS",
        "FAIL" => $"resultCode must be an F result code of deduction: {string.Join(", ", catalogue.CodesOf(FaultTargets.Deduction).Where(c => catalogue.Find(FaultTargets.Deduction, c)!.ResultStatus == "F"))} (got '{ResultCode}')",
        _ => $"status must be SUCCESS or FAIL (got '{Status}')",
    };
}
