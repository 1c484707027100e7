namespace Emulator.Persistence;

/// <summary>
/// A merchant's turn at its time machine (<see cref="Database.LockMerchantAsync"/>), held until disposed. On a shared
/// database it also shows the other instances how far its run has come, and takes what their calls changed meanwhile.
/// </summary>
public class MerchantTurn : IAsyncDisposable
{
    /// <summary>The turn of an unshared database: nothing to show anyone.</summary>
    public static readonly MerchantTurn Local = new();

    /// <summary>Shows the other instances that a run is under way, the instant it has reached and whether it is an advance.</summary>
    public virtual Task PublishAsync(DateTimeOffset? reached, bool advancing, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>What calls through other instances changed since the last time this was asked (events as JSON), oldest first.</summary>
    public virtual Task<IReadOnlyList<string>> TakeToldAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<string>>([]);

    /// <summary>
    /// The run is over: other instances stop seeing it (before this instance forgets it, so that no call in between
    /// takes this instance's own run for another's), and what was told to it too late is dropped.
    /// </summary>
    public virtual Task EndRunAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
