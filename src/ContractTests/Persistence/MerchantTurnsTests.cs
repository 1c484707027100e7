using Emulator.Persistence;

namespace ContractTests.Persistence;

/// <summary>
/// An instance's merchant turns on a shared database: callers before the background loop, a loop run whose merchant a
/// caller waits for with the callers, and no turn lost to a waiter that gave up.
/// </summary>
public sealed class MerchantTurnsTests
{
    [Fact]
    public async Task AFreedTurn_GoesToAWaitingCaller_BeforeTheLoopRunsThatWaitedLonger()
    {
        var turns = new MerchantTurns(1);
        await turns.WaitAsync("holder", caller: true, CancellationToken.None);
        var loopRun = turns.WaitAsync("a", caller: false, CancellationToken.None);
        var advance = turns.WaitAsync("b", caller: true, CancellationToken.None);

        turns.Release();
        await advance.WaitAsync(TimeSpan.FromSeconds(5));
        loopRun.IsCompleted.Should().BeFalse("the one turn went to the caller");
        turns.Release();
        await loopRun.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ALoopRunWhoseMerchantACallerWaitsFor_WaitsWithTheCallers_NotBehindEveryLaterOne()
    {
        // The loop run holds its merchant's gate while it waits for a turn; the caller waiting for that gate would
        // otherwise wait for as long as callers of other merchants keep coming.
        var turns = new MerchantTurns(1);
        await turns.WaitAsync("holder", caller: true, CancellationToken.None);
        var queuedRun = turns.WaitAsync("queued", caller: false, CancellationToken.None);
        var otherRun = turns.WaitAsync("other", caller: false, CancellationToken.None);

        using (turns.CallerWaits("queued"))
        {
            var laterCaller = turns.WaitAsync("later", caller: true, CancellationToken.None);
            using (turns.CallerWaits("not-yet"))
            {
                var runQueuedAfter = turns.WaitAsync("not-yet", caller: false, CancellationToken.None);

                turns.Release();
                await queuedRun.WaitAsync(TimeSpan.FromSeconds(5));
                laterCaller.IsCompleted.Should().BeFalse("the promoted run was first among the callers");
                turns.Release();
                await laterCaller.WaitAsync(TimeSpan.FromSeconds(5));
                turns.Release();
                await runQueuedAfter.WaitAsync(TimeSpan.FromSeconds(5));
                otherRun.IsCompleted.Should().BeFalse("a loop run nobody waits for comes after the callers");
            }
        }

        turns.Release();
        await otherRun.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AWaiterThatGaveUp_IsSkipped_AndNoTurnIsLost()
    {
        var turns = new MerchantTurns(1);
        await turns.WaitAsync("holder", caller: false, CancellationToken.None);
        using var givesUp = new CancellationTokenSource();
        var gaveUp = turns.WaitAsync("a", caller: true, givesUp.Token);

        await givesUp.CancelAsync();
        turns.Release();

        await FluentActions.Awaiting(() => gaveUp).Should().ThrowAsync<OperationCanceledException>();
        await turns.WaitAsync("b", caller: false, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
    }
}
