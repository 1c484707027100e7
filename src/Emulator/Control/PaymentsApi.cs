using Emulator.Domain;
using Emulator.Faults;
using Emulator.Lifecycle;
using Emulator.Scheduling;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Emulator.Control;

/// <summary>Period payments a deduction fault left under way (README "deduction"): settled when a test says so.</summary>
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
        string clientId, string paymentId, SettlePaymentBody body, SubscriptionService service, MerchantClocks clocks, TimeMachine machine, MerchantRuns runs,
        ResultCodeCatalogue catalogue, CancellationToken cancellationToken)
    {
        DeductionResult result;
        switch (body.Status)
        {
            case "SUCCESS" when body.ResultCode is null:
                result = DeductionResult.Success;
                break;
            case "SUCCESS":
                return ControlProblems.BadRequest("resultCode goes with status FAIL: a payment that succeeds is SUCCESS");
            case "FAIL":
                var code = body.ResultCode ?? "PROCESS_FAIL";
                if (catalogue.Find(FaultTargets.Deduction, code) is not { ResultStatus: "F" } row)
                {
                    return ControlProblems.BadRequest(
                        $"resultCode must be an F result code of deduction: {string.Join(", ", catalogue.CodesOf(FaultTargets.Deduction).Where(c => catalogue.Find(FaultTargets.Deduction, c)!.ResultStatus == "F"))} (got '{code}')");
                }

                result = new DeductionResult("F", code, row.Message);
                break;
            default:
                return ControlProblems.BadRequest($"status must be SUCCESS or FAIL (got '{body.Status}')");
        }

        DateTimeOffset now = default;
        var (subscription, settled, conflict) = await service.SettlePaymentAsync(clientId, paymentId, result, async ct => now = await clocks.NowAsync(clientId, ct), cancellationToken);
        if (subscription is null)
        {
            return ControlProblems.NotFound($"no payment '{paymentId}' of merchant '{clientId}'");
        }

        if (conflict is not null)
        {
            return ControlProblems.Conflict(conflict);
        }

        await runs.TellAsync(clientId, subscription.Events.Select(e => TimeMachine.ToJournal(subscription.SubscriptionId, e)).OfType<JournalEvent>(), cancellationToken);
        await machine.RunWhatACallCausedAsync(clientId, now, cancellationToken);
        return TypedResults.Ok(settled!);
    }
}

/// <summary>The body of <c>POST …/payments/{paymentId}/settle</c>: <c>SUCCESS</c>, or <c>FAIL</c> with a deduction code (default <c>PROCESS_FAIL</c>).</summary>
public sealed record SettlePaymentBody(string? Status, string? ResultCode);
