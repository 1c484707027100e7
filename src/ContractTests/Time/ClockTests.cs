using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ContractTests.Time;

/// <summary>One clock per merchant: freeze, resume, advance (CONTROL-API.md "Clock").</summary>
[Collection(EmulatorCollection.Name)]
public sealed class ClockTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Frozen = new(2030, 6, 15, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Advance_WhoseCallerGivesUp_StillRecordsEveryAttempt_SoNoneIsSentTwice()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        foreach (var _ in Enumerable.Range(0, 10))
        {
            await m.CreateAndApproveAsync(MerchantHarness.Body(Frozen));
        }

        var (arrived, release) = m.HoldAnswers();
        using var giveUp = new CancellationTokenSource();
        var advance = m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", new { by = "P1M" }, giveUp.Token);
        await arrived.WaitAsync(TimeSpan.FromSeconds(30));
        await giveUp.CancelAsync();
        release();
        var gaveUp = async () => await advance;
        await gaveUp.Should().ThrowAsync<OperationCanceledException>();

        await m.AdvanceAsync("PT1M"); // runs after the first advance's run has finished
        var payments = m.Receiver.Received.Where(r => r.IsPayment && r.Json["phaseNo"]!.ToString() == "2").ToList();

        payments.Should().HaveCount(10, "each phase-2 notification is sent once: the run went on after its caller left");
        payments.Select(p => p.NotificationId).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task AdvanceTo_BetweenTwoMilliseconds_AnswersTheTimeTheClockThenReads()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);

        var advanced = await m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", new { to = "2030-07-01T00:00:00.0005Z" });
        var answered = (string)(await advanced.Content.ReadFromJsonAsync<JsonObject>())!["now"]!;
        var clock = (string)(await m.Http.GetFromJsonAsync<JsonObject>($"{m.Control}/clock"))!["now"]!;

        DateTimeOffset.Parse(answered).Should().Be(DateTimeOffset.Parse(clock));
    }

    [Fact]
    public async Task TickingClock_OnAWallBetweenTwoMilliseconds_ReadsExactlyTheTimeItWasSetTo()
    {
        // The wall clock has ticks; an offset cut to milliseconds on its own would leave the clock 1 ms short. (The
        // shared fake wall clock is put back on a whole millisecond afterwards, for the other tests.)
        factory.Time.Advance(TimeSpan.FromTicks(3_333));
        HttpResponseMessage resumed, advanced;
        DateTimeOffset answered, clock;
        var target = Frozen.AddDays(1);
        try
        {
            await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
            resumed = await m.Http.PostAsync($"{m.Control}/clock/resume", null);
            advanced = await m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", new { to = target });
            answered = DateTimeOffset.Parse((string)(await advanced.Content.ReadFromJsonAsync<JsonObject>())!["now"]!);
            clock = DateTimeOffset.Parse((string)(await m.Http.GetFromJsonAsync<JsonObject>($"{m.Control}/clock"))!["now"]!);
        }
        finally
        {
            factory.Time.Advance(TimeSpan.FromTicks(TimeSpan.TicksPerMillisecond - 3_333));
        }

        DateTimeOffset.Parse((string)(await resumed.Content.ReadFromJsonAsync<JsonObject>())!["now"]!).Should().Be(Frozen);
        answered.Should().Be(target);
        clock.Should().Be(target, "the fake wall clock has not moved since");
    }

    [Fact]
    public async Task ConcurrentAdvancesBy_AddUp()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        await m.CreateAndApproveAsync(MerchantHarness.Body(Frozen));

        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => m.AdvanceAsync("P1M")));
        var clock = await m.Http.GetFromJsonAsync<JsonObject>($"{m.Control}/clock");

        DateTimeOffset.Parse((string)clock!["now"]!).Should().Be(Frozen.AddMonths(3), "each advance by a month moves the clock a month");
    }

    [Fact]
    public async Task FrozenWithAnOffset_KeepsUtc_SoP1MLandsAsAfterARestart()
    {
        // The clock is stored in UTC milliseconds; kept so in memory too, a month from 31 January lands the same way
        // in this process, after a restart and on another instance.
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), DateTimeOffset.Parse("2030-01-31T02:00:00+08:00"));

        var clock = await m.Http.GetFromJsonAsync<JsonObject>($"{m.Control}/clock");
        await m.AdvanceAsync("P1M");
        var after = await m.Http.GetFromJsonAsync<JsonObject>($"{m.Control}/clock");

        ((string)clock!["now"]!).Should().EndWith("+00:00");
        DateTimeOffset.Parse((string)after!["now"]!).Should().Be(DateTimeOffset.Parse("2030-02-28T18:00:00Z"));
    }

    [Fact]
    public async Task NewMerchant_ClockFollowsTheWall()
    {
        var http = factory.CreateClient();
        var merchant = await TestMerchant.CreateAsync(http);

        var clock = await http.GetFromJsonAsync<JsonObject>($"/_emulator/v1/merchants/{merchant.ClientId}/clock");

        DateTimeOffset.Parse((string)clock!["now"]!).Should().Be(factory.Time.GetUtcNow());
        ((bool)clock["frozen"]!).Should().BeFalse();
    }

    [Fact]
    public async Task Freeze_StandsStill_ResumeTicksFromThere()
    {
        var http = factory.CreateClient();
        var merchant = await TestMerchant.CreateAsync(http);
        var clock = $"/_emulator/v1/merchants/{merchant.ClientId}/clock";

        await http.PostAsJsonAsync($"{clock}/freeze", new { at = Frozen });
        factory.Time.Advance(TimeSpan.FromMinutes(5));
        var frozen = await http.GetFromJsonAsync<JsonObject>(clock);
        await http.PostAsync($"{clock}/resume", null);
        factory.Time.Advance(TimeSpan.FromMinutes(7));
        var ticking = await http.GetFromJsonAsync<JsonObject>(clock);

        DateTimeOffset.Parse((string)frozen!["now"]!).Should().Be(Frozen);
        ((bool)frozen["frozen"]!).Should().BeTrue();
        DateTimeOffset.Parse((string)ticking!["now"]!).Should().Be(Frozen.AddMinutes(7));
        ((bool)ticking["frozen"]!).Should().BeFalse();
    }

    [Fact]
    public async Task Advance_ByCalendarDurationOrToAnInstant()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), new DateTimeOffset(2031, 1, 31, 0, 0, 0, TimeSpan.Zero));

        await m.AdvanceAsync("P1M");
        var afterMonth = await m.NowAsync();
        await m.AdvanceToAsync(new DateTimeOffset(2031, 3, 1, 8, 30, 0, TimeSpan.Zero));
        var afterTo = await m.NowAsync();
        await m.AdvanceAsync("P1Y2M3DT4H5M6S");

        afterMonth.Should().Be(new DateTimeOffset(2031, 2, 28, 0, 0, 0, TimeSpan.Zero));
        afterTo.Should().Be(new DateTimeOffset(2031, 3, 1, 8, 30, 0, TimeSpan.Zero));
        (await m.NowAsync()).Should().Be(new DateTimeOffset(2032, 5, 4, 12, 35, 6, TimeSpan.Zero));
    }

    [Theory]
    [InlineData("{\"to\":\"2000-01-01T00:00:00Z\"}", "forward only")]
    [InlineData("{\"by\":\"1 month\"}", "ISO-8601 duration")]
    [InlineData("{\"by\":\"PT\"}", "ISO-8601 duration")]
    [InlineData("{}", "either by")]
    public async Task Advance_BadRequest_IsProblem400(string body, string detail)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);

        var response = await m.Http.PostAsync($"{m.Control}/clock/advance", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain(detail);
        (await m.NowAsync()).Should().Be(Frozen);
    }

    [Fact]
    public async Task Clock_UnknownMerchant_Is404()
    {
        var response = await factory.CreateClient().PostAsJsonAsync("/_emulator/v1/merchants/SANDBOX_NOBODY/clock/advance", new { by = "P1D" });

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Clocks_AreIsolatedPerMerchant_AndTheApiUsesTheMerchantsClock()
    {
        await using var one = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        await using var two = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        await one.AdvanceAsync("P30D");
        var body = MerchantHarness.Body(Frozen.AddDays(30));
        body["subscriptionExpiryTime"] = Frozen.AddDays(30).AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:sszzz");

        var onOne = await one.Client.CallAsync(one.Merchant, "create", body);
        var onTwo = await two.Client.CallAsync(two.Merchant, "create", body);

        (await two.NowAsync()).Should().Be(Frozen);
        onOne.ResultCode.Should().Be("SUCCESS", "an hour after merchant one's clock is inside the 48 h window");
        onTwo.ResultCode.Should().Be("PARAM_ILLEGAL", "for merchant two it is 30 days ahead");
    }

    /// <summary>
    /// A webhook handler that terminates the subscription when a renewal fails, during a 12-month advance: the cancel
    /// is at the time the advance has reached (the failed payment's), not at the clock's time from before the advance,
    /// and nothing is charged after it.
    /// </summary>
    [Fact]
    public async Task CallDuringAnAdvance_IsAtTheTimeTheAdvanceHasReached()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Frozen));
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", match = new { phaseNo = 3 } })).EnsureSuccessStatusCode();
        DateTimeOffset? clockInHandler = null;
        m.Receiver.Answer = async n =>
        {
            if (n.IsPayment && (string)n.Json["result"]!["resultStatus"]! == "F")
            {
                (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId, "TERMINATE"))).ResultCode.Should().Be("SUCCESS");
                clockInHandler = await m.NowAsync();
            }

            return (200, NotificationInbox.Acknowledgement);
        };

        var events = await m.AdvanceAsync("P12M");
        var failedAt = Frozen.AddMonths(2).AddDays(-1);
        var inquiry = (await m.Client.CallAsync(m.Merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = subscriptionId })).Json["subscription"]!;
        var payments = (await m.Client.CallAsync(m.Merchant, "inquireSubscriptionPayment", new JsonObject { ["subscriptionId"] = subscriptionId })).Json["payments"]!.AsArray();

        clockInHandler.Should().Be(failedAt, "the clock reads the time the advance has reached: phase 3's deduction, 24 h before it starts");
        events.Should().ContainSingle(e => (string)e!["type"]! == "stateChanged" && (string)e["to"]! == "TERMINATED")
            .Which!["at"]!.GetValue<DateTimeOffset>().Should().Be(failedAt, "the advance's events include what the handler's cancel changed");
        ((string)inquiry["status"]!).Should().Be("TERMINATED");
        DateTimeOffset.Parse((string)inquiry["lastUpdateTime"]!, System.Globalization.CultureInfo.InvariantCulture).Should().Be(failedAt, "the termination happened when the handler got the failed payment");
        payments.Select(p => (int)p!["phaseNo"]!).Should().Equal(1, 2, 3);
        m.Receiver.Received.Where(n => !n.IsPayment).Select(n => (string)n.Json["subscriptionNotificationType"]!).Should().Equal("CREATE", "TERMINATE");
        DateTimeOffset.Parse(m.Receiver.Received.Last(n => !n.IsPayment).Headers["request-time"], System.Globalization.CultureInfo.InvariantCulture).Should().Be(failedAt);
    }

    /// <summary>
    /// The subscription's timeline tells the story in the order it happened, though the handler's cancel and the
    /// attempt it answered share one instant and the attempt is recorded after the answer: deduction, the attempt that
    /// reported it, the cancel made while that attempt was out, then the TERMINATE notification the cancel caused.
    /// </summary>
    [Fact]
    public async Task TimelineOfAHandlersCancel_ComesAfterTheAttemptItAnswered()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Frozen));
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", match = new { phaseNo = 2 } })).EnsureSuccessStatusCode();
        m.Receiver.Answer = async n =>
        {
            if (n.IsPayment && (string)n.Json["result"]!["resultStatus"]! == "F")
            {
                (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId, "TERMINATE"))).ResultCode.Should().Be("SUCCESS");
            }

            return (200, NotificationInbox.Acknowledgement);
        };

        await m.AdvanceAsync("P2M");
        var details = (await m.SubscriptionAsync(subscriptionId))["timeline"]!.AsArray().Select(e => (string)e!["detail"]!).ToList();

        int IndexOf(string text)
        {
            var index = details.FindIndex(d => d.Contains(text, StringComparison.Ordinal));
            index.Should().BeGreaterThanOrEqualTo(0, $"'{text}' is in {string.Join(" | ", details)}");
            return index;
        }

        var failed = IndexOf("phase 2 ");
        var reported = details.FindIndex(failed, d => d.StartsWith("notifyPayment", StringComparison.Ordinal));
        var cancel = IndexOf("cancel TERMINATE");
        var terminate = details.FindIndex(cancel, d => d.StartsWith("notifySubscription", StringComparison.Ordinal));
        reported.Should().BeInRange(failed + 1, cancel - 1, "the failed payment's attempt comes before the cancel it caused: {0}", string.Join(" | ", details));
        terminate.Should().BeGreaterThan(cancel);
    }

    /// <summary>
    /// Approval sends CREATE, then phase 1's payment: a cancel made by the handler of CREATE goes between the two
    /// attempts in the timeline, though all three share one instant.
    /// </summary>
    [Fact]
    public async Task TimelineOfACancelMadeOnCreate_GoesBetweenCreateAndThePaymentSentAfterIt()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        var requestId = await m.CreateAsync(MerchantHarness.Body(Frozen));
        m.Receiver.Answer = async n =>
        {
            if (!n.IsPayment && (string)n.Json["subscriptionNotificationType"]! == "CREATE")
            {
                (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel((string)n.Json["subscriptionId"]!, "CANCEL"))).ResultCode.Should().Be("SUCCESS");
            }

            return (200, NotificationInbox.Acknowledgement);
        };

        var subscriptionId = (await m.Typed.ApproveSubscriptionRequestAsync(m.Merchant.ClientId, requestId)).SubscriptionId!;
        var details = (await m.SubscriptionAsync(subscriptionId))["timeline"]!.AsArray().Select(e => (string)e!["detail"]!).ToList();

        var create = details.FindIndex(d => d.StartsWith("notifySubscription", StringComparison.Ordinal));
        var cancel = details.FindIndex(d => d.StartsWith("cancel CANCEL", StringComparison.Ordinal));
        var payment = details.FindIndex(d => d.StartsWith("notifyPayment", StringComparison.Ordinal));
        new[] { create, cancel, payment }.Should().BeInAscendingOrder("as it happened: {0}", string.Join(" | ", details)).And.NotContain(-1);
    }

    /// <summary>
    /// 65 renewals due at one instant: 64 go out at once, the 65th waits for a delivery slot. A cancel of the 65th,
    /// made by a handler while it waited, was committed before its payment was sent: the timeline shows the cancel first.
    /// </summary>
    [Fact]
    public async Task TimelineOfACancelMadeWhileAnAttemptWaitedForADeliverySlot_ComesBeforeTheAttempt()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        var ids = new List<string>();
        for (var i = 0; i < 65; i++)
        {
            ids.Add(await m.CreateAndApproveAsync(MerchantHarness.Body(Frozen)));
        }

        var arrived = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string? target = null;
        m.Receiver.Answer = async n =>
        {
            if (n.IsPayment && n.Json["phaseNo"]!.ToString() == "2" && !release.Task.IsCompleted)
            {
                arrived[n.SubscriptionId!] = true;
                if (arrived.Count == 64)
                {
                    // All 64 slots are out; the 65th subscription's payment has not been sent yet.
                    target = ids.Except(arrived.Keys).Single();
                    (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(target, "TERMINATE"))).ResultCode.Should().Be("SUCCESS");
                    release.TrySetResult();
                }

                await release.Task.WaitAsync(TimeSpan.FromSeconds(20));
            }

            return (200, NotificationInbox.Acknowledgement);
        };

        await m.AdvanceAsync("P1M");
        target.Should().NotBeNull();
        m.Payments(target!).Should().Contain(p => p.Json["phaseNo"]!.ToString() == "2", "its phase-2 payment went out after the cancel");
        var details = (await m.SubscriptionAsync(target!))["timeline"]!.AsArray().Select(e => (string)e!["detail"]!).ToList();
        var cancel = details.FindIndex(d => d.StartsWith("cancel TERMINATE", StringComparison.Ordinal));
        var payment = details.FindLastIndex(d => d.StartsWith("notifyPayment", StringComparison.Ordinal));
        payment.Should().BeGreaterThan(cancel, "the payment was sent after the cancel was committed: {0}", string.Join(" | ", details));
    }

    /// <summary>A phase whose deduction failed gives no service: cancelled then, the subscription ends when the last paid phase does.</summary>
    [Fact]
    public async Task CancelAfterAFailedRenewal_EndsWithTheLastPaidPhase()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Frozen));
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", match = new { phaseNo = 2 } })).EnsureSuccessStatusCode();
        await m.AdvanceToAsync(Frozen.AddMonths(1).AddDays(-1));
        (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId))).ResultCode.Should().Be("SUCCESS");

        await m.AdvanceToAsync(Frozen.AddMonths(1).AddDays(1));
        var subscription = await m.SubscriptionAsync(subscriptionId);

        ((string)subscription["status"]!).Should().Be("TERMINATED", "phase 1, the last one paid, ended on the day phase 2 (unpaid) began");
    }

    /// <summary>
    /// SPEC §4.8: a merchant that stops the service after a failed payment cancels with CANCEL, which serves to the end
    /// of the period running like any other CANCEL; it used to end the subscription at once, while its
    /// notifySubscription said ACTIVE.
    /// </summary>
    [Fact]
    public async Task CancelInsideAPeriodWhosePaymentFailed_ServesItToItsEnd_ThenEnds()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Frozen));
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", match = new { phaseNo = 2 } })).EnsureSuccessStatusCode();
        await m.AdvanceToAsync(Frozen.AddMonths(1).AddDays(3));
        (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId))).ResultCode.Should().Be("SUCCESS");

        var inquiry = await m.Client.CallAsync(m.Merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = subscriptionId });
        await m.AdvanceToAsync(Frozen.AddMonths(2).AddMinutes(-1));
        var beforeItsEnd = (string)(await m.SubscriptionAsync(subscriptionId))["status"]!;
        await m.AdvanceToAsync(Frozen.AddMonths(2));
        var atItsEnd = (string)(await m.SubscriptionAsync(subscriptionId))["status"]!;

        var info = inquiry.Json["subscription"]!;
        ((string)info["status"]!).Should().Be("CANCELLED", "the period whose payment failed is still running");
        info["currentPhaseNo"]!.ToString().Should().Be("2");
        beforeItsEnd.Should().Be("CANCELLED");
        atItsEnd.Should().Be("TERMINATED", "the period running when it was cancelled (phase 2) is over");
        m.Payments(subscriptionId).Should().NotContain(p => p.Json["phaseNo"]!.ToString() == "3", "a cancelled subscription is not charged again");
    }

    /// <summary>
    /// A change that starts the next phase later leaves days between the paid phase and it that nobody paid for: a
    /// CANCEL then serves to the end of the paid phase, not to the moved start.
    /// </summary>
    [Fact]
    public async Task CancelAfterAChangeThatStartsTheNextPhaseLater_ServesOnlyThePaidPhase()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Frozen));
        await m.AdvanceToAsync(Frozen.AddDays(10));
        var change = Bodies.Change(subscriptionId);
        change["subscriptionStartTime"] = Frozen.AddMonths(1).AddDays(10).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);
        (await m.Client.CallAsync(m.Merchant, "change", change)).ResultCode.Should().Be("SUCCESS");
        (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId))).ResultCode.Should().Be("SUCCESS");

        await m.AdvanceToAsync(Frozen.AddMonths(1).AddMinutes(1));

        ((string)(await m.SubscriptionAsync(subscriptionId))["status"]!).Should().Be("TERMINATED", "phase 1, the one paid, ended; the ten days before the moved start were never paid for");
    }

    /// <summary>
    /// An update that moves the next phase later lengthens the phase running, paid or not: a CANCEL serves to the new
    /// date, and inquireSubscription ends the current period there too (it kept the old end for an unpaid phase).
    /// </summary>
    [Fact]
    public async Task CancelAfterAnUpdateMovedTheNextPhaseLater_InAPeriodWhosePaymentFailed_ServesAndInquiresToTheNewDate()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Frozen));
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", match = new { phaseNo = 2 } })).EnsureSuccessStatusCode();
        await m.AdvanceToAsync(Frozen.AddMonths(1).AddDays(3));
        var moved = Frozen.AddMonths(2).AddDays(10);
        var update = Bodies.Update(subscriptionId);
        update["nextSubscriptionDate"] = moved.ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);
        var updated = await m.Client.CallAsync(m.Merchant, "update", update);
        (await m.Client.CallAsync(m.Merchant, "cancel", Bodies.Cancel(subscriptionId))).ResultCode.Should().Be("SUCCESS");

        var inquiry = await m.Client.CallAsync(m.Merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = subscriptionId });
        await m.AdvanceToAsync(moved.AddMinutes(-1));
        var beforeTheNewDate = (string)(await m.SubscriptionAsync(subscriptionId))["status"]!;
        await m.AdvanceToAsync(moved);
        var atTheNewDate = (string)(await m.SubscriptionAsync(subscriptionId))["status"]!;

        updated.ResultCode.Should().Be("SUCCESS", updated.ResultMessage);
        ((string)inquiry.Json["subscription"]!["currentPeriodEnd"]!).Should().Be("2030-08-25T12:00:00+00:00");
        beforeTheNewDate.Should().Be("CANCELLED");
        atTheNewDate.Should().Be("TERMINATED");
    }

    /// <summary>
    /// A phase that would start after the year 9999 never starts: an advance to the end of the calendar charged it again
    /// and again, without end, and never answered.
    /// </summary>
    [Fact]
    public async Task AdvanceToTheEndOfTheCalendar_ChargesEveryPhaseThatStartsBeforeIt_AndAnswers()
    {
        var start = new DateTimeOffset(2027, 3, 10, 8, 0, 0, TimeSpan.Zero);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        var body = MerchantHarness.Body(start);
        body["periodRule"] = new JsonObject { ["periodType"] = "YEAR", ["periodCount"] = 4000 };
        var subscriptionId = await m.CreateAndApproveAsync(body);

        var advance = m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", new { to = "9999-12-31T00:00:00Z" });
        var answered = await advance.WaitAsync(TimeSpan.FromSeconds(60));

        answered.StatusCode.Should().Be(HttpStatusCode.OK, await answered.Content.ReadAsStringAsync());
        var phases = (await m.SubscriptionAsync(subscriptionId))["phases"]!.AsArray();
        phases.Select(p => (string)p!["periodStartTime"]!).Should().Equal("2027-03-10T08:00:00+00:00", "6027-03-10T08:00:00+00:00");
    }

    /// <summary>
    /// An advance that waited for its turn behind the merchant's delete ran on a merchant that was gone, answered 200,
    /// and left a clock that a merchant made again with that client id started with.
    /// </summary>
    [Fact]
    public async Task AdvanceQueuedBehindADelete_Is404_AndLeavesNoClockBehind()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        await m.CreateAndApproveAsync(MerchantHarness.Body(Frozen));
        var (arrived, release) = m.HoldAnswers();
        var first = m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", new { by = "P1M" });
        await arrived.WaitAsync(TimeSpan.FromSeconds(30));

        // Queued in this order behind the first advance's run (the pauses let each call reach the merchant's gate).
        var delete = m.Http.DeleteAsync(m.Control);
        await Task.Delay(300);
        var second = m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", new { by = "P1Y" });
        await Task.Delay(300);
        release();
        (await first).EnsureSuccessStatusCode();
        var deleted = await delete;
        var secondAnswer = await second;
        await new Generated.EmulatorControlClient(m.Http).PutMerchantAsync(m.Merchant.ClientId, new Generated.MerchantBody
        {
            PublicKey = Convert.ToBase64String(TestMerchant.SharedKey.ExportSubjectPublicKeyInfo()),
        });
        var clock = (await m.Http.GetFromJsonAsync<JsonObject>($"{m.Control}/clock"))!;

        deleted.StatusCode.Should().Be(HttpStatusCode.NoContent);
        secondAnswer.StatusCode.Should().Be(HttpStatusCode.NotFound, await secondAnswer.Content.ReadAsStringAsync());
        DateTimeOffset.Parse((string)clock["now"]!, System.Globalization.CultureInfo.InvariantCulture).Should().Be(factory.Time.GetUtcNow(), "a merchant made again starts on the wall clock");
    }

    /// <summary>
    /// A webhook handler that, on the CREATE of one approval, approves another request: the second approval does not
    /// wait for the first one's run (which waits for the handler); that run delivers what the second caused.
    /// </summary>
    [Fact]
    public async Task ApproveFromAWebhookHandlerDuringAnotherApproval_NeitherWaitsForTheOther()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        var first = await m.CreateAsync(MerchantHarness.Body(Frozen));
        var second = await m.CreateAsync(MerchantHarness.Body(Frozen));
        var approvedInHandler = false;
        m.Receiver.Answer = async n =>
        {
            if (!n.IsPayment && (string)n.Json["subscriptionRequestId"]! == first && !approvedInHandler)
            {
                approvedInHandler = true;
                (await m.Http.PostAsync($"{m.Control}/subscription-requests/{second}/approve", null)).EnsureSuccessStatusCode();
            }

            return (200, NotificationInbox.Acknowledgement);
        };

        (await m.Http.PostAsync($"{m.Control}/subscription-requests/{first}/approve", null)).EnsureSuccessStatusCode();
        var ledger = await m.NotificationsAsync();

        approvedInHandler.Should().BeTrue();
        ledger.Should().HaveCount(4, "CREATE and phase 1 of each");
        ledger.Should().OnlyContain(n => (string)n!["status"]! == "acknowledged" && n["attempts"]!.AsArray().Count == 1,
            "the handler's approval answered at once, and the first approval's run delivered what it caused before returning");
    }

    /// <summary>
    /// A webhook handler that asks for a redelivery while the run it answers waits for it: the redeliver answers 202 at
    /// once (instead of waiting for that run until the notification timed out), and the attempt follows the run.
    /// </summary>
    [Fact]
    public async Task RedeliverFromAWebhookHandlerDuringAnApproval_AnswersAtOnce_AndTheAttemptFollows()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        var earlier = await m.CreateAndApproveAsync(MerchantHarness.Body(Frozen));
        var earlierCreate = (string)(await m.NotificationsAsync($"?subscriptionId={earlier}&kind=notifySubscription")).Single()!["notificationId"]!;
        var next = await m.CreateAsync(MerchantHarness.Body(Frozen));
        HttpStatusCode? redeliver = null;
        m.Receiver.Answer = async n =>
        {
            if (!n.IsPayment && (string)n.Json["subscriptionRequestId"]! == next && redeliver is null)
            {
                redeliver = (await m.Http.PostAsync($"{m.Control}/notifications/{earlierCreate}/redeliver", null)).StatusCode;
            }

            return (200, NotificationInbox.Acknowledgement);
        };

        (await m.Http.PostAsync($"{m.Control}/subscription-requests/{next}/approve", null)).EnsureSuccessStatusCode();
        var again = await m.Receiver.WaitForAsync(n => n.NotificationId == earlierCreate && n.Order > 1, TimeSpan.FromSeconds(20));
        var nextId = (string)(await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions?subscriptionRequestId={next}"))!.Single()!["subscriptionId"]!;
        var ledger = await m.NotificationsAsync($"?subscriptionId={nextId}");

        redeliver.Should().Be(HttpStatusCode.Accepted);
        again.SignatureValid.Should().BeTrue();
        ledger.Should().HaveCount(2).And.OnlyContain(n => (string)n!["status"]! == "acknowledged" && n["attempts"]!.AsArray().Count == 1,
            "the handler's redeliver did not hold up the delivery it was answering");
    }

    /// <summary>
    /// The same during a redelivery (not a run): the handler's own redeliver answers at once instead of waiting for the
    /// redelivery it is answering, which would time out.
    /// </summary>
    [Fact]
    public async Task RedeliverFromAWebhookHandlerDuringARedelivery_AnswersAtOnce()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        var requestId = await m.CreateAsync(MerchantHarness.Body(Frozen));
        (await m.Http.PostAsync($"{m.Control}/subscription-requests/{requestId}/decline", null)).EnsureSuccessStatusCode();
        var notificationId = (string)(await m.NotificationsAsync("?kind=notifySubscription")).Single()!["notificationId"]!;
        var inner = new TaskCompletionSource<HttpStatusCode>();
        m.Receiver.Answer = async _ =>
        {
            if (!inner.Task.IsCompleted)
            {
                using var response = await m.Http.PostAsync($"{m.Control}/notifications/{notificationId}/redeliver", null);
                inner.TrySetResult(response.StatusCode);
            }

            return (200, NotificationInbox.Acknowledgement);
        };

        var outer = await m.Http.PostAsync($"{m.Control}/notifications/{notificationId}/redeliver", null);
        var status = await inner.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var attempts = (await m.NotificationsAsync("?kind=notifySubscription")).Single()!["attempts"]!.AsArray();

        outer.StatusCode.Should().Be(HttpStatusCode.Accepted);
        status.Should().Be(HttpStatusCode.Accepted);
        attempts[1]!["outcome"]!.GetValue<string>().Should().Be("acknowledged", "the handler's redeliver did not hold up the redelivery it was answering");
    }

    /// <summary>
    /// The same on a clock that ticks: the handler's approval falls after the instant the first approval's run goes to,
    /// so a run right after it delivers what the second approval caused, without waiting for the background loop.
    /// </summary>
    [Fact]
    public async Task ApproveFromAWebhookHandlerDuringAnotherApproval_OnATickingClock_IsDeliveredRightAfter()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        (await m.Http.PostAsync($"{m.Control}/clock/resume", null)).EnsureSuccessStatusCode();
        var now = await m.NowAsync();
        var first = await m.CreateAsync(MerchantHarness.Body(now));
        var second = await m.CreateAsync(MerchantHarness.Body(now));
        var approvedInHandler = false;
        m.Receiver.Answer = async n =>
        {
            if (!n.IsPayment && (string)n.Json["subscriptionRequestId"]! == first && !approvedInHandler)
            {
                approvedInHandler = true;
                factory.Time.Advance(TimeSpan.FromMilliseconds(5)); // the handler's own time
                (await m.Http.PostAsync($"{m.Control}/subscription-requests/{second}/approve", null)).EnsureSuccessStatusCode();
            }

            return (200, NotificationInbox.Acknowledgement);
        };

        (await m.Http.PostAsync($"{m.Control}/subscription-requests/{first}/approve", null)).EnsureSuccessStatusCode();
        var secondId = (string)(await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions?subscriptionRequestId={second}"))!.Single()!["subscriptionId"]!;
        var payment = await m.Receiver.WaitForAsync(n => n.IsPayment && (string)n.Json["subscriptionId"]! == secondId, TimeSpan.FromSeconds(20));

        approvedInHandler.Should().BeTrue();
        payment.SignatureValid.Should().BeTrue("delivered with the clock where the test left it: no background tick was needed");
        m.Receiver.Received.Should().HaveCount(4, "CREATE and phase 1 of each, once");
    }

    /// <summary>
    /// A webhook handler that approves another request during an advance: the approval does not wait for the advance
    /// (which waits for the handler), so the notification being handled is acknowledged at once, and the approval's
    /// phase 1 is in the advance's events.
    /// </summary>
    [Fact]
    public async Task ApproveFromAWebhookHandlerDuringAnAdvance_NeitherWaitsForTheOther()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        var later = await m.CreateAndApproveAsync(MerchantHarness.Body(Frozen.AddMinutes(10)));
        var waiting = await m.CreateAsync(MerchantHarness.Body(Frozen));
        var approved = false;
        m.Receiver.Answer = async n =>
        {
            if (n.IsPayment && (string)n.Json["subscriptionId"]! == later && !approved)
            {
                approved = true;
                (await m.Http.PostAsync($"{m.Control}/subscription-requests/{waiting}/approve", null)).EnsureSuccessStatusCode();
            }

            return (200, NotificationInbox.Acknowledgement);
        };

        var events = await m.AdvanceAsync("PT20M");
        var waitingId = (string)(await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions?subscriptionRequestId={waiting}"))!.Single()!["subscriptionId"]!;

        approved.Should().BeTrue();
        events.Where(e => (string)e!["type"]! == "notificationAttempt" && (string)e["subscriptionId"]! == later && (string)e["kind"]! == "notifyPayment")
            .Select(e => (string)e!["outcome"]!).Should().Equal(["acknowledged"], "the handler's approval answered without waiting for the advance");
        events.Should().Contain(e => (string)e!["type"]! == "deduction" && (string)e["subscriptionId"]! == waitingId && (int)e["phaseNo"]! == 1,
            "the approval charged phase 1 during the advance");
        (await m.NotificationsAsync($"?subscriptionId={waitingId}")).Should().HaveCount(2).And.OnlyContain(n => (string)n!["status"]! == "acknowledged",
            "the advance delivered the approval's CREATE and phase 1");
    }

    [Fact]
    public async Task ResumeWithARate_RunsThatManyTimesAsFastAsTheWall_AndAnAdvanceKeepsThePace()
    {
        var http = factory.CreateClient();
        var merchant = await TestMerchant.CreateAsync(http);
        var clock = $"/_emulator/v1/merchants/{merchant.ClientId}/clock";
        await http.PostAsJsonAsync($"{clock}/freeze", new { at = Frozen });

        var resumed = await http.PostAsJsonAsync($"{clock}/resume", new { rate = 14400 });
        var answered = await resumed.Content.ReadFromJsonAsync<JsonObject>();
        factory.Time.Advance(TimeSpan.FromSeconds(1));
        var ticking = await http.GetFromJsonAsync<JsonObject>(clock);
        await http.PostAsJsonAsync($"{clock}/advance", new { by = "P1D" });
        factory.Time.Advance(TimeSpan.FromSeconds(2));
        var afterAdvance = await http.GetFromJsonAsync<JsonObject>(clock);

        resumed.StatusCode.Should().Be(HttpStatusCode.OK);
        DateTimeOffset.Parse((string)answered!["now"]!).Should().Be(Frozen, "it ticks from where it stood");
        ((long)answered["rate"]!).Should().Be(14400);
        DateTimeOffset.Parse((string)ticking!["now"]!).Should().Be(Frozen.AddHours(4), "a wall second is 14,400 s on this clock");
        ((bool)ticking["frozen"]!).Should().BeFalse();
        ((long)ticking["rate"]!).Should().Be(14400);
        DateTimeOffset.Parse((string)afterAdvance!["now"]!).Should().Be(Frozen.AddHours(4).AddDays(1).AddHours(8), "an advance moves it and leaves its pace");
        ((long)afterAdvance["rate"]!).Should().Be(14400);
    }

    [Fact]
    public async Task FreezeThenResumeWithoutARate_TicksWithTheWallAgain()
    {
        var http = factory.CreateClient();
        var merchant = await TestMerchant.CreateAsync(http);
        var clock = $"/_emulator/v1/merchants/{merchant.ClientId}/clock";
        await http.PostAsJsonAsync($"{clock}/freeze", new { at = Frozen });
        await http.PostAsJsonAsync($"{clock}/resume", new { rate = 1000 });
        factory.Time.Advance(TimeSpan.FromSeconds(3));

        var frozen = await (await http.PostAsync($"{clock}/freeze", null)).Content.ReadFromJsonAsync<JsonObject>();
        factory.Time.Advance(TimeSpan.FromSeconds(3));
        await http.PostAsync($"{clock}/resume", null);
        factory.Time.Advance(TimeSpan.FromSeconds(5));
        var ticking = await http.GetFromJsonAsync<JsonObject>(clock);

        DateTimeOffset.Parse((string)frozen!["now"]!).Should().Be(Frozen.AddSeconds(3000));
        DateTimeOffset.Parse((string)ticking!["now"]!).Should().Be(Frozen.AddSeconds(3005), "resume without a rate ticks with the wall");
        ((long)ticking["rate"]!).Should().Be(1);
    }

    [Fact]
    public async Task FasterClock_ReadAgainFromStorage_KeepsItsReadingAndPace()
    {
        var http = factory.CreateClient();
        var merchant = await TestMerchant.CreateAsync(http);
        var clock = $"/_emulator/v1/merchants/{merchant.ClientId}/clock";
        await http.PostAsJsonAsync($"{clock}/freeze", new { at = Frozen });
        await http.PostAsJsonAsync($"{clock}/resume", new { rate = 60 });
        factory.Time.Advance(TimeSpan.FromSeconds(10));
        var before = await http.GetFromJsonAsync<JsonObject>(clock);

        factory.Services.GetRequiredService<Emulator.Scheduling.MerchantClocks>().Forget(merchant.ClientId);
        var after = await http.GetFromJsonAsync<JsonObject>(clock);
        factory.Time.Advance(TimeSpan.FromSeconds(1));
        var later = await http.GetFromJsonAsync<JsonObject>(clock);

        DateTimeOffset.Parse((string)before!["now"]!).Should().Be(Frozen.AddMinutes(10));
        DateTimeOffset.Parse((string)after!["now"]!).Should().Be(Frozen.AddMinutes(10), "the stored clock reads as the one in memory did");
        DateTimeOffset.Parse((string)later!["now"]!).Should().Be(Frozen.AddMinutes(11));
        ((long)later["rate"]!).Should().Be(60);
    }

    [Theory]
    [InlineData("{\"rate\":0}", "rate must be a whole number from 1")]
    [InlineData("{\"rate\":-14400}", "rate must be a whole number from 1")]
    [InlineData("{\"rate\":1000001}", "to 1000000")]
    [InlineData("{\"rate\":1.5}", "rate")]
    [InlineData("{\"rate\":\"fast\"}", "rate")]
    public async Task ResumeWithABadRate_IsProblem400_AndLeavesTheClockAsItWas(string body, string detail)
    {
        var http = factory.CreateClient();
        var merchant = await TestMerchant.CreateAsync(http);
        var clock = $"/_emulator/v1/merchants/{merchant.ClientId}/clock";
        await http.PostAsJsonAsync($"{clock}/freeze", new { at = Frozen });

        var response = await http.PostAsync($"{clock}/resume", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        factory.Time.Advance(TimeSpan.FromSeconds(1));
        var after = await http.GetFromJsonAsync<JsonObject>(clock);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        ((string)problem!["detail"]!).Should().Contain(detail);
        ((bool)after!["frozen"]!).Should().BeTrue();
        DateTimeOffset.Parse((string)after["now"]!).Should().Be(Frozen);
    }

    [Fact]
    public async Task FasterClock_TheBackgroundLoopRunsEachRenewalAsTheWallPasses()
    {
        // A monthly plan from 15 June: the July renewal is due on 14 July (a day ahead), 29 days on, which a clock at
        // 14400 times the wall reaches in 2.9 wall minutes: nobody advances the clock.
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Frozen);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Frozen));
        try
        {
            await m.Http.PostAsJsonAsync($"{m.Control}/clock/resume", new { rate = 14400 });
            factory.Time.Advance(TimeSpan.FromMinutes(2));
            var early = m.Payments(subscriptionId).Count;
            factory.Time.Advance(TimeSpan.FromMinutes(1));

            var renewal = await m.Receiver.WaitForAsync(
                r => r.IsPayment && (string?)r.Json["subscriptionId"] == subscriptionId && (string?)r.Json["phaseNo"] == "2", TimeSpan.FromSeconds(30));

            early.Should().Be(1, "20 days on, the renewal is not due yet");
            ((string)renewal.Json["result"]!["resultStatus"]!).Should().Be("S");
            DateTimeOffset.Parse((string)renewal.Json["periodStartTime"]!).Should().Be(Frozen.AddMonths(1));
        }
        finally
        {
            // The collection's wall clock moves on in other tests: a clock left this fast would run years of renewals.
            await m.Http.DeleteAsync(m.Control);
        }
    }

    [Fact]
    public async Task DashboardRateForm_RunsTheClockFaster_AndRefusesARateOutOfRange()
    {
        var http = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var merchant = await TestMerchant.CreateAsync(http, frozenAt: Frozen);
        var form = $"/_emulator/ui/merchants/{merchant.ClientId}/clock/resume";
        var before = await http.GetStringAsync($"/_emulator/ui/merchants/{merchant.ClientId}");

        var refused = await http.PostAsync(form, new FormUrlEncodedContent(new Dictionary<string, string> { ["rate"] = "0" }));
        var stillFrozen = await http.GetFromJsonAsync<JsonObject>($"/_emulator/v1/merchants/{merchant.ClientId}/clock");
        var accepted = await http.PostAsync(form, new FormUrlEncodedContent(new Dictionary<string, string> { ["rate"] = "14400" }));
        var page = await http.GetStringAsync($"/_emulator/ui/merchants/{merchant.ClientId}");
        var list = await http.GetStringAsync("/_emulator/ui");
        var clock = await http.GetFromJsonAsync<JsonObject>($"/_emulator/v1/merchants/{merchant.ClientId}/clock");

        before.Should().Contain("id=\"rate\"").And.Contain("(frozen)");
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        ((bool)stillFrozen!["frozen"]!).Should().BeTrue();
        accepted.StatusCode.Should().Be(HttpStatusCode.Redirect);
        page.Should().Contain("(ticking 14400 times as fast as the wall)");
        list.Should().Contain("(14400 times as fast as the wall)", "the merchant list shows which clocks run fast");
        ((long)clock!["rate"]!).Should().Be(14400);
        await http.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/clock/freeze", null); // not left running in the shared host
    }
}
