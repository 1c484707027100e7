using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Hosting;

/// <summary>
/// One seed of concurrent, randomized traffic at several emulator instances sharing one database: one merchant, its
/// subscriptions created, decided, changed, updated, cancelled and refunded through the instances at once (the same
/// request through two of them at the same moment, two bodies under one request id, a cancel racing a change, refunds
/// racing to exceed their payment), while its clock is advanced through one of them and their background loops run,
/// with fault rules added through one and hit through the others, and a webhook endpoint that fails some first attempts
/// and calls the instances back. The seed decides the plan; the interleaving is what the instances make of it. Checks
/// what "behave as one emulator" promises (docs/shared-instance.md).
/// </summary>
public sealed class SharedTraffic(int seed, IReadOnlyList<HttpClient> instances)
{
    private static readonly DateTimeOffset Epoch = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Amounts = ["19900", "9900", "50000", "12300"];

    private readonly Random random = new(seed);
    private readonly ConcurrentQueue<string> log = new();
    private readonly ConcurrentBag<(string Label, string Api, AntomReply Reply)> replies = [];
    private readonly ConcurrentDictionary<string, ConcurrentQueue<bool>> answered = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<string> problems = [];
    private readonly List<string> created = [];
    private readonly List<string> pending = [];
    private readonly ConcurrentBag<string> settledRefunds = [];
    private readonly ConcurrentQueue<string> redelivered = new();
    private NotificationInbox receiver = null!;
    private TestMerchant merchant = null!;
    private DateTimeOffset expectedClock;

    /// <summary>What the seed did, for the failure message.</summary>
    public IReadOnlyCollection<string> Log => log;

    private string Control => $"/_emulator/v1/merchants/{merchant.ClientId}";

