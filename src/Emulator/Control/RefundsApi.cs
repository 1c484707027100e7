using Emulator.Domain;
using Emulator.Lifecycle;
using Emulator.Scheduling;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Emulator.Control;

/// <summary>Refunds a fault left processing (docs/emulation.md "refund"): settled as a wallet would, when a test says so.</summary>
public static class RefundsApi
{
    public static RouteGroupBuilder MapRefundsApi(this RouteGroupBuilder merchant)
    {
        merchant.MapPost("/refunds/{refundId}/settle", SettleAsync).WithName("SettleRefund");
        return merchant;
    }

    /// <summary>A <c>PROCESSING</c> refund succeeds or fails now (the merchant's clock); 409 when it is not processing.</summary>
    public static async Task<Results<Ok<Refund>, ProblemHttpResult>> SettleAsync(
        string clientId, string refundId, SettleRefundBody body, SubscriptionService service, MerchantClocks clocks, CancellationToken cancellationToken)
    {
        if (body.Status is not (Refund.Success or Refund.Fail))
        {
            return ControlProblems.BadRequest($"status must be {Refund.Success} or {Refund.Fail} (got '{body.Status}')");
        }

        return await service.SettleRefundAsync(clientId, refundId, body.Status, ct => clocks.NowAsync(clientId, ct), cancellationToken) switch
        {
            (null, _) => ControlProblems.NotFound($"no refund '{refundId}' of merchant '{clientId}'"),
            (_, { } conflict) => ControlProblems.Conflict(conflict),
            ({ } settled, null) => TypedResults.Ok(settled),
        };
    }
}

/// <summary>The body of <c>POST …/refunds/{refundId}/settle</c>: <c>SUCCESS</c> or <c>FAIL</c>.</summary>
public sealed record SettleRefundBody(string? Status);
