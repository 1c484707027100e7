using System.Collections.Concurrent;
using System.Threading.Channels;
using Emulator.Domain;
using Emulator.Faults;
using Emulator.Hosting;
using Emulator.Notifications;
using Emulator.Persistence;
using Microsoft.Extensions.Options;

namespace Emulator.Scheduling;

/// <summary>
/// The one function that makes time pass for a merchant: <see cref="RunDueAsync"/> does, in time order, everything
/// that falls due up to an instant (authorization expiries, deductions, ends of subscriptions, notification attempts and
/// retries). The background loop calls it with the merchant's clock; <c>clock/advance</c> with its target.
/// </summary>
public sealed class TimeMachine(
    Database database,
    SubscriptionStore subscriptions,
    Outbox outbox,
    NotificationDispatcher dispatcher,
    SubscriptionIds ids,
    FaultStore faults,
    ResultCodeCatalogue catalogue,
    MerchantClocks clocks,
    MerchantRuns runs,
    MerchantStore merchants,
    IOptions<EmulatorOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<TimeMachine> logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, int> delivering = new(StringComparer.Ordinal);

    /// <summary>Whether a run is under way for the merchant (the background loop does not queue behind it).</summary>
    public bool IsRunning(string clientId) => gates.TryGetValue(clientId, out var gate) && gate.CurrentCount == 0;

    /// <summary>
    /// Whether a run of the merchant in this instance has notifications out at this moment, so that a call made now may
    /// come from their webhook handler, which that run waits for. What such a call commits before asking is read by the
    /// run once those notifications are back: it may leave its due work to the run instead of waiting for the run.
    /// </summary>
    public bool IsDelivering(string clientId) => delivering.TryGetValue(clientId, out var count) && count > 0;

    /// <summary>
    /// Runs everything due up to the target, then moves the merchant's clock there, both while holding the merchant's
    /// gate (and, on a shared database, its lock). The target is worked out from the clock once this advance has its
    /// turn (<paramref name="targetFrom"/> gets the clock's time then), so advances that overlap add up, one after the
    /// other, and the clock never moves back. Answers the clock's time after the move, and whether the merchant was
    /// there at the end of the turn: false for an advance that waited for its turn behind the merchant's delete (it
    /// ran nothing and kept no clock). Asked within the turn, since a delete that waited for this advance's run may
    /// take place as soon as the turn ends, before its caller looks.
    /// </summary>
    public async Task<(DateTimeOffset Now, IReadOnlyList<JournalEvent> Events, bool MerchantThere)> AdvanceAsync(
        string clientId, Func<DateTimeOffset, DateTimeOffset> targetFrom, CancellationToken cancellationToken)
    {
        DateTimeOffset now = default;
        var there = false;
        var events = await RunDueAsync(
            clientId,
            async ct => targetFrom(await clocks.NowAsync(clientId, ct)),
            waitForOtherInstances: true,
            async (target, ct) =>
            {
                now = await clocks.MoveForwardAsync(clientId, target, ct);
                there = await merchants.FindAsync(clientId, ct) is not null;
            },
            cancellationToken);
        return (now, events!, there);
    }

    /// <summary>
    /// Makes the first delivery attempts of what a control call just committed for the merchant (a buyer's decision, a
    /// payment settled), at <paramref name="now"/>: at once, or, during an advance or while a run waits for a webhook
    /// handler that may have made the call, in a run right after that one.
    /// </summary>
    public async Task RunWhatACallCausedAsync(string clientId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            await RunOrScheduleWhatACallCausedAsync(clientId, now, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested
            && (DatabaseFailures.Transient(ex) is not null || ex is OperationCanceledException && lifetime.ApplicationStopping.IsCancellationRequested))
        {
            // The call's writes are committed, and its caller is told so: a 503 saying "send it again" would be untrue
            // (an approve sent again is refused as done). The background loop makes these attempts at its next tick,
            // once the database answers, or once an instance runs again.
            logger.LogWarning(ex, "The run after a control call of {ClientId} did not finish; the background loop will make it", clientId);
        }
    }

    private async Task RunOrScheduleWhatACallCausedAsync(string clientId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // During an advance, that advance delivers what this caused, at this time. While another run of the merchant has
        // notifications out here, or runs in another instance (a webhook handler approving, say, on the CREATE of
        // another approval), a run right after it does (the current one too, when this falls before its end). Waiting
        // for either would wait for the handler that is waiting for this call. The call's writes are committed before
        // the runs are asked about.
        if (!await runs.AdvanceUnderWayAsync(clientId, cancellationToken))
        {
            if (await MayBeAwaitedByARunAsync(clientId, cancellationToken))
            {
                RunDueAfterCurrentRun(clientId, now);
            }
            else
            {
                await RunDueAsync(clientId, now, cancellationToken);
            }
        }
        else
        {
            // The advance may be past its last look at what is due (this call came at its very end): a run right
            // after it makes what this caused, and finds nothing to do when the advance did it.
            RunDueAfterCurrentRun(clientId, now);
        }
    }

    /// <summary>
    /// Runs what is due up to <paramref name="until"/> once the merchant's current run (here or in another instance) has
    /// ended, without the caller waiting: for a call that may come from a webhook handler that run is waiting for. A
    /// failure is logged; the background loop tries again at its next tick.
    /// </summary>
    public void RunDueAfterCurrentRun(string clientId, DateTimeOffset until) =>
        AfterCurrentRun(ct => RunDueAsync(clientId, until, ct), "The run (the background loop will retry it)", clientId);

    /// <summary>
    /// One more attempt at a notification once the merchant's current run has ended, without the caller waiting: for a
    /// redeliver that may come from a webhook handler that run is waiting for. A failure is logged.
    /// </summary>
    public void RedeliverAfterCurrentRun(string clientId, string notificationId) =>
        AfterCurrentRun(ct => RedeliverAsync(clientId, notificationId, ct), $"The redelivery of {notificationId}", clientId);

    /// <summary>
    /// Whether a call of the merchant made now may come from a webhook handler that a run or redelivery (here or in
    /// another instance) waits for: it should then leave its work to follow that run instead of waiting for it.
    /// </summary>
    public async Task<bool> MayBeAwaitedByARunAsync(string clientId, CancellationToken cancellationToken) =>
        IsDelivering(clientId) || await runs.UnderWayElsewhereAsync(clientId, cancellationToken);

    /// <summary>Work that waits for the merchant's current run on its own; only the emulator's shutdown stops it (a restart runs what is due).</summary>
    private void AfterCurrentRun(Func<CancellationToken, Task> work, string what, string clientId) =>
        _ = Task.Run(async () =>
        {
            try
            {
                await work(lifetime.ApplicationStopping);
            }
            catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                // Shutting down.
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "{Work} of {ClientId} after its current run failed", what, clientId);
            }
        });

    public async Task<IReadOnlyList<JournalEvent>> RunDueAsync(string clientId, DateTimeOffset until, CancellationToken cancellationToken) =>
        (await RunDueAsync(clientId, _ => Task.FromResult(until), waitForOtherInstances: true, afterRun: null, cancellationToken))!;

    /// <summary>
    /// The background loop's run: as <see cref="RunDueAsync(string, DateTimeOffset, CancellationToken)"/>, but when
    /// another instance sharing the database is running this merchant, answers null at once instead of queueing.
    /// </summary>
    public async Task<IReadOnlyList<JournalEvent>?> RunDueIfFreeAsync(string clientId, DateTimeOffset until, CancellationToken cancellationToken)
    {
        // The background loop looks before it locks: most ticks find nothing due.
        if (!await AnythingDueAsync(clientId, until, cancellationToken))
        {
            return [];
        }

        return await RunDueAsync(clientId, _ => Task.FromResult(until), waitForOtherInstances: false, afterRun: null, cancellationToken);
    }

    /// <summary>
    /// One more attempt at a notification now (CONTROL-API.md "redeliver"), made while no run of the merchant is under
    /// way, in this instance or (on a shared database) another: the notification is read and its attempt recorded inside
    /// the merchant's turn, so it neither races a run's attempt nor has its outcome overwritten by that attempt's.
    /// Started, it goes on when its caller gives up, as a run does. Null when the notification does not exist.
    /// </summary>
    public async Task<NotificationRecord?> RedeliverAsync(string clientId, string notificationId, CancellationToken cancellationToken) =>
        (await WithMerchantAsync(clientId, waitForOtherInstances: true, async (_, ct) =>
        {
            if (await outbox.FindAsync(clientId, notificationId, ct) is not { } notification)
            {
                return null;
            }

            // Counted as delivering: a call its webhook handler makes (another redeliver, an approve) answers at once
            // instead of waiting for this one, which waits for the handler.
            using (Delivering(clientId))
            {
                await dispatcher.AttemptAsync(notification, await clocks.NowAsync(clientId, ct), redelivery: true, ct);
            }

            return await outbox.FindAsync(clientId, notificationId, ct);
        }, cancellationToken)).Result;

    /// <summary>
    /// Runs <paramref name="work"/> while no run of the merchant is under way, here or in another instance sharing the
    /// database (it waits for one that is): for a delete or a replacement of the merchant, which a run finishing
    /// afterwards would otherwise undo (its clock moved, its attempts recorded for a merchant since deleted).
    /// </summary>
    /// <remarks>When no other instance holds the merchant's lock it takes none of the instance's merchant turns: on
    /// PostgreSQL turns are few, and a new merchant's PUT must not wait for other merchants' slow runs to free one.</remarks>
    public async Task<T> BetweenRunsAsync<T>(string clientId, Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var gate = await EnterGateAsync(clientId, caller: true, cancellationToken);
        try
        {
            // Held while the work is done: neither a run nor a redelivery of another instance can start meanwhile.
            await using var held = await database.HoldMerchantIfFreeAsync(clientId, cancellationToken);
            if (held is not null)
            {
                return await work(cancellationToken);
            }
        }
        finally
        {
            gate.Release();
        }

        // Another instance runs or redelivers for the merchant: wait for it with a turn, as an advance does.
        return (await WithMerchantAsync(clientId, waitForOtherInstances: true, (_, ct) => work(ct), cancellationToken)).Result!;
    }

    /// <summary>Holds the merchant's gate and, on a shared database, its lock; (false, default) when another instance holds it and <paramref name="waitForOtherInstances"/> is false.</summary>
    private async Task<(bool Ran, T? Result)> WithMerchantAsync<T>(
        string clientId, bool waitForOtherInstances, Func<MerchantTurn, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var gate = await EnterGateAsync(clientId, caller: waitForOtherInstances, cancellationToken);

        // A caller may stop waiting for its turn, but not a run once started: a run cut off mid-delivery would lose the
        // record of attempts already made (and send them again). Only the emulator's own shutdown stops it.
        cancellationToken = lifetime.ApplicationStopping;
        try
        {
            await using var turn = await database.LockMerchantAsync(clientId, waitForOtherInstances, cancellationToken);
            return turn is null ? (false, default) : (true, await work(turn, cancellationToken));
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Waits for the merchant's gate in this instance; a caller (not the background loop) is counted as one for the turns.</summary>
    private async Task<SemaphoreSlim> EnterGateAsync(string clientId, bool caller, CancellationToken cancellationToken)
    {
        var gate = gates.GetOrAdd(clientId, _ => new SemaphoreSlim(1, 1));
        using (caller ? database.CallerWaits(clientId) : null)
        {
            await gate.WaitAsync(cancellationToken);
        }

        return gate;
    }

    private async Task<IReadOnlyList<JournalEvent>?> RunDueAsync(
        string clientId, Func<CancellationToken, Task<DateTimeOffset>> untilWhenRunning, bool waitForOtherInstances,
        Func<DateTimeOffset, CancellationToken, Task>? afterRun, CancellationToken cancellationToken) =>
        (await WithMerchantAsync(clientId, waitForOtherInstances, (turn, ct) => RunHeldAsync(clientId, turn, untilWhenRunning, afterRun, ct), cancellationToken)).Result;

    private async Task<IReadOnlyList<JournalEvent>> RunHeldAsync(
        string clientId, MerchantTurn turn, Func<CancellationToken, Task<DateTimeOffset>> untilWhenRunning,
        Func<DateTimeOffset, CancellationToken, Task>? afterRun, CancellationToken cancellationToken)
    {
        var until = await untilWhenRunning(cancellationToken);
        try
        {
            await runs.StartedAsync(clientId, afterRun is null ? null : until, turn, cancellationToken);
            return await RunStepsAsync(clientId, until, afterRun, cancellationToken);
        }
        finally
        {
            try
            {
                await turn.EndRunAsync(cancellationToken);
            }
            catch (Exception ex)
            {
                // The turn's connection broke: releasing the turn (its lock goes with the connection) is what is left
                // to do, and the run's own failure, if any, is the one to report.
                logger.LogWarning(ex, "Could not end the run of {ClientId} for other instances", clientId);
            }
            finally
            {
                runs.Ended(clientId);
            }
        }
    }

    private async Task<IReadOnlyList<JournalEvent>> RunStepsAsync(
        string clientId, DateTimeOffset until, Func<DateTimeOffset, CancellationToken, Task>? afterRun, CancellationToken cancellationToken)
    {
        var journal = new List<JournalEvent>();
        while (true)
        {
            // Held back by a reorder fault in an earlier step or run: due with the notification they wait for.
            await outbox.ScheduleHeldAsync(clientId, options.Value.SandboxRetries, cancellationToken);
            var nextSubscription = await subscriptions.NextEventAtAsync(clientId, cancellationToken);
            var nextAttempt = await outbox.NextAttemptAtAsync(clientId, cancellationToken);
            var at = Min(nextSubscription, nextAttempt);
            if (at is not { } now || now > until)
            {
                break;
            }

            // Shown to other instances sharing the database before anything of this step is delivered (a webhook
            // handler may call one of them); written meanwhile, beside the deductions' writes.
            var reached = runs.ReachedAsync(clientId, now, cancellationToken);

            var progressed = false;
            var attempts = new List<DeliveryAttempt>();
            if (nextSubscription <= now)
            {
                // Subscriptions due at one instant are processed in batches, one write per batch. What a batch owes
                // is delivered while the next batch is deducted, so that signing and sending use the cores the
                // single writer leaves idle; a subscription's chain still goes out in order, after its deduction.
                var deducted = Channel.CreateBounded<string[]>(2);
                var delivering = Task.Run(async () =>
                {
                    try
                    {
                        await reached;
                        await foreach (var batch in deducted.Reader.ReadAllAsync(cancellationToken))
                        {
                            attempts.AddRange(await DeliverAsync(await outbox.DueAsync(clientId, batch, now, cancellationToken), cancellationToken));
                        }
                    }
                    catch (Exception e)
                    {
                        // The deductions stop too (their next write to the channel throws) instead of waiting for room.
                        deducted.Writer.TryComplete(e);
                        throw;
                    }
                }, cancellationToken);
                try
                {
                    foreach (var batch in (await subscriptions.DueAsync(clientId, now, cancellationToken)).Chunk(BatchSize))
                    {
                        var events = new List<JournalEvent>();
                        progressed |= await database.WriteAsync(async work =>
                        {
                            var ran = false;
                            foreach (var subscriptionId in batch)
                            {
                                ran |= await RunSubscriptionAsync(work, clientId, subscriptionId, now, events, cancellationToken);
                            }

                            return ran;
                        }, cancellationToken);
                        journal.AddRange(events);
                        await deducted.Writer.WriteAsync(batch, cancellationToken);
                    }
                }
                finally
                {
                    deducted.Writer.TryComplete();
                    await delivering;
                }
            }

            // What calls made meanwhile changed (a webhook handler's cancel on a failed renewal) goes after the attempts
            // that were out, and before those of the notifications the calls caused. (The turn's connection takes one
            // statement at a time: the reached time is written first.)
            await reached;
            journal.AddRange(attempts.OrderBy(a => a.At).ThenBy(a => a.Notification.Seq).Select(ToJournal));
            journal.AddRange(await runs.TakeToldAsync(clientId, cancellationToken));

            // Whatever else is due at this instant: retries, and notifications of subscriptions not deducted now.
            var due = await outbox.DueAsync(clientId, now, cancellationToken);
            var others = await DeliverAsync(due, cancellationToken);
            progressed |= due.Count > 0 || attempts.Count > 0 || others.Count > 0;
            journal.AddRange(others.OrderBy(a => a.At).ThenBy(a => a.Notification.Seq).Select(ToJournal));
            journal.AddRange(await runs.TakeToldAsync(clientId, cancellationToken));

            if (!progressed)
            {
                // A call may have done what was due between the reads above and this run's write (a decline committed
                // just before the expiry it was read for, a cancel of the phase due): the run goes on to what is due
                // after it. Only what is still due and could not be done stops it.
                if (Min(await subscriptions.NextEventAtAsync(clientId, cancellationToken), await outbox.NextAttemptAtAsync(clientId, cancellationToken)) is not { } next
                    || next > now)
                {
                    continue;
                }

                logger.LogError("Time machine made no progress for {ClientId} at {At}; stopping this run", clientId, now);
                break;
            }
        }

        journal.AddRange(await runs.TakeToldAsync(clientId, cancellationToken));
        if (afterRun is not null)
        {
            await afterRun(until, cancellationToken);
        }

        return journal;
    }

    private async Task<bool> AnythingDueAsync(string clientId, DateTimeOffset until, CancellationToken cancellationToken) =>
        await subscriptions.NextEventAtAsync(clientId, cancellationToken) <= until || await outbox.NextAttemptAtAsync(clientId, cancellationToken) <= until;

    /// <summary>
    /// Delivers due notifications, concurrently across subscriptions and in order within one (CREATE before phase 1,
    /// phases in order); plain attempts are recorded together, in one write.
    /// </summary>
    private async Task<List<DeliveryAttempt>> DeliverAsync(IReadOnlyList<NotificationRecord> due, CancellationToken cancellationToken)
    {
        if (due.Count == 0)
        {
            return [];
        }

        // Counted down before the run's reads that follow (the outbox, for whatever else is due): a call that saw the
        // count above zero committed before those reads.
        using (Delivering(due[0].ClientId))
        {
            var groups = due.GroupBy(n => n.SubscriptionId).ToArray();
            var recordedInChains = new List<DeliveryAttempt>[groups.Length];
            var deliveryFaults = new DeliveryFaults(faults, due[0].ClientId);

            // Each chain's attempts are recorded as soon as it is back, together with the chains back meanwhile (one
            // write for all of them): a receiver that holds one answer no longer holds the records of the others, so a
            // process killed meanwhile re-sends only what was still out.
            var back = Channel.CreateUnbounded<List<PendingAttempt>>(new UnboundedChannelOptions { SingleReader = true });
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Exception? recordFailure = null;
            var recorder = Task.Run(async () =>
            {
                var recorded = new List<DeliveryAttempt>();
                try
                {
                    while (await back.Reader.WaitToReadAsync(CancellationToken.None))
                    {
                        var pending = new List<PendingAttempt>();
                        while (back.Reader.TryRead(out var chain))
                        {
                            pending.AddRange(chain);
                        }

                        if (pending.Count > 0)
                        {
                            recorded.AddRange(await dispatcher.RecordAsync(pending));
                        }
                    }
                }
                catch (Exception e)
                {
                    // What is sent from now on could not be recorded (and would be sent again): stop sending.
                    recordFailure = e;
                    await stop.CancelAsync();
                    throw;
                }

                return recorded;
            }, CancellationToken.None);
            try
            {
                await Parallel.ForEachAsync(
                    Enumerable.Range(0, groups.Length),
                    new ParallelOptions { MaxDegreeOfParallelism = DeliveryConcurrency, CancellationToken = stop.Token },
                    async (i, ct) =>
                    {
                        // What went out is recorded even when the chain stops half way (the emulator shutting down):
                        // only the attempt that was out then is sent again after a restart.
                        var pending = new List<PendingAttempt>();
                        try
                        {
                            recordedInChains[i] = await DeliverInOrderAsync(groups[i], deliveryFaults, pending, ct);
                        }
                        finally
                        {
                            back.Writer.TryWrite(pending);
                        }
                    });
            }
            catch (OperationCanceledException) when (recordFailure is not null)
            {
                // The recorder stopped the deliveries: its failure is the one reported (below).
            }
            catch
            {
                // The delivery's own failure is the one reported; what came back is recorded first.
                back.Writer.TryComplete();
                try
                {
                    await recorder;
                }
                catch (Exception e)
                {
                    logger.LogWarning(e, "Could not record the delivery attempts of {ClientId} made before its delivery failed", due[0].ClientId);
                }

                throw;
            }

            back.Writer.TryComplete();
            return [.. recordedInChains.SelectMany(r => r).Concat(await recorder)];
        }
    }

    /// <summary>Counts the merchant as having notifications out (<see cref="IsDelivering"/>) until disposed.</summary>
    private DeliveringScope Delivering(string clientId)
    {
        delivering.AddOrUpdate(clientId, 1, (_, count) => count + 1);
        return new DeliveringScope(delivering, clientId);
    }

    private readonly struct DeliveringScope(ConcurrentDictionary<string, int> delivering, string clientId) : IDisposable
    {
        public void Dispose() => delivering.AddOrUpdate(clientId, 0, (_, count) => count - 1);
    }

    private const int BatchSize = 256;

    // Subscriptions whose notifications are in flight at once: enough to hide a slow endpoint's latency, few enough
    // that thousands of due notifications do not become thousands of tasks contending for two cores.
    private const int DeliveryConcurrency = 64;

    /// <summary>
    /// Runs what one subscription has due at <paramref name="now"/> inside the caller's unit of work: an approval
    /// charges its phase 1 in its own transaction (SPEC §10 "Phase 1: charged at authorization").
    /// </summary>
    /// <param name="journal">Gets what was done (the deduction), for an advance under way to list.</param>
    public Task<bool> RunSubscriptionDueAsync(WriteTransaction work, string clientId, string subscriptionId, DateTimeOffset now, List<JournalEvent> journal, CancellationToken cancellationToken) =>
        RunSubscriptionAsync(work, clientId, subscriptionId, now, journal, cancellationToken);

    private async Task<bool> RunSubscriptionAsync(WriteTransaction work, string clientId, string subscriptionId, DateTimeOffset now, List<JournalEvent> journal, CancellationToken cancellationToken)
    {
        var subscription = await SubscriptionStore.FindAsync(work, clientId, subscriptionId, null, cancellationToken);
        if (subscription is null)
        {
            return false;
        }

        var result = DeductionResult.Success;
        if (subscription.DeductionDue(now, options.Value.DeductionLeadTime))
        {
            var context = () => new FaultContext(subscriptionId, subscription.SubscriptionRequestId, subscription.NextPhaseNo);
            if (await faults.TakeAsync(work, clientId, FaultTargets.Deduction, context, cancellationToken) is { ResultCode: { } code } rule && code != "SUCCESS")
            {
                var row = catalogue.Find(FaultTargets.Deduction, code)!;

                // A U code is only allowed with effect processing: the payment is under way, for the rule's delay or
                // until a test settles it.
                result = new DeductionResult(row.ResultStatus, code, row.Message)
                {
                    Processing = rule.Processing,
                    SettlesAt = rule.Processing && rule.Delay is not null && rule.DelayedFrom(now) is var due && due != DateTimeOffset.MaxValue ? due : null,
                };
            }
        }

        var ran = subscription.RunDue(now, options.Value.DeductionLeadTime, () => ids.NextPaymentId(now), _ => result);
        await subscriptions.SaveAsync(work, subscription, isNew: false, cancellationToken);
        await Outbox.EnqueueAsync(work, subscription, options.Value.NumbersAsStrings, cancellationToken);
        journal.AddRange(subscription.Events.Select(e => ToJournal(subscriptionId, e)).OfType<JournalEvent>());
        foreach (var deducted in subscription.Events.OfType<PhaseDeducted>())
        {
            EmulatorMetrics.Deductions.WithLabels(deducted.Phase.ResultStatus, deducted.Phase.ResultCode).Inc();
            logger.LogInformation("Deducted phase {PhaseNo} of {SubscriptionId} for {ClientId}: {ResultCode}", deducted.Phase.PhaseNo, subscriptionId, clientId, deducted.Phase.ResultCode);
        }
        return ran;
    }

    /// <summary>
    /// Delivers one subscription's due notifications in order, applying delivery faults: drop, duplicate, delay (on the
    /// merchant's clock) and reorder (held back until the next notification of the subscription has gone out). A rule
    /// is used by the write that records what it did to the attempt (the attempt itself, its delay or its hold), never
    /// before: an attempt out when the process dies has not used it, and meets it again when it goes out after the restart.
    /// </summary>
    /// <remarks>An attempt already delayed goes out when it comes due, so that a delay rule that repeats (<c>times</c> 0)
    /// delays each attempt once instead of putting it off forever.</remarks>
    /// <param name="pending">Gets the attempts made and not recorded yet, as they are made (the caller records them).</param>
    /// <returns>The attempts recorded one by one (drop and duplicate faults).</returns>
    private async Task<List<DeliveryAttempt>> DeliverInOrderAsync(
        IEnumerable<NotificationRecord> chain, DeliveryFaults deliveryFaults, List<PendingAttempt> pending, CancellationToken cancellationToken)
    {
        var attempts = new List<DeliveryAttempt>();

        // Each attempt is placed in the timeline by the timeline's end when it is sent. The mark read with the due
        // notifications may be stale by then: the chain may have waited for a delivery slot while a call wrote to its
        // subscription, and after the first attempt the merchant's handler may have called (a cancel on CREATE,
        // perhaps through another instance), so the ones after the first always read it again.
        var sentBefore = false;
        async Task<NotificationRecord> Marked(NotificationRecord n)
        {
            var marked = await outbox.WithCurrentMarkAsync(n, readAgain: sentBefore, cancellationToken);
            sentBefore = true;
            return marked;
        }

        // Held back earlier and released by the one now due after them: they go out right after it.
        var heldBack = chain.Where(n => n.Held).OrderBy(n => n.Seq).ToList();
        foreach (var notification in chain.Where(n => !n.Held).OrderBy(n => n.Seq))
        {
            var at = notification.NextAttemptAt!.Value;

            // The one that goes before a held-back notification is not held back itself (with a rule that repeats,
            // pairs swap: 2, 1, 4, 3), nor delayed, which would send the held ones first; a drop or a duplicate still
            // hits it. An attempt delayed once already has had its rule.
            var releasing = heldBack.Count > 0;
            var use = notification.Delayed
                ? null
                : await deliveryFaults.ChooseAsync(notification.Kind, () => FaultContextOf(notification),
                    applies: releasing ? r => r.Delivery is not ("reorder" or "delay") : null, cancellationToken);
            var rule = use?.Rule;
            switch (rule?.Delivery)
            {
                case "reorder":
                    heldBack.Add(notification);
                    await outbox.HoldAsync(notification.NotificationId, use, cancellationToken);
                    continue;
                case "delay":
                    await outbox.DelayAsync(notification.NotificationId, rule.DelayedFrom(at), use, cancellationToken);
                    continue;
                case "drop":
                    attempts.Add(await dispatcher.AttemptAsync(await Marked(notification), at, redelivery: false, cancellationToken, drop: true, fault: use));
                    break;
                case "duplicate":
                    attempts.Add(await dispatcher.AttemptAsync(await Marked(notification), at, redelivery: false, cancellationToken, fault: use));
                    var again = await outbox.FindAsync(notification.ClientId, notification.NotificationId, cancellationToken) ?? notification;
                    attempts.Add(await dispatcher.AttemptAsync(again, at, redelivery: true, cancellationToken));
                    break;
                default:
                    // A skip or a draw on the way is used with the attempt's record, in the round's next batch.
                    pending.Add(await dispatcher.SendAsync(await Marked(notification), at, redelivery: false, drop: false, cancellationToken) with { Fault = use });
                    break;
            }

            foreach (var held in heldBack)
            {
                pending.Add(await dispatcher.SendAsync(await Marked(held), at, redelivery: false, drop: false, cancellationToken));
            }

            heldBack.Clear();
        }

        if (heldBack.Count > 0)
        {
            // Nothing went out after them here. Held until the subscription's next notification or its end; released
            // by its end, or held by one that has ended (it sends nothing more), they go out now.
            var subscription = await subscriptions.FindAsync(heldBack[0].ClientId, heldBack[0].SubscriptionId, cancellationToken);
            foreach (var held in heldBack)
            {
                if (held.Held || subscription?.Status is SubscriptionStatus.Terminated or null)
                {
                    pending.Add(await dispatcher.SendAsync(await Marked(held), held.NextAttemptAt!.Value, redelivery: false, drop: false, cancellationToken));
                }
            }
        }

        return attempts;
    }

    private static FaultContext FaultContextOf(NotificationRecord notification)
    {
        using var body = System.Text.Json.JsonDocument.Parse(notification.Body);
        string? Text(string name) => body.RootElement.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;
        return new FaultContext(notification.SubscriptionId, Text("subscriptionRequestId"), int.TryParse(Text("phaseNo"), out var phase) ? phase : null);
    }

    public static JournalEvent? ToJournal(string subscriptionId, SubscriptionEvent e) => e switch
    {
        StateChanged s => new JournalEvent(s.At, "stateChanged", subscriptionId) { From = s.From.ToWire(), To = s.To.ToWire() },
        AuthorizationExpired x => new JournalEvent(x.At, "authorizationExpired", subscriptionId),
        PaymentProcessing p => PaymentEvent(p.At, "paymentProcessing", subscriptionId, p.Phase),
        PhaseDeducted d => PaymentEvent(d.At, "deduction", subscriptionId, d.Phase),
        _ => null,
    };

    private static JournalEvent PaymentEvent(DateTimeOffset at, string type, string subscriptionId, Phase phase) => new(at, type, subscriptionId)
    {
        PhaseNo = phase.PhaseNo,
        Amount = phase.Amount,
        ResultCode = phase.ResultCode,
        ResultStatus = phase.ResultStatus,
        PaymentId = phase.PaymentId,
    };

    public static JournalEvent ToJournal(DeliveryAttempt a) => new(a.At, "notificationAttempt", a.Notification.SubscriptionId)
    {
        NotificationId = a.Notification.NotificationId,
        Kind = a.Notification.Kind,
        Attempt = a.Attempt,
        Outcome = a.Outcome,
        HttpStatus = a.HttpStatus,
    };

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a <= b ? a : b;
}
