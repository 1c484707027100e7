using ContractTests.Support;
using Emulator.Notifications;
using Emulator.Persistence;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ContractTests.Persistence;

/// <summary>
/// The mark that places an attempt in its subscription's timeline is read again at sending time whenever rows of that
/// subscription may have been committed since it was read: an attempt sent after a cancel committed goes after it.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class TimelineMarkTests(EmulatorFactory factory)
{
    [Fact]
    public async Task RowsCommittedAfterTheMarkWasRead_ButBeforeTheAttempt_MakeTheMarkBeReadAgain()
    {
        var client = new AntomTestClient(factory.CreateClient());
        var (merchant, subscriptionId) = await new Scenario(client, factory).CreateActiveAsync();
        var database = factory.Services.GetRequiredService<Database>();
        var subscriptions = factory.Services.GetRequiredService<SubscriptionStore>();
        var outbox = factory.Services.GetRequiredService<Outbox>();
        var notification = (await outbox.ListAsync(merchant.ClientId, null, subscriptionId, null, CancellationToken.None))[0];

        // A call (a handler's cancel) writes the subscription's timeline; the time machine reads the notification to
        // send while that write is not yet committed, and sends it after the commit.
        NotificationRecord? read = null;
        await database.WriteAsync(async work =>
        {
            var subscription = (await SubscriptionStore.FindAsync(work, merchant.ClientId, subscriptionId, null, CancellationToken.None))!;
            subscription.RecordApiCall(factory.Time.GetUtcNow(), "cancel", "TERMINATE", "SUCCESS");
            await subscriptions.SaveAsync(work, subscription, isNew: false, CancellationToken.None);
            read = await Task.Run(() => outbox.FindAsync(merchant.ClientId, notification.NotificationId, CancellationToken.None));
            return true;
        }, CancellationToken.None);
        var cancelSeq = (await database.QueryAsync("SELECT MAX(seq) FROM timeline WHERE subscription_id = @id", r => r.GetInt64(0), CancellationToken.None, ("@id", subscriptionId))).Single();

        var atSending = await outbox.WithCurrentMarkAsync(read!, readAgain: false, CancellationToken.None);

        read!.TimelineMark.Should().BeLessThan(cancelSeq, "read before the cancel was committed");
        atSending.TimelineMark.Should().BeGreaterThanOrEqualTo(cancelSeq, "the cancel was committed before the attempt was sent");
    }

    [SkippableFact]
    public async Task OnASharedDatabase_RowsWrittenThroughAnotherInstance_MakeTheMarkBeReadAgain()
    {
        Skip.IfNot(EmulatorFactory.OnPostgres, "instances share a database on PostgreSQL only");
        var connection = await SharedPostgres.CreateDatabaseAsync();
        await using var a = new EmulatorFactory().WithWebHostBuilder(b => b.UseSetting("Emulator:PostgresConnectionString", connection));
        await using var b = new EmulatorFactory().WithWebHostBuilder(b => b.UseSetting("Emulator:PostgresConnectionString", connection));
        var outboxA = a.Services.GetRequiredService<Outbox>();
        var writesA = a.Services.GetRequiredService<TimelineWrites>();
        var databaseB = b.Services.GetRequiredService<Database>();
        const string id = "sub_timeline_mark_2";

        // A reads the notification to send (ticket and mark) and waits for a delivery slot; meanwhile a handler's
        // cancel reaches B (behind a load balancer) and commits there.
        var ticket = writesA.Now;
        var mark = await outboxA.TimelineMarkAsync(CancellationToken.None);
        await databaseB.WriteAsync(async work =>
        {
            var line = work.Command("INSERT INTO timeline (subscription_id, at, type, detail) VALUES (@id, 0, 'apiCall', 'cancel TERMINATE → SUCCESS')");
            line.Bind("@id", id);
            await line.ExecuteNonQueryAsync(CancellationToken.None);
            return true;
        }, CancellationToken.None);
        var cancelSeq = (await databaseB.QueryAsync("SELECT MAX(seq) FROM timeline WHERE subscription_id = @id", r => r.GetInt64(0), CancellationToken.None, ("@id", id))).Single();

        var notification = new NotificationRecord(1, "ntf_x", "client", id, "notifyPayment", "http://x", "{}", "pending", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 0, TimelineMark: mark, MarkTicket: ticket);
        var atSending = await outboxA.WithCurrentMarkAsync(notification, readAgain: false, CancellationToken.None);

        atSending.TimelineMark.Should().BeGreaterThanOrEqualTo(cancelSeq, "the cancel, through the other instance, was committed before the attempt was sent");
    }
}
