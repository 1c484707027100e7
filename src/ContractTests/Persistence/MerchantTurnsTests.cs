using Emulator.Persistence;

namespace ContractTests.Persistence;

/// <summary>An instance's merchant turns on a shared database: callers before the background loop, none lost to a waiter that gave up.</summary>
public sealed class MerchantTurnsTests
{
    [Fact]
    public async Task AFreedTurn_GoesToAWaitingCaller_BeforeTheLoopRunsThatWaitedLonger()
    {
        var turns = new MerchantTurns(1);
        await turns.WaitAsync(caller: true, CancellationToken.None);
        var loopRun = turns.WaitAsync(caller: false, CancellationToken.None);
        var advance = turns.WaitAsync(caller: true, CancellationToken.None);

        turns.Release();
        await advance.WaitAsync(TimeSpan.FromSeconds(5));
        loopRun.IsCompleted.Should().BeFalse("the one turn went to the caller");
        turns.Release();
        await loopRun.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AWaiterThatGaveUp_IsSkipped_AndNoTurnIsLost()
    {
        var turns = new MerchantTurns(1);
        await turns.WaitAsync(caller: false, CancellationToken.None);
        using var givesUp = new CancellationTokenSource();
        var gaveUp = turns.WaitAsync(caller: true, givesUp.Token);

        await givesUp.CancelAsync();
        turns.Release();

        await FluentActions.Awaiting(() => gaveUp).Should().ThrowAsync<OperationCanceledException>();
        await turns.WaitAsync(caller: false, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
    }
}