    public async Task RunAsync()
    {
        await using (receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey))
        {
            expectedClock = Epoch.AddDays(random.Next(0, 365)).AddMinutes(random.Next(0, 24 * 60));
            merchant = await TestMerchant.CreateAsync(Pick(), receiver, expectedClock);
            receiver.Answer = AnswerAsync;
            Note($"merchant {merchant.ClientId}, clock frozen at {expectedClock:O}, {instances.Count} instances");

            await CreateAllAsync();
            await DecideAllAsync();
            await FaultRaceAsync();
            var rounds = random.Next(3, 5);
            for (var round = 1; round <= rounds; round++)
            {
                await RoundAsync(round);
            }

            await FinishAsync();
            await CheckAsync();
        }
    }

    /// <summary>
    /// A merchant whose clock ticks with wall time, so that the instances' background loops have the work: requests
    /// that expire and subscriptions whose phase 1 starts a few seconds on, approved through any instance. Each expiry
    /// and each phase 1 happens once, whichever loop gets there first.
    /// </summary>
    public async Task RunTickingAsync()
    {
        await using (receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey))
        {
            merchant = await TestMerchant.CreateAsync(Pick(), receiver);
            receiver.Answer = AnswerAsync;
            var now = DateTimeOffset.Parse((string)(await Pick().GetFromJsonAsync<JsonObject>($"{Control}/clock"))!["now"]!, CultureInfo.InvariantCulture);
            var soon = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), now.Offset).AddSeconds(3);
            Note($"ticking merchant {merchant.ClientId} at {now:O}");
            var count = random.Next(4, 9);
            var requests = new List<(string RequestId, bool Approve)>();
            for (var i = 0; i < count; i++)
            {
                var body = MerchantHarness.Body(soon.AddSeconds(random.Next(0, 2)));
                body["subscriptionExpiryTime"] = soon.AddSeconds(random.Next(0, 2)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
                var reply = await TwinAsync($"ticking create {i}", "create", body);
                if (reply.ResultCode == "SUCCESS")
                {
                    requests.Add(((string)body["subscriptionRequestId"]!, random.Next(2) == 0));
                }
            }

            await Task.WhenAll(requests.Where(r => r.Approve).Select(r =>
                ControlAsync($"ticking approve {r.RequestId}", i => i.PostAsync($"{Control}/subscription-requests/{r.RequestId}/approve", null))));
            for (var tries = 0; tries < 150; tries++)
            {
                var subscriptions = (await Pick().GetFromJsonAsync<JsonArray>($"{Control}/subscriptions"))!;
                var notifications = (await Pick().GetFromJsonAsync<JsonArray>($"{Control}/notifications"))!;
                if (subscriptions.All(s => (string)s!["status"]! != "AWAITING_AUTHORIZATION" && ((string)s["status"]! == "TERMINATED" || s["phases"]!.AsArray().Count > 0))
                    && notifications.All(n => (string)n!["status"]! == "acknowledged" || ((string)n!["status"]! == "pending" && n["attempts"]!.AsArray().Count > 0)))
                {
                    break;
                }

                // The background loops make these as wall time passes; nothing else announces them.
                await Task.Delay(TimeSpan.FromMilliseconds(100));
            }

            var final = (await Pick().GetFromJsonAsync<JsonArray>($"{Control}/subscriptions"))!;
            var ledger = (await Pick().GetFromJsonAsync<JsonArray>($"{Control}/notifications"))!;
            foreach (var s in final)
            {
                var requestId = (string)s!["subscriptionRequestId"]!;
                var creates = ledger.Count(n => (string)n!["kind"]! == "notifySubscription" && (string?)JsonNode.Parse((string)n["body"]!)!["subscriptionRequestId"] == requestId);
                var phaseOnes = s["phases"]!.AsArray().Count(p => (int)p!["phaseNo"]! == 1);
                Note($"ticking {requestId}: {s["status"]}, {creates} notifySubscription, {phaseOnes} phase 1");
                if (creates != 1 || phaseOnes > 1 || (string)s["status"]! == "AWAITING_AUTHORIZATION" || ((string)s["status"]! == "ACTIVE" && phaseOnes != 1))
                {
                    problems.Add($"ticking request {requestId} is {s["status"]} with {creates} notifySubscription and {phaseOnes} phase 1 after its expiry and its start");
                }
            }

            foreach (var n in ledger)
            {
                var id = (string)n!["notificationId"]!;
                var arrivals = receiver.Received.Count(r => r.NotificationId == id);
                if (arrivals != n["attempts"]!.AsArray().Count || arrivals == 0)
                {
                    problems.Add($"ticking notification {id} ({n["kind"]}) arrived {arrivals} times; the ledger has {n["attempts"]!.AsArray().Count} attempts");
                }
            }

            if (!problems.IsEmpty)
            {
                throw new Xunit.Sdk.XunitException(string.Join("\n", problems));
            }
        }
    }

    private void Note(string line) => log.Enqueue(line);

    private HttpClient Pick() => instances[random.Next(instances.Count)];

    private int Index(HttpClient instance) => instances.ToList().IndexOf(instance);

    private (HttpClient One, HttpClient Other) TwoOf()
    {
        var one = random.Next(instances.Count);
        var other = (one + 1 + random.Next(instances.Count - 1)) % instances.Count;
        return (instances[one], instances[other]);
    }

    private async Task<AntomReply> CallAsync(string label, HttpClient instance, string api, JsonObject body, string? forced = null, string? effect = null)
    {
        var request = new SignedRequest
        {
            Path = AntomTestClient.PathOf(api),
            Body = System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()),
            ClientId = merchant.ClientId,
            Key = merchant.PrivateKey,
            RequestTime = "1764000000000",
        };
        if (forced is not null)
        {
            request.ExtraHeaders["Emulator-Result-Code"] = forced;
            request.ExtraHeaders["Emulator-Effect"] = effect!;
        }

        var reply = await new AntomTestClient(instance).SendAsync(request);
        replies.Add((label, api, reply));
        Note($"{label} via {(char)('A' + Index(instance))}: {api} → {(reply.Status == HttpStatusCode.OK ? reply.ResultCode : reply.Status.ToString())}");
        if (reply.Status != HttpStatusCode.OK || !reply.SignatureValid || (reply.ResultStatus == "U" && reply.ResultCode != "REFUND_IN_PROCESS"))
        {
            problems.Add($"{label}: {api} answered HTTP {(int)reply.Status}, signature valid {reply.SignatureValid}: {reply.Text}");
        }

        return reply;
    }

    /// <summary>The same request through two instances at the same moment: one effect, one answer, byte for byte.</summary>
    private async Task<AntomReply> TwinAsync(string label, string api, JsonObject body)
    {
        var (one, other) = TwoOf();
        var both = await Task.WhenAll(CallAsync(label, one, api, body), CallAsync(label + " (twin)", other, api, body));
        if (!both[0].RawBody.AsSpan().SequenceEqual(both[1].RawBody))
        {
            problems.Add($"{label}: the same {api} through two instances got two answers:\n  {both[0].Text}\n  {both[1].Text}");
        }

        return both[0];
    }

    /// <summary>Two bodies under one request id through two instances at once: one is answered, the other REPEAT_REQ_INCONSISTENT.</summary>
    private async Task<(AntomReply First, JsonObject FirstBody)?> ConflictAsync(string label, string api, JsonObject body, JsonObject otherBody)
    {
        var (one, other) = TwoOf();
        var both = await Task.WhenAll(CallAsync(label, one, api, body), CallAsync(label + " (other body)", other, api, otherBody));
        var repeats = both.Count(r => r.ResultCode == "REPEAT_REQ_INCONSISTENT");
        if (repeats != 1)
        {
            problems.Add($"{label}: two bodies under one {api} request id got {both[0].ResultCode} and {both[1].ResultCode}, not one answer and one REPEAT_REQ_INCONSISTENT");
            return null;
        }

        return both[0].ResultCode == "REPEAT_REQ_INCONSISTENT" ? (both[1], otherBody) : (both[0], body);
    }

    private async Task<HttpResponseMessage> ControlAsync(string label, Func<HttpClient, Task<HttpResponseMessage>> call, HttpClient? through = null)
    {
        var instance = through ?? Pick();
        var response = await call(instance);
        Note($"{label} via {(char)('A' + Index(instance))}: HTTP {(int)response.StatusCode}");
        if ((int)response.StatusCode >= 500)
        {
            problems.Add($"{label}: HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return response;
    }

    private async Task CreateAllAsync()
    {
        var count = random.Next(6, 16);
        var plans = Enumerable.Range(0, count).Select(i =>
        {
            var body = MerchantHarness.Body(expectedClock, value: Amounts[random.Next(Amounts.Length)]);
            body["subscriptionExpiryTime"] = expectedClock.AddHours(40).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
            var conflict = random.NextDouble() < 0.3;
            return (Body: body, Conflict: conflict, Label: $"create {i}");
        }).ToList();

        await Task.WhenAll(plans.Select(async p =>
        {
            var requestId = (string)p.Body["subscriptionRequestId"]!;
            if (p.Conflict)
            {
                var other = (JsonObject)p.Body.DeepClone();
                other["subscriptionDescription"] = "another description";
                if (await ConflictAsync(p.Label, "create", p.Body, other) is var (first, firstBody) && first.ResultCode == "SUCCESS")
                {
                    await ExpectOneSubscriptionAsync(p.Label, requestId, (string)firstBody["subscriptionDescription"]!);
                }
            }
            else
            {
                var reply = await TwinAsync(p.Label, "create", p.Body);
                if (reply.ResultCode != "SUCCESS")
                {
                    problems.Add($"{p.Label}: {reply.Text}");
                }

                await ExpectOneSubscriptionAsync(p.Label, requestId, (string)p.Body["subscriptionDescription"]!);
            }

            lock (created)
            {
                created.Add(requestId);
            }
        }));
        created.Sort(StringComparer.Ordinal);
    }

    private async Task ExpectOneSubscriptionAsync(string label, string requestId, string description)
    {
        var listed = (await Pick().GetFromJsonAsync<JsonArray>($"{Control}/subscriptions?subscriptionRequestId={requestId}"))!;
        if (listed.Count != 1 || (string)listed[0]!["description"]! != description)
        {
            problems.Add($"{label}: request {requestId} made {listed.Count} subscriptions ({string.Join(", ", listed.Select(s => (string?)s!["description"]))}), expected one with '{description}'");
        }
    }

    /// <summary>Approves most requests, some through two instances at once (one 200, one 409); leaves some for later.</summary>
    private async Task DecideAllAsync()
    {
        var decisions = created.Select(requestId => (RequestId: requestId, Roll: random.NextDouble())).ToList();
        pending.AddRange(decisions.Where(d => d.Roll < 0.25).Select(d => d.RequestId));
        await Task.WhenAll(decisions.Where(d => d.Roll >= 0.25).Select(async d =>
        {
            var path = $"{Control}/subscription-requests/{d.RequestId}/approve";
            if (d.Roll < 0.55)
            {
                var (one, other) = TwoOf();
                var both = await Task.WhenAll(
                    ControlAsync($"approve {d.RequestId}", i => i.PostAsync(path, null), one),
                    ControlAsync($"approve {d.RequestId} (twin)", i => i.PostAsync(path, null), other));
                var codes = both.Select(r => (int)r.StatusCode).Order().ToArray();
                if (!codes.SequenceEqual([200, 409]))
                {
                    problems.Add($"approve {d.RequestId} through two instances at once answered {string.Join(" and ", codes)}, not 200 and 409");
                }
            }
            else
            {
                (await ControlAsync($"approve {d.RequestId}", i => i.PostAsync(path, null))).EnsureSuccessStatusCode();
            }
        }));
    }

    /// <summary>
    /// Rules added through one instance, hit by calls through all of them at once: a rule with <c>times</c> 1 hits one
    /// call (after its <c>skip</c>), and is used up as every instance reads it. Also a deduction and a delivery rule for
    /// what comes later.
    /// </summary>
    private async Task FaultRaceAsync()
    {
        var active = await ActiveSubscriptionIdsAsync();
        if (active.Count == 0)
        {
            return;
        }

        var skip = random.Next(0, 3);
        var target = random.Next(2) == 0 ? "inquireSubscription" : "inquireSubscriptionPayment";
        var rule = await ControlAsync("add fault", i => i.PostAsJsonAsync($"{Control}/faults", new { target, resultCode = "RISK_REJECT", times = 1, skip }));
        rule.EnsureSuccessStatusCode();
        var faultId = (string)(await rule.Content.ReadFromJsonAsync<JsonObject>())!["faultId"]!;
        var calls = random.Next(skip + 2, skip + 7);
        var answers = await Task.WhenAll(Enumerable.Range(0, calls).Select(i =>
            CallAsync($"fault race {i}", instances[i % instances.Count], target, new JsonObject { ["subscriptionId"] = active[random.Next(active.Count)] })));
        var hits = answers.Count(a => a.ResultCode == "RISK_REJECT");
        if (hits != 1)
        {
            problems.Add($"a {target} rule with times 1, skip {skip}, added through one instance, hit {hits} of {calls} calls made through {instances.Count} at once");
        }

        var left = (await Pick().GetFromJsonAsync<JsonArray>($"{Control}/faults"))!.Single(f => (string)f!["faultId"]! == faultId)!;
        if ((int?)left["remaining"] != 0)
        {
            problems.Add($"the {target} rule has {left["remaining"]} uses left after it hit");
        }

        (await ControlAsync("add deduction fault", i => i.PostAsJsonAsync($"{Control}/faults",
            new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", times = 1, match = new { fromPhaseNo = 2 } }))).EnsureSuccessStatusCode();
        (await ControlAsync("add processing fault", i => i.PostAsJsonAsync($"{Control}/faults",
            new { target = "deduction", resultCode = "PAYMENT_IN_PROCESS", effect = "processing", times = 1, match = new { fromPhaseNo = 2 } }))).EnsureSuccessStatusCode();
        (await ControlAsync("add delivery fault", i => i.PostAsJsonAsync($"{Control}/faults",
            new { target = "notifyPayment", delivery = "drop", times = 1 }))).EnsureSuccessStatusCode();
        Note($"fault race on {target}: {calls} calls, skip {skip}, {hits} hit");
    }

    private async Task<List<string>> ActiveSubscriptionIdsAsync() =>
        [.. (await Pick().GetFromJsonAsync<JsonArray>($"{Control}/subscriptions?status=ACTIVE"))!.Select(s => (string)s!["subscriptionId"]!).Order(StringComparer.Ordinal)];

    private async Task<List<(string PaymentId, long Amount)>> PaidPaymentsAsync() =>
        [.. (await Pick().GetFromJsonAsync<JsonArray>($"{Control}/subscriptions"))!
            .SelectMany(s => s!["phases"]!.AsArray())
            .Where(p => (string)p!["resultStatus"]! == "S" && AmountOf(p!["amount"]!) > 0)
            .Select(p => ((string)p!["paymentId"]!, AmountOf(p!["amount"]!)))
            .OrderBy(p => p.Item1, StringComparer.Ordinal)];

    private static long AmountOf(JsonNode amount) => long.Parse(amount["value"]!.ToString(), CultureInfo.InvariantCulture);

    /// <summary>An advance (sometimes two at once, through two instances) while the others serve calls of every kind.</summary>
    private async Task RoundAsync(int round)
    {
        var active = await ActiveSubscriptionIdsAsync();
        var paid = await PaidPaymentsAsync();
        var work = new List<Func<Task>>();

        var days = random.Next(10, 45);
        expectedClock = expectedClock.AddDays(days);
        var twins = random.NextDouble() < 0.3;
        if (twins)
        {
            // The same target through two instances: one runs, the other finds nothing left to do.
            var to = expectedClock;
            var (one, other) = TwoOf();
            work.Add(() => AdvanceToAsync($"round {round} advance", to, one));
            work.Add(() => AdvanceToAsync($"round {round} advance (twin)", to, other));
        }
        else
        {
            work.Add(() => AdvanceAsync($"round {round} advance", $"P{days}D"));
        }
        if (!twins && random.NextDouble() < 0.5)
        {
            // Overlapping advances add up (by counts from the clock when the advance has its turn).
            var hours = random.Next(1, 30);
            expectedClock = expectedClock.AddHours(hours);
            work.Add(() => AdvanceAsync($"round {round} second advance", $"PT{hours}H"));
        }

        foreach (var underWay in (await Pick().GetFromJsonAsync<JsonArray>($"{Control}/subscriptions"))!
            .SelectMany(s => s!["phases"]!.AsArray()).Where(p => (string)p!["resultStatus"]! == "U").Select(p => (string)p!["paymentId"]!))
        {
            var (one, other) = TwoOf();
            work.Add(() => PaymentSettleRaceAsync($"round {round}", underWay, one, other));
        }

        var operations = random.Next(4, 10);
        for (var i = 0; i < operations; i++)
        {
            var label = $"round {round} op {i}";
            var roll = random.Next(14);
            if (active.Count == 0 && roll is < 6 or 9 or 10 or 12)
            {
                roll = 8;
            }

            var subscriptionId = active.Count > 0 ? active[random.Next(active.Count)] : "";
            switch (roll)
            {
                case 0:
                    var change = Bodies.Change(subscriptionId);
                    change["paymentAmount"] = Bodies.Amount("PHP", Amounts[random.Next(Amounts.Length)]);
                    work.Add(() => TwinAsync(label + " change", "change", change));
                    break;
                case 1:
                    var update = Bodies.Update(subscriptionId, amount: Amounts[random.Next(Amounts.Length)]);
                    work.Add(() => TwinAsync(label + " update", "update", update));
                    break;
                case 2:
                    var one = Bodies.Change(subscriptionId);
                    var other = (JsonObject)one.DeepClone();
                    other["paymentAmount"] = Bodies.Amount("PHP", "77700");
                    work.Add(() => ConflictAsync(label + " change", "change", one, other));
                    break;
                case 3:
                    // A cancel racing a change of the same subscription through another instance.
                    var (cancelVia, changeVia) = TwoOf();
                    var cancel = Bodies.Cancel(subscriptionId, random.Next(2) == 0 ? "CANCEL" : "TERMINATE");
                    var racing = Bodies.Change(subscriptionId);
                    work.Add(() => Task.WhenAll(CallAsync(label + " cancel", cancelVia, "cancel", cancel), CallAsync(label + " change racing the cancel", changeVia, "change", racing)));
                    break;
                case 4 or 5 when paid.Count > 0:
                    var (paymentId, amount) = paid[random.Next(paid.Count)];
                    work.Add(RefundRace(label, paymentId, amount));
                    break;
                case 6 when pending.Count > 0:
                    var requestId = TakePending();
                    work.Add(async () => await ControlAsync(label + $" approve {requestId}", i => i.PostAsync($"{Control}/subscription-requests/{requestId}/approve", null)));
                    break;
                case 7:
                    var update2 = Bodies.Update(subscriptionId);
                    update2["subscriptionDescription"] = "updated " + i;
                    work.Add(() => TwinAsync(label + " update description", "update", update2));
                    break;
                case 9:
                    // The same cancellation through two instances: both succeed, one notification.
                    work.Add(() => TwinAsync(label + " cancel", "cancel", Bodies.Cancel(subscriptionId, random.Next(2) == 0 ? "CANCEL" : "TERMINATE")));
                    break;
                case 10:
                    work.Add(() => RefundSettleRaceAsync(label, paid));
                    break;
                case 11 when pending.Count > 0:
                    var decided = TakePending();
                    work.Add(() => DecisionRaceAsync(label, decided));
                    break;
                case 12:
                    var notice = random.Next(1000);
                    work.Add(() => RedeliverRaceAsync(label, notice));
                    break;
                case 13:
                    // The merchant replaced as it was (its clock stays) while it runs: waits for the run.
                    work.Add(async () => await ControlAsync(label + " put merchant", i => i.PutAsJsonAsync(Control, new
                    {
                        publicKey = Convert.ToBase64String(TestMerchant.SharedKey.ExportSubjectPublicKeyInfo()),
                        subscriptionNotificationUrl = receiver.SubscriptionUrl,
                        paymentNotificationUrl = receiver.PaymentUrl,
                    })));
                    break;
                default:
                    work.Add(() => CallAsync(label + " inquiry", Pick(), "inquireSubscriptionList",
                        new JsonObject { ["startTimeFrom"] = Epoch.AddYears(-1).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture), ["startTimeTo"] = Epoch.AddYears(3).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture) }));
                    break;
            }
        }

        await Task.WhenAll(work.Select(w => Task.Run(w)));
        await ExpectClockAsync($"after round {round}");
    }

    /// <summary>Refunds of one payment racing through the instances, some of them sent twice: their total may exceed the payment.</summary>
    /// <summary>A request awaiting authorization, picked by the seed and no longer offered to another step.</summary>
    private string TakePending()
    {
        lock (pending)
        {
            var requestId = pending[random.Next(pending.Count)];
            pending.Remove(requestId);
            return requestId;
        }
    }

    private Func<Task> RefundRace(string label, string paymentId, long amount)
    {
        var refunds = Enumerable.Range(0, random.Next(2, 6)).Select(_ =>
            (Body: Bodies.Refund(paymentId, Math.Max(1, amount * random.Next(20, 61) / 100).ToString(CultureInfo.InvariantCulture)), Twice: random.NextDouble() < 0.4)).ToList();
        return () => Task.WhenAll(refunds.Select((r, i) => r.Twice
            ? TwinAsync($"{label} refund {i} of {paymentId}", "refund", r.Body)
            : CallAsync($"{label} refund {i} of {paymentId}", Pick(), "refund", r.Body)));
    }

    private async Task AdvanceAsync(string label, string by)
    {
        var response = await ControlAsync($"{label} by {by}", i => i.PostAsJsonAsync($"{Control}/clock/advance", new { by }));
        if (!response.IsSuccessStatusCode)
        {
            problems.Add($"{label}: HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private async Task AdvanceToAsync(string label, DateTimeOffset to, HttpClient through)
    {
        var response = await ControlAsync($"{label} to {to:O}", i => i.PostAsJsonAsync($"{Control}/clock/advance", new { to }), through);
        if (!response.IsSuccessStatusCode)
        {
            problems.Add($"{label}: HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>A request approved through one instance and declined through another at once: one decision is taken (200), the other refused (409).</summary>
    private async Task DecisionRaceAsync(string label, string requestId)
    {
        var (one, other) = TwoOf();
        var both = await Task.WhenAll(
            ControlAsync($"{label} approve {requestId}", i => i.PostAsync($"{Control}/subscription-requests/{requestId}/approve", null), one),
            ControlAsync($"{label} decline {requestId}", i => i.PostAsync($"{Control}/subscription-requests/{requestId}/decline", null), other));
        var codes = both.Select(r => (int)r.StatusCode).Order().ToArray();

        // Both 409 when it expired meanwhile.
        if (!codes.SequenceEqual([200, 409]) && !codes.SequenceEqual([409, 409]))
        {
            problems.Add($"{label}: approve and decline of {requestId} through two instances at once answered {string.Join(" and ", codes)}");
        }
    }

    /// <summary>A refund left processing by a rule, settled through two instances at once (one SUCCESS, one FAIL): one settles it, the other gets 409.</summary>
    private async Task RefundSettleRaceAsync(string label, List<(string PaymentId, long Amount)> paid)
    {
        if (paid.Count == 0)
        {
            return;
        }

        var (paymentId, amount) = paid[random.Next(paid.Count)];
        var body = Bodies.Refund(paymentId, Math.Max(1, amount / 10).ToString(CultureInfo.InvariantCulture));
        var reply = await CallAsync($"{label} refund of {paymentId}", Pick(), "refund", body, "REFUND_IN_PROCESS", "processing");
        if (reply.ResultCode != "REFUND_IN_PROCESS")
        {
            return;
        }

        var inquiry = await CallAsync($"{label} inquiry of the refund", Pick(), "inquiryRefund", new JsonObject { ["refundRequestId"] = body["refundRequestId"]!.DeepClone() });
        if (inquiry.ResultCode != "SUCCESS")
        {
            // Refused underneath (the payment refunded meanwhile, or failed): the injected U took no effect.
            return;
        }

        var refundId = (string)inquiry.Json["refundId"]!;
        var (one, other) = TwoOf();
        var both = await Task.WhenAll(
            ControlAsync($"{label} settle {refundId} SUCCESS", i => i.PostAsJsonAsync($"{Control}/refunds/{refundId}/settle", new { status = "SUCCESS" }), one),
            ControlAsync($"{label} settle {refundId} FAIL", i => i.PostAsJsonAsync($"{Control}/refunds/{refundId}/settle", new { status = "FAIL" }), other));
        var codes = both.Select(r => (int)r.StatusCode).ToArray();
        if (!codes.Order().SequenceEqual([200, 409]))
        {
            problems.Add($"{label}: settling refund {refundId} through two instances at once answered {string.Join(" and ", codes)}");
            return;
        }

        var settled = codes[0] == 200 ? "SUCCESS" : "FAIL";
        var now = await CallAsync($"{label} inquiry of the settled refund", Pick(), "inquiryRefund", new JsonObject { ["refundId"] = refundId });
        if ((string?)now.Json["refundStatus"] != settled)
        {
            problems.Add($"{label}: refund {refundId} settled {settled} reads {now.Json["refundStatus"]}");
        }

        if (settled == "SUCCESS")
        {
            settledRefunds.Add(refundId);
        }
    }

    /// <summary>A payment left under way by a rule, settled through two instances at once (one SUCCESS, one FAIL): one settles it, the other gets 409.</summary>
    private async Task PaymentSettleRaceAsync(string label, string paymentId, HttpClient one, HttpClient other)
    {
        var both = await Task.WhenAll(
            ControlAsync($"{label} settle payment {paymentId} SUCCESS", i => i.PostAsJsonAsync($"{Control}/payments/{paymentId}/settle", new { status = "SUCCESS" }), one),
            ControlAsync($"{label} settle payment {paymentId} FAIL", i => i.PostAsJsonAsync($"{Control}/payments/{paymentId}/settle", new { status = "FAIL" }), other));
        if (!both.Select(r => (int)r.StatusCode).Order().SequenceEqual([200, 409]))
        {
            problems.Add($"{label}: settling payment {paymentId} through two instances at once answered {string.Join(" and ", both.Select(r => (int)r.StatusCode))}");
        }
    }

    /// <summary>One notification redelivered through two instances at once: two attempts, one after the other.</summary>
    private async Task RedeliverRaceAsync(string label, int pick)
    {
        var notifications = (await Pick().GetFromJsonAsync<JsonArray>($"{Control}/notifications"))!;
        if (notifications.Count == 0)
        {
            return;
        }

        var id = (string)notifications[pick % notifications.Count]!["notificationId"]!;
        redelivered.Enqueue(id);
        var (one, other) = TwoOf();
        var both = await Task.WhenAll(
            ControlAsync($"{label} redeliver {id}", i => i.PostAsync($"{Control}/notifications/{id}/redeliver", null), one),
            ControlAsync($"{label} redeliver {id} (twin)", i => i.PostAsync($"{Control}/notifications/{id}/redeliver", null), other));
        if (both.Any(r => r.StatusCode != HttpStatusCode.Accepted))
        {
            problems.Add($"{label}: redelivering {id} through two instances at once answered {string.Join(" and ", both.Select(r => (int)r.StatusCode))}");
        }
    }

    private async Task ExpectClockAsync(string when)
    {
        foreach (var instance in instances)
        {
            var now = DateTimeOffset.Parse((string)(await instance.GetFromJsonAsync<JsonObject>($"{Control}/clock"))!["now"]!, CultureInfo.InvariantCulture);
            if (now != expectedClock)
            {
                problems.Add($"{when}: instance {(char)('A' + Index(instance))} reads the clock at {now:O}, expected {expectedClock:O} (the advances add up)");
            }
        }
    }

    /// <summary>
    /// The merchant's endpoint: fails the first attempt of some notifications (an HTTP 500 or a refusal), and on some
    /// calls an instance back first, as a webhook handler behind a load balancer would: an inquiry, a cancel on a
    /// failed renewal, an approval of a waiting request.
    /// </summary>
    private async Task<(int Status, string Body)> AnswerAsync(ReceivedNotification n)
    {
        var attempts = answered.GetOrAdd(n.NotificationId, _ => new ConcurrentQueue<bool>());
        var hash = (uint)HashCode.Combine(seed, StableHash(n.NotificationId));
        try
        {
            if (hash % 5 == 0)
            {
                var instance = instances[(int)(hash / 5 % (uint)instances.Count)];
                await CallAsync($"handler of {n.NotificationId}", instance, "inquireSubscription", new JsonObject { ["subscriptionId"] = n.SubscriptionId });
            }

            if (n.IsPayment && n.ResultCode != "SUCCESS" && hash % 2 == 0)
            {
                var instance = instances[(int)(hash / 2 % (uint)instances.Count)];
                await CallAsync($"handler of failed {n.NotificationId}", instance, "cancel", Bodies.Cancel(n.SubscriptionId!, "TERMINATE"));
            }

            if (hash % 7 == 0 && attempts.IsEmpty)
            {
                string? requestId;
                lock (pending)
                {
                    requestId = pending.FirstOrDefault();
                    if (requestId is not null)
                    {
                        pending.Remove(requestId);
                    }
                }

                if (requestId is not null)
                {
                    var instance = instances[(int)(hash / 7 % (uint)instances.Count)];
                    await ControlAsync($"handler of {n.NotificationId} approve {requestId}", i => i.PostAsync($"{Control}/subscription-requests/{requestId}/approve", null), instance);
                }
            }
        }
        catch (Exception e)
        {
            problems.Add($"the webhook handler's call failed: {e}");
        }

        var fail = attempts.IsEmpty && hash % 9 < 2;
        attempts.Enqueue(!fail);
        return fail ? (hash % 2 == 0 ? 500 : 200, """{"result":{"resultCode":"FAIL","resultStatus":"F","resultMessage":"try again"}}""") : (200, NotificationInbox.Acknowledgement);
    }

    private static int StableHash(string text)
    {
        var h = 17;
        foreach (var c in text)
        {
            h = unchecked((h * 31) + c);
        }

        return h;
    }

    /// <summary>Moves past every retry of a first attempt that failed and waits until the ledger has settled.</summary>
    private async Task FinishAsync()
    {
        lock (pending)
        {
            pending.Clear();
        }

        expectedClock = expectedClock.AddHours(1);
        await AdvanceAsync("finish", "PT1H");
        for (var tries = 0; ; tries++)
        {
            var notifications = (await Pick().GetFromJsonAsync<JsonArray>($"{Control}/notifications"))!;
            if (notifications.All(n => (string)n!["status"]! == "acknowledged") || tries == 100)
            {
                break;
            }

            // Approvals made at the end of an advance are delivered by a run right after it, which nothing announces.
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        await ExpectClockAsync("at the end");
    }

    private async Task CheckAsync()
    {
        var subscriptions = (await Pick().GetFromJsonAsync<JsonArray>($"{Control}/subscriptions"))!;
        var notifications = (await Pick().GetFromJsonAsync<JsonArray>($"{Control}/notifications"))!;
        var received = receiver.Received;

        // Each phase deducted once: numbered 1, 2, … with a payment id of its own and one notifyPayment each.
        var phases = subscriptions.SelectMany(s => s!["phases"]!.AsArray().Select(p => (Subscription: (string)s["subscriptionId"]!, Phase: p!))).ToList();
        foreach (var group in phases.GroupBy(p => p.Subscription))
        {
            var numbers = group.Select(p => (int)p.Phase["phaseNo"]!).ToList();
            if (!numbers.SequenceEqual(Enumerable.Range(1, numbers.Count)))
            {
                problems.Add($"subscription {group.Key} has phases {string.Join(",", numbers)}");
            }
        }

        foreach (var duplicate in phases.GroupBy(p => (string)p.Phase["paymentId"]!).Where(g => g.Count() > 1))
        {
            problems.Add($"payment {duplicate.Key} is in {duplicate.Count()} phases");
        }

        var paymentNotices = notifications.Where(n => (string)n!["kind"]! == "notifyPayment")
            .GroupBy(n => (string)JsonNode.Parse((string)n!["body"]!)!["paymentId"]!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var (_, phase) in phases.Where(p => (string)p.Phase["resultStatus"]! != "U"))
        {
            if (paymentNotices.GetValueOrDefault((string)phase["paymentId"]!) != 1)
            {
                problems.Add($"payment {phase["paymentId"]} has {paymentNotices.GetValueOrDefault((string)phase["paymentId"]!)} notifyPayment notifications");
            }
        }

        var failedRenewals = phases.Count(p => (string)p.Phase["resultCode"]! == "USER_BALANCE_NOT_ENOUGH");
        if (failedRenewals != (phases.Any(p => (int)p.Phase["phaseNo"]! >= 2) ? 1 : 0))
        {
            problems.Add($"a deduction rule with times 1 failed {failedRenewals} renewals");
        }

        // Each notification delivered: acknowledged once (besides redeliveries), sent again only after an attempt that
        // failed, and every attempt in the ledger as the endpoint answered it, in order.
        var arrivals = received.GroupBy(r => r.NotificationId).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var dropped = 0;
        foreach (var n in notifications)
        {
            var id = (string)n!["notificationId"]!;
            var attempts = n["attempts"]!.AsArray();
            var drops = attempts.Count(a => ((string?)a!["error"])?.StartsWith("dropped", StringComparison.Ordinal) == true);
            dropped += drops;
            var outcomes = answered.TryGetValue(id, out var q) ? q.ToList() : [];
            var sent = attempts.Where(a => ((string?)a!["error"])?.StartsWith("dropped", StringComparison.Ordinal) != true).ToList();
            if ((string)n["status"]! != "acknowledged")
            {
                problems.Add($"notification {id} ({n["kind"]}) is {n["status"]} after {attempts.Count} attempts");
            }

            if (arrivals.GetValueOrDefault(id) != sent.Count)
            {
                problems.Add($"notification {id} ({n["kind"]}) arrived {arrivals.GetValueOrDefault(id)} times; the ledger has {attempts.Count} attempts ({drops} dropped)");
            }

            if (!sent.Select(a => (string)a!["outcome"]! == "acknowledged").SequenceEqual(outcomes))
            {
                problems.Add($"notification {id} ({n["kind"]}) was answered {string.Join(",", outcomes.Select(ok => ok ? "ack" : "fail"))}; the ledger says {string.Join(",", sent.Select(a => $"{a!["outcome"]}{((bool)a["redelivery"]! ? " (redelivery)" : "")}"))}");
            }

            if (sent.Count(a => (string)a!["outcome"]! == "acknowledged" && !(bool)a["redelivery"]!) > 1)
            {
                problems.Add($"notification {id} ({n["kind"]}) was acknowledged more than once by its own attempts: sent again after it was acknowledged");
            }
        }

        // For one subscription, notifications go out in order: each first arrives after the one made before it.
        var firstArrival = received.GroupBy(r => r.NotificationId).ToDictionary(g => g.Key, g => g.Min(r => r.Order), StringComparer.Ordinal);
        foreach (var chain in notifications.GroupBy(n => (string)n!["subscriptionId"]!))
        {
            var order = chain.Where(n => ((string?)n!["attempts"]![0]?["error"])?.StartsWith("dropped", StringComparison.Ordinal) != true)
                .Select(n => (Id: (string)n!["notificationId"]!, What: $"{n["kind"]} {JsonNode.Parse((string)n["body"]!)!["subscriptionNotificationType"] ?? JsonNode.Parse((string)n["body"]!)!["phaseNo"]}", Arrived: firstArrival.GetValueOrDefault((string)n["notificationId"]!)))
                .ToList();
            if (!order.Select(o => o.Arrived).SequenceEqual(order.Select(o => o.Arrived).Order()))
            {
                problems.Add($"subscription {chain.Key}: notifications made in the order {string.Join(", ", order.Select(o => o.What))} first arrived in the order {string.Join(", ", order.OrderBy(o => o.Arrived).Select(o => o.What))}");
            }
        }

        // One CREATE for each decided request, at most one CANCEL and one TERMINATE for each subscription.
        var subscriptionNotices = notifications.Where(n => (string)n!["kind"]! == "notifySubscription")
            .Select(n => JsonNode.Parse((string)n!["body"]!)!).ToList();
        foreach (var s in subscriptions.Where(s => (string)s!["status"]! != "AWAITING_AUTHORIZATION"))
        {
            var requestId = (string)s!["subscriptionRequestId"]!;
            var creates = subscriptionNotices.Count(b => (string?)b["subscriptionRequestId"] == requestId && (string?)b["subscriptionNotificationType"] == "CREATE");
            if (creates != 1)
            {
                problems.Add($"subscription request {requestId} ({s["status"]}) has {creates} CREATE notifications");
            }
        }

        foreach (var g in subscriptionNotices.Where(b => (string?)b["subscriptionNotificationType"] is "CANCEL" or "TERMINATE")
            .GroupBy(b => ((string?)b["subscriptionId"], (string?)b["subscriptionNotificationType"])).Where(g => g.Count() > 1))
        {
            problems.Add($"subscription {g.Key.Item1} has {g.Count()} {g.Key.Item2} notifications");
        }

        // The API-call journal lists every call, whichever instance answered it.
        var journal = (await Pick().GetFromJsonAsync<JsonArray>($"{Control}/api-calls"))!;
        if (journal.Count != replies.Count)
        {
            problems.Add($"the API-call journal lists {journal.Count} calls; {replies.Count} were answered");
        }

        if (dropped != 1)
        {
            problems.Add($"a drop rule with times 1 dropped {dropped} attempts");
        }

        foreach (var stray in arrivals.Keys.Except(notifications.Select(n => (string)n!["notificationId"]!)))
        {
            problems.Add($"notification {stray} arrived but is not in the ledger");
        }

        // Refunds: each request id refunded once, with one answer; a payment's refunds never exceed it.
        var refundAnswers = replies.Where(r => r.Api == "refund" && r.Reply.Status == HttpStatusCode.OK).Select(r => r.Reply.Json).ToList();
        var succeeded = refundAnswers.Where(j => (string)j["result"]!["resultCode"]! == "SUCCESS")
            .GroupBy(j => (string)j["refundRequestId"]!).ToList();
        foreach (var g in succeeded.Where(g => g.Select(j => (string)j["refundId"]!).Distinct().Count() > 1))
        {
            problems.Add($"refund request {g.Key} was refunded as {string.Join(", ", g.Select(j => (string)j["refundId"]!).Distinct())}");
        }

        var refunds = subscriptions.SelectMany(s => s!["refunds"]!.AsArray()).ToList();
        foreach (var payment in phases.Select(p => p.Phase).Where(p => (string)p["resultStatus"]! == "S"))
        {
            var paymentId = (string)payment["paymentId"]!;
            var answeredTotal = succeeded.Where(g => (string)g.First()["paymentId"]! == paymentId).Sum(g => AmountOf(g.First()["refundAmount"]!));
            var kept = refunds.Where(r => (string)r!["paymentId"]! == paymentId && (string?)r!["status"] != "FAIL").ToList();
            var storedTotal = kept.Sum(r => AmountOf(r!["amount"]!));
            answeredTotal += kept.Where(r => settledRefunds.Contains((string)r!["refundId"]!)).Sum(r => AmountOf(r!["amount"]!));
            if (storedTotal > AmountOf(payment["amount"]!) || storedTotal != answeredTotal)
            {
                problems.Add($"payment {paymentId} of {AmountOf(payment["amount"]!)}: refunds answered SUCCESS total {answeredTotal}, stored {storedTotal}");
            }
        }

        if (!problems.IsEmpty)
        {
            throw new Xunit.Sdk.XunitException(string.Join("\n", problems));
        }
    }
}
