using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;
using Xunit.Abstractions;

namespace ContractTests.Hosting;

/// <summary>
/// Nothing is lost when the process dies: kill the emulator (SIGKILL) in the middle of a 12-month advance, start it
/// again on the same data, advance again, and every phase was deducted exactly once and acknowledged.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Subscriptions = 200;
    private static readonly DateTimeOffset Start = new(2027, 1, 15, 0, 0, 0, TimeSpan.Zero);
    private readonly string dataDirectory = Directory.CreateTempSubdirectory("emulator-crash-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(dataDirectory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task KilledMidAdvance_RestartAndAdvanceAgain_EveryPhaseOnceAndAcknowledged()
    {
        await using var receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey);
        var target = Start.AddMonths(12);
        var killAfter = new TaskCompletionSource();
        var paymentsBeforeKill = Subscriptions + 600;
        receiver.Answer = r =>
        {
            if (receiver.Received.Count(x => x.IsPayment) >= paymentsBeforeKill)
            {
                killAfter.TrySetResult();
            }

            return Task.FromResult((200, NotificationInbox.Acknowledgement));
        };

        TestMerchant merchant;
        var (first, http, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (first)
        {
            using var client = new HttpClient { BaseAddress = http };
            merchant = await TestMerchant.CreateAsync(client, receiver, Start);
            var antom = new AntomTestClient(client);
            for (var i = 0; i < Subscriptions; i++)
            {
                var body = MerchantHarness.Body(Start);
                (await antom.CallAsync(merchant, "create", body)).ResultCode.Should().Be("SUCCESS");
                (await client.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscription-requests/{(string)body["subscriptionRequestId"]!}/approve", null)).EnsureSuccessStatusCode();
            }

            var advance = client.PostAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}/clock/advance", new { to = target });
            await Task.WhenAny(killAfter.Task, advance);
            advance.IsCompleted.Should().BeFalse("the kill must land in the middle of the advance");
            first.Kill();
        }

        var receivedAtKill = receiver.Received.Count;
        var (second, httpAgain, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (second)
        {
            using var client = new HttpClient { BaseAddress = httpAgain };
            var advanced = await client.PostAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}/clock/advance", new { to = target });
            advanced.EnsureSuccessStatusCode();
            var subscriptions = (await client.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions"))!;
            var payments = (await client.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/notifications?kind=notifyPayment"))!;

            output.WriteLine($"received before the kill: {receivedAtKill}; after: {receiver.Received.Count}");
            var paymentIds = YearChecks.EveryPhaseOnce(subscriptions, Subscriptions);
            payments.Should().HaveCount(Subscriptions * 13).And.OnlyContain(n => (string)n!["status"]! == "acknowledged");

            var delivered = receiver.Received.Where(r => r.IsPayment).ToList();
            delivered.Select(r => (string)r.Json["paymentId"]!).Distinct().Should().BeEquivalentTo(paymentIds, "every phase's notifyPayment reached the merchant");
            delivered.GroupBy(r => (string)r.Json["paymentId"]!).Should().OnlyContain(g => g.Select(r => r.NotificationId).Distinct().Count() == 1,
                "a payment seen twice is only a redelivery of the same notification");
            delivered.Should().OnlyContain(r => r.SignatureValid);
        }
    }

    /// <summary>
    /// A notification held back by a reorder fault is written as held before it is sent, and released with its attempt:
    /// killed in between (here while the receiver holds the subscription's last notification, TERMINATE), it is
    /// released at the next start and goes out.
    /// </summary>
    /// <summary>
    /// Stopped (SIGTERM, as a container or CI job is stopped) while a subscription's notifications are half delivered:
    /// what was acknowledged before the stop is recorded, and only the notification that was out goes again. The
    /// approve whose run was cut short answers the decision it committed (it answered a bare 500, found by a
    /// shared-instance walkthrough; sent again, an approve is refused as done).
    /// </summary>
    [Fact]
    public async Task StoppedWhileAChainIsHalfDelivered_WhatWasAcknowledgedIsNotSentAgain()
    {
        await using var receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey);
        var (paymentArrived, release) = HoldAnswers(receiver, r => r.IsPayment);

        TestMerchant merchant;
        var (first, http, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (first)
        {
            using var client = new HttpClient { BaseAddress = http };
            merchant = await TestMerchant.CreateAsync(client, receiver, Start);
            var body = MerchantHarness.Body(Start);
            (await new AntomTestClient(client).CallAsync(merchant, "create", body)).ResultCode.Should().Be("SUCCESS");

            // The approval sends CREATE (acknowledged at once), then phase 1's notifyPayment, whose answer is held.
            var approving = client.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscription-requests/{(string)body["subscriptionRequestId"]!}/approve", null);
            await paymentArrived.WaitAsync(TimeSpan.FromSeconds(30));
            await first.TerminateAsync();
            output.WriteLine(first.Output);
            var approved = await approving;
            approved.StatusCode.Should().Be(HttpStatusCode.OK, "the approval was committed before the stop: {0}", await approved.Content.ReadAsStringAsync());
            ((string)(await approved.Content.ReadFromJsonAsync<JsonObject>())!["status"]!).Should().Be("ACTIVE");
        }

        release.TrySetResult();
        var (second, http2, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (second)
        {
            using var client = new HttpClient { BaseAddress = http2 };
            var deadline = TimeProvider.System.GetUtcNow().AddSeconds(30);
            JsonArray ledger;
            do
            {
                await Task.Delay(200);
                ledger = (await client.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/notifications"))!;
            }
            while (ledger.Any(n => (string)n!["status"]! != "acknowledged") && TimeProvider.System.GetUtcNow() < deadline);

            ledger.Select(n => (string)n!["status"]!).Should().Equal(["acknowledged", "acknowledged"], "the background loop sends phase 1's notifyPayment again after the restart");
        }

        receiver.Received.Count(r => !r.IsPayment).Should().Be(1, "CREATE was acknowledged before the stop: it is not sent again");
        receiver.Received.Count(r => r.IsPayment).Should().Be(2, "phase 1's notifyPayment was out when the process stopped: it goes again");
    }

    /// <summary>
    /// An advance whose run a stop (SIGTERM) cuts short is answered a 503 that says to send it again, not a bare 500;
    /// sent again after the restart, it finishes its run.
    /// </summary>
    [Fact]
    public async Task StoppedDuringAnAdvance_TheAdvanceIsA503SayingToSendItAgain_AndSentAgainItFinishes()
    {
        await using var receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey);
        var (renewalArrived, release) = HoldAnswers(receiver, r => r.IsPayment && r.PhaseNo == 2);

        TestMerchant merchant;
        var (first, http, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (first)
        {
            using var client = new HttpClient { BaseAddress = http };
            merchant = await TestMerchant.CreateAsync(client, receiver, Start);
            var body = MerchantHarness.Body(Start);
            (await new AntomTestClient(client).CallAsync(merchant, "create", body)).ResultCode.Should().Be("SUCCESS");
            (await client.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscription-requests/{(string)body["subscriptionRequestId"]!}/approve", null)).EnsureSuccessStatusCode();

            var advancing = client.PostAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}/clock/advance", new { to = Start.AddMonths(3) });
            await renewalArrived.WaitAsync(TimeSpan.FromSeconds(30));
            await first.TerminateAsync();
            output.WriteLine(first.Output);
            var advanced = await advancing;

            advanced.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, await advanced.Content.ReadAsStringAsync());
            advanced.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            (await advanced.Content.ReadAsStringAsync()).Should().Contain("instance is stopping").And.Contain("send the call again");
        }

        release.TrySetResult();
        var (second, http2, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (second)
        {
            using var client = new HttpClient { BaseAddress = http2 };
            var again = await client.PostAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}/clock/advance", new { to = Start.AddMonths(3) });

            again.StatusCode.Should().Be(HttpStatusCode.OK, await again.Content.ReadAsStringAsync());
            var subscription = (await client.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions"))!.Single()!;
            subscription["phases"]!.AsArray().Select(p => (int)p!["phaseNo"]!).Should().Equal([1, 2, 3, 4], "each phase due by then is charged once");
        }
    }

    /// <summary>
    /// Holds the receiver's answers to the notifications <paramref name="held"/> picks until released, telling when the
    /// first one arrived; the others are acknowledged at once.
    /// </summary>
    private static (Task Arrived, TaskCompletionSource Release) HoldAnswers(NotificationInbox receiver, Func<Emulator.Testing.ReceivedNotification, bool> held)
    {
        var release = new TaskCompletionSource();
        var arrived = new TaskCompletionSource();
        receiver.Answer = async r =>
        {
            if (held(r) && !release.Task.IsCompleted)
            {
                arrived.TrySetResult();
                await release.Task;
            }

            return (200, NotificationInbox.Acknowledgement);
        };
        return (arrived.Task, release);
    }

    [Fact]
    public async Task KilledWhileAHeldBackNotificationIsOut_ItIsDeliveredAfterTheRestart()
    {
        var (notifications, _, _) = await KillWhileTheReceiverHoldsAsync(
            n => !n.IsPayment && (string)n.Json["subscriptionNotificationType"]! == "TERMINATE",
            async (client, antom, merchant, body) =>
            {
                var approved = await client.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscription-requests/{(string)body["subscriptionRequestId"]!}/approve", null);
                var subscriptionId = (string)(await approved.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>())!["subscriptionId"]!;
                (await client.PostAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}/faults", new { target = "notifySubscription", delivery = "reorder" })).EnsureSuccessStatusCode();
                (await antom.CallAsync(merchant, "cancel", Bodies.Cancel(subscriptionId, "TERMINATE"))).ResultCode.Should().Be("SUCCESS");
            },
            "?kind=notifySubscription");

        notifications.Should().HaveCount(2).And.OnlyContain(n => (string)n!["status"]! == "acknowledged", "the TERMINATE held back when the process died went out after the restart");
    }

    /// <summary>The same for an active subscription: CREATE, held back, goes out after phase 1's notifyPayment, also when the process died while that one was out.</summary>
    [Fact]
    public async Task KilledWhileTheNotificationAfterAHeldBackOneIsOut_BothGoOutInTheirSwappedOrderAfterTheRestart()
    {
        var (notifications, afterRestart, _) = await KillWhileTheReceiverHoldsAsync(
            n => n.IsPayment,
            async (client, antom, merchant, body) =>
            {
                (await client.PostAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}/faults", new { target = "notifySubscription", delivery = "reorder" })).EnsureSuccessStatusCode();

                // Not awaited: the approval answers once its notifications had their first attempt, and the payment's hangs.
                _ = client.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscription-requests/{(string)body["subscriptionRequestId"]!}/approve", null);
            },
            "");

        notifications.Should().HaveCount(2).And.OnlyContain(n => (string)n!["status"]! == "acknowledged", "the held-back CREATE went out after the restart, not a month later");
        afterRestart.Select(n => n.Kind).Should().Equal(["notifyPayment", "notifySubscription"], "phase 1's payment again, then the CREATE held back behind it");
    }

    /// <summary>
    /// A delivery fault rule is used by the write that records what it did to the attempt (found by a review: it was
    /// used in a write of its own before the attempt went out). An attempt out when the process dies is not in the
    /// ledger, so it has not used the rule: it goes out again after the restart and meets the rule there. A duplicate
    /// rule duplicates it then; a drop rule's skip lets it through then, and the rule's one drop is still to come.
    /// </summary>
    [Theory]
    [InlineData("duplicate")]
    [InlineData("drop after a skip")]
    public async Task KilledWhileAnAttemptADeliveryRuleMetIsOut_TheRuleIsNotUsed_TheAttemptMeetsItAgainAfterTheRestart(string rule)
    {
        var (notifications, afterRestart, faults) = await KillWhileTheReceiverHoldsAsync(
            n => n.IsPayment,
            async (client, antom, merchant, body) =>
            {
                object fault = rule == "duplicate"
                    ? new { target = "notifyPayment", delivery = "duplicate", times = 1 }
                    : new { target = "notifyPayment", delivery = "drop", skip = 1, times = 1 };
                (await client.PostAsJsonAsync($"/_emulator/v1/merchants/{merchant.ClientId}/faults", fault)).EnsureSuccessStatusCode();

                // Not awaited: the approval answers once its notifications had their first attempt, and the payment's hangs.
                _ = client.PostAsync($"/_emulator/v1/merchants/{merchant.ClientId}/subscription-requests/{(string)body["subscriptionRequestId"]!}/approve", null);
            },
            "");

        notifications.Should().HaveCount(2).And.OnlyContain(n => (string)n!["status"]! == "acknowledged");
        var payment = notifications.Single(n => (string)n!["kind"]! == "notifyPayment")!;
        var attempts = ((JsonArray)payment["attempts"]!).Select(a => (string)a!["outcome"]!).ToList();
        var left = faults.Single()!;
        if (rule == "duplicate")
        {
            afterRestart.Count(n => n.IsPayment).Should().Be(2, "the attempt out at the kill had not used the rule: after the restart it meets it, and is delivered twice");
            attempts.Should().Equal(["acknowledged", "acknowledged"], "the attempt and its duplicate");
            ((int)left["remaining"]!).Should().Be(0, "used by the attempt the ledger shows");
        }
        else
        {
            afterRestart.Count(n => n.IsPayment).Should().Be(1);
            attempts.Should().Equal(["acknowledged"], "the skip lets the attempt after the restart through: the one out at the kill did not use it");
            ((int)left["skipRemaining"]!).Should().Be(0, "the attempt the ledger shows used the skip");
            ((int)left["remaining"]!).Should().Be(1, "the drop is still to come");
        }
    }

    /// <summary>
    /// Creates a subscription on a fresh emulator, runs <paramref name="arrange"/>, kills the process while the receiver
    /// holds the first notification <paramref name="holds"/> picks, starts it again on the same data, and waits until the
    /// merchant's notifications (filtered by <paramref name="query"/>) are acknowledged. Answers them, what the receiver
    /// got after the restart, and the merchant's fault rules then.
    /// </summary>
    private async Task<(JsonArray Notifications, IReadOnlyList<ReceivedNotification> AfterRestart, JsonArray Faults)> KillWhileTheReceiverHoldsAsync(
        Func<ReceivedNotification, bool> holds, Func<HttpClient, AntomTestClient, TestMerchant, JsonObject, Task> arrange, string query)
    {
        await using var receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey);
        var arrived = new TaskCompletionSource();
        var hang = new TaskCompletionSource<(int, string)>();
        var killed = false;
        receiver.Answer = n =>
        {
            if (!killed && holds(n))
            {
                arrived.TrySetResult();
                return hang.Task;
            }

            return Task.FromResult((200, NotificationInbox.Acknowledgement));
        };

        TestMerchant merchant;
        var (first, http, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (first)
        {
            using var client = new HttpClient { BaseAddress = http };
            merchant = await TestMerchant.CreateAsync(client, receiver, Start);
            var antom = new AntomTestClient(client);
            var body = MerchantHarness.Body(Start);
            (await antom.CallAsync(merchant, "create", body)).ResultCode.Should().Be("SUCCESS");
            await arrange(client, antom, merchant, body);
            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
            first.Kill();
            killed = true;
        }

        var receivedBefore = receiver.Received.Count;
        var (second, httpAgain, _) = await EmulatorProcess.StartAsync(dataDirectory);
        await using (second)
        {
            using var client = new HttpClient { BaseAddress = httpAgain };
            JsonArray notifications = [];
            for (var i = 0; i < 100 && (notifications.Count < 2 || !notifications.All(n => (string)n!["status"]! == "acknowledged")); i++)
            {
                await Task.Delay(100);
                notifications = (await client.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/notifications{query}"))!;
            }

            output.WriteLine(notifications.ToJsonString());

            // Taken before the held request is let go: the inbox lists a notification once it has answered it.
            IReadOnlyList<ReceivedNotification> afterRestart = [.. receiver.Received.Skip(receivedBefore)];
            hang.TrySetResult((200, NotificationInbox.Acknowledgement));
            var faults = (await client.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/faults"))!;
            return (notifications, afterRestart, faults);
        }
    }
}
