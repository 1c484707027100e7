namespace ContractTests.Support;

/// <summary>A clock the test moves that counts the waits of <paramref name="park"/> begun on it (a transport delay fault's).</summary>
public sealed class ParkingTime(DateTimeOffset start, TimeSpan park) : Microsoft.Extensions.Time.Testing.FakeTimeProvider(start)
{
    private int parked;

    /// <summary>How many waits of that length have begun.</summary>
    public int Parked => Volatile.Read(ref parked);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime == park)
        {
            Interlocked.Increment(ref parked);
        }

        return base.CreateTimer(callback, state, dueTime, period);
    }

    /// <summary>Polls until <paramref name="count"/> waits have begun.</summary>
    public async Task ParkedAsync(int count)
    {
        var deadline = global::System.Diagnostics.Stopwatch.StartNew();
        while (Volatile.Read(ref parked) < count)
        {
            deadline.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30), $"{count} calls should be waiting, {Volatile.Read(ref parked)} are");
            await Task.Delay(10);
        }
    }
}
