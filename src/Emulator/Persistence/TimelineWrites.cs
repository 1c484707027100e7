namespace Emulator.Persistence;

/// <summary>
/// Which subscriptions had timeline rows committed since a given moment, as this process knows it (on a shared
/// database another instance's writes are not seen, so the mark is always read again there): a notification read
/// to be sent carries the timeline's end as it was then (its mark), and when it is sent later (it waited for a delivery
/// slot) a row written for its subscription meanwhile makes that mark stale. Kept in a fixed table of tickets by hash
/// of the subscription id, so that it costs a few hundred kilobytes whatever the number of subscriptions; two
/// subscriptions sharing a slot only cost a needless fresh read of the mark.
/// </summary>
public sealed class TimelineWrites
{
    private const int Slots = 1 << 16;
    private readonly long[] tickets = new long[Slots];
    private long counter;

    /// <summary>The ticket of the latest write noted so far: take it before reading the mark.</summary>
    public long Now => Volatile.Read(ref counter);

    /// <summary>Notes that rows of <paramref name="subscriptionId"/>'s timeline were committed.</summary>
    public void Wrote(string subscriptionId)
    {
        var ticket = Interlocked.Increment(ref counter);
        ref var slot = ref tickets[Slot(subscriptionId)];
        for (var seen = Volatile.Read(ref slot); seen < ticket; seen = Volatile.Read(ref slot))
        {
            if (Interlocked.CompareExchange(ref slot, ticket, seen) == seen)
            {
                return;
            }
        }
    }

    /// <summary>Whether rows of <paramref name="subscriptionId"/>'s timeline may have been written after <paramref name="ticket"/> was taken.</summary>
    public bool WrittenSince(string subscriptionId, long ticket) => Volatile.Read(ref tickets[Slot(subscriptionId)]) > ticket;

    private static int Slot(string subscriptionId) => subscriptionId.GetHashCode(StringComparison.Ordinal) & (Slots - 1);
}
