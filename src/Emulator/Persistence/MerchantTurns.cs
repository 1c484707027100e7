namespace Emulator.Persistence;

/// <summary>
/// The merchant turns of one instance on a shared database (each running or waiting merchant holds one for its lock),
/// handed out first to callers that asked for the merchant (an advance, an approval, a redelivery), then to the
/// background loop: when turns run short, the loop's runs of every merchant with due work queue up, and a caller must
/// not wait behind all of them.
/// </summary>
public sealed class MerchantTurns(int count)
{
    private readonly object gate = new();
    private readonly Queue<TaskCompletionSource> callers = new(), loop = new();
    private int free = count;

    /// <summary>Waits for a turn; <paramref name="caller"/> goes before every waiting background-loop run.</summary>
    public Task WaitAsync(bool caller, CancellationToken cancellationToken)
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
            (caller ? callers : loop).Enqueue(waiter);
        }

        if (cancellationToken.CanBeCanceled)
        {
            // A waiter cancelled after it was handed its turn keeps it (its await returns): it releases it as usual.
            var registration = cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken));
            _ = waiter.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return waiter.Task;
    }

    public void Release()
    {
        lock (gate)
        {
            // Waiters that gave up are skipped: their tasks are already cancelled.
            while (callers.TryDequeue(out var next) || loop.TryDequeue(out next))
            {
                if (next.TrySetResult())
                {
                    return;
                }
            }

            free++;
        }
    }
}
