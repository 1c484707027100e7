namespace Emulator.Persistence;

/// <summary>
/// The merchant turns of one instance on a shared database (each running or waiting merchant holds one for its lock),
/// handed out first to callers that asked for the merchant (an advance, an approval, a redelivery), then to the
/// background loop: when turns run short, the loop's runs of every merchant with due work queue up, and a caller must
/// not wait behind all of them. A loop run holds its merchant's gate while it waits, so a caller waiting for that gate
/// lends the run its place (<see cref="CallerWaits"/>): it then waits with the callers.
/// </summary>
public sealed class MerchantTurns(int count)
{
    private readonly object gate = new();
    private readonly Queue<TaskCompletionSource> callers = new();
    private readonly LinkedList<(string ClientId, TaskCompletionSource Waiter)> loop = new();
    private readonly Dictionary<string, int> wanted = new(StringComparer.Ordinal);
    private int free = count;

    /// <summary>Waits for a turn; a <paramref name="caller"/> goes before every waiting background-loop run.</summary>
    public Task WaitAsync(string clientId, bool caller, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (gate)
        {
            // A turn is free only while nobody waits: a released turn goes to a waiter first.
            if (free > 0)
            {
                free--;
                return Task.CompletedTask;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (caller || wanted.ContainsKey(clientId))
            {
                callers.Enqueue(waiter);
            }
            else
            {
                loop.AddLast((clientId, waiter));
            }
        }

        if (cancellationToken.CanBeCanceled)
        {
            // A waiter cancelled after it was handed its turn keeps it (its await returns): it releases it as usual.
            var registration = cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken));
            _ = waiter.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return waiter.Task;
    }

    /// <summary>
    /// A caller is about to wait for <paramref name="clientId"/>'s gate, which that merchant's loop run may hold while
    /// it waits for a turn: until disposed, that run (queued already or not yet) waits with the callers.
    /// </summary>
    public IDisposable CallerWaits(string clientId)
    {
        lock (gate)
        {
            wanted[clientId] = wanted.GetValueOrDefault(clientId) + 1;
            for (var node = loop.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.ClientId == clientId)
                {
                    loop.Remove(node);
                    callers.Enqueue(node.Value.Waiter);
                }

                node = next;
            }
        }

        return new Waiting(this, clientId);
    }

    /// <summary>How many wait for a turn now (those that gave up not counted).</summary>
    public int Awaited
    {
        get
        {
            lock (gate)
            {
                return callers.Count(w => !w.Task.IsCompleted) + loop.Count(w => !w.Waiter.Task.IsCompleted);
            }
        }
    }

    /// <summary>How many callers wait for their merchant's gate now (<see cref="CallerWaits"/>), whoever holds it.</summary>
    public int CallersAtGates
    {
        get
        {
            lock (gate)
            {
                return wanted.Values.Sum();
            }
        }
    }

    public void Release()
    {
        lock (gate)
        {
            // Waiters that gave up are skipped: their tasks are already cancelled.
            while (callers.TryDequeue(out var next))
            {
                if (next.TrySetResult())
                {
                    return;
                }
            }

            while (loop.First is { } first)
            {
                loop.RemoveFirst();
                if (first.Value.Waiter.TrySetResult())
                {
                    return;
                }
            }

            free++;
        }
    }

    private void StopWaiting(string clientId)
    {
        lock (gate)
        {
            if (--wanted[clientId] == 0)
            {
                wanted.Remove(clientId);
            }
        }
    }

    private sealed class Waiting(MerchantTurns turns, string clientId) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                turns.StopWaiting(clientId);
            }
        }
    }
}
