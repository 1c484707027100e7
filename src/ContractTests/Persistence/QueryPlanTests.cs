using ContractTests.Support;
using Emulator.Domain;
using Emulator.Notifications;
using Emulator.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace ContractTests.Persistence;

/// <summary>
/// The control API's and the dashboard's views of one subscription stay as fast with a million notifications as with
/// ten: their queries reach the subscription's rows through an index instead of reading all of the merchant's.
/// (SQLite's plan; PostgreSQL plans by its statistics.)
/// </summary>
public sealed class QueryPlanTests
{
    [SkippableFact]
    public async Task OneSubscriptionsNotifications_AreReadThroughTheSubscriptionIndex()
    {
        await using var factory = new EmulatorFactory();
        var database = SqliteOnly(factory);

        var plans = new[]
        {
            Outbox.ListQuery("SANDBOX_X", null, "sub_1", null),
            Outbox.ListQuery("SANDBOX_X", "notifyPayment", "sub_1", "pending"),
            Outbox.ListQuery("SANDBOX_X", null, "sub_1", null, (AfterSeq: 500, Limit: 500)),
        };

        foreach (var (sql, parameters) in plans)
        {
            (await PlanAsync(database, sql, parameters)).Should().Contain("USING INDEX ix_notifications_subscription (subscription_id=?", sql);
        }
    }

    [SkippableFact]
    public async Task TheTimelineMarkOfNotificationsToSend_IsReadOnceFromTheEndOfTheTimeline_NotPerNotificationOrByAScan()
    {
        await using var factory = new EmulatorFactory();
        var database = SqliteOnly(factory);

        var plan = await PlanAsync(database, Outbox.ToSendQuery(Outbox.DueWhere), [("@client", "SANDBOX_X"), ("@until", 0L)]);

        plan.Should().Contain("SCALAR SUBQUERY").And.NotContain("CORRELATED").And.Contain("SEARCH timeline").And.NotContain("SCAN timeline");
    }

    [SkippableFact]
    public async Task APageOfTheMerchantsNotifications_IsAnIndexRange_NotASortOfAllOfThem()
    {
        await using var factory = new EmulatorFactory();
        var database = SqliteOnly(factory);

        var (sql, parameters) = Outbox.ListQuery("SANDBOX_X", null, null, null, (AfterSeq: 500, Limit: 500));

        (await PlanAsync(database, sql, parameters)).Should().Contain("USING INDEX ix_notifications_client (client_id=? AND seq>?)").And.NotContain("TEMP B-TREE");
    }

    [SkippableFact]
    public async Task APageOfTheSubscriptionList_ReadsItsSubscriptionsRowsThroughTheirIndexes_WithoutASort()
    {
        await using var factory = new EmulatorFactory();
        var database = SqliteOnly(factory);
        string[] ids = ["sub_1", "sub_2", "sub_3"];

        var notifications = await PlanAsync(database, Outbox.OfSubscriptionsQuery(ids).Sql, Outbox.OfSubscriptionsQuery(ids).Parameters);
        var timeline = await PlanAsync(database, SubscriptionStore.TimelinesOfQuery(ids).Sql, SubscriptionStore.TimelinesOfQuery(ids).Parameters);

        notifications.Should().Contain("USING INDEX ix_notifications_subscription (subscription_id=?)").And.NotContain("TEMP B-TREE");
        timeline.Should().Contain("USING INDEX ix_timeline_subscription (subscription_id=?)").And.NotContain("TEMP B-TREE");
    }

    [SkippableFact]
    public async Task SubscriptionsByRequestId_AreReadThroughTheRequestIndex()
    {
        await using var factory = new EmulatorFactory();
        var database = SqliteOnly(factory);

        var (sql, parameters) = SubscriptionStore.ListQuery("SANDBOX_X", SubscriptionStatus.Active, "req-1");

        (await PlanAsync(database, sql, parameters)).Should().Contain("USING INDEX ix_subscriptions_request (client_id=? AND subscription_request_id=?)");
    }

    [SkippableFact]
    public async Task OutboxDepth_IsCountedInTheDueIndex_NotByReadingEveryNotification()
    {
        await using var factory = new EmulatorFactory();
        var database = SqliteOnly(factory);

        (await PlanAsync(database, Outbox.PendingCountQuery, [])).Should().Contain("USING COVERING INDEX ix_notifications_due (client_id=? AND status=?)");
        (await PlanAsync(database, Outbox.UnacknowledgedCountsQuery, [])).Should().Contain("USING COVERING INDEX ix_notifications_due (client_id=? AND status=?)", "the dashboard's merchants page counts them the same way");
    }

    /// <summary>
    /// The dashboard's merchant page reads the notifications not acknowledged through the index the scheduler uses
    /// (merchant, status), not by walking every acknowledged one, and the last API calls from the end of the merchant's range.
    /// </summary>
    [SkippableFact]
    public async Task TheMerchantPagesNotificationsNotAcknowledged_AndLastCalls_AreIndexRanges()
    {
        await using var factory = new EmulatorFactory();
        var database = SqliteOnly(factory);

        var unacknowledged = await PlanAsync(database, Outbox.UnacknowledgedQuery("SANDBOX_X", 20).Sql, Outbox.UnacknowledgedQuery("SANDBOX_X", 20).Parameters);
        var calls = await PlanAsync(database, ApiCallJournal.RecentQuery("SANDBOX_X", 25).Sql, ApiCallJournal.RecentQuery("SANDBOX_X", 25).Parameters);

        unacknowledged.Should().Contain("USING INDEX ix_notifications_due (client_id=? AND status=?)").And.NotContain("ix_notifications_client");
        calls.Should().Contain("USING INDEX ix_api_calls_client (client_id=?)").And.NotContain("TEMP B-TREE");
    }

    [Fact]
    public void Filters_LeaveOutWhatIsNotSet()
    {
        var (where, parameters) = SqlFilter.Equal(("client_id", "SANDBOX_X"), ("kind", null), ("status", "pending"));

        where.Should().Be("client_id = @client_id AND status = @status");
        parameters.Should().Equal(("@client_id", (object?)"SANDBOX_X"), ("@status", (object?)"pending"));
        SqlFilter.Equal(("kind", null)).Where.Should().Be("1 = 1");
    }

    private static Database SqliteOnly(EmulatorFactory factory)
    {
        var database = factory.Services.GetRequiredService<Database>();
        Skip.IfNot(database is SqliteDatabase, "the plans asserted here are SQLite's");
        return database;
    }

    private static async Task<string> PlanAsync(Database database, string sql, (string Name, object? Value)[] parameters) =>
        string.Join("\n", await database.QueryAsync("EXPLAIN QUERY PLAN " + sql, r => r.GetString(3), CancellationToken.None, parameters));
}
