using Emulator.Merchants;

namespace Emulator.Scheduling;

/// <summary>Deletes a merchant (the control API's <c>DELETE</c>, the retention sweep) once a run of it under way has ended.</summary>
public sealed class MerchantRemoval(MerchantRegistry merchants, MerchantClocks clocks, TimeMachine machine)
{
    /// <summary>Waits for a run of the merchant under way (its caller may have given up) to end: what it does after the delete would outlive it.</summary>
    public Task<bool> DeleteAsync(string clientId, CancellationToken cancellationToken) =>
        machine.BetweenRunsAsync(clientId, async ct =>
        {
            var deleted = await merchants.DeleteAsync(clientId, ct);
            clocks.Forget(clientId);
            return deleted;
        }, cancellationToken);
}
