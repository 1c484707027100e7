using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace ContractTests.Support;

/// <summary>
/// A seeded, model-based random walk of one merchant through the subscription lifecycle, over the wire: creates (every
/// period type, trials, starts now, ahead or a little behind, ends), the buyer's decisions, changes, updates, cancels,
/// refunds, clock advances (some by a faster clock the background loop runs), deduction, API and delivery faults,
/// idempotent repeats. After every step it checks what a merchant relies on (docs/emulation.md,
/// SPEC §10) and fails with the seed and the steps taken, so that a failure can be replayed.
/// </summary>
public sealed class RandomWalk(EmulatorFactory factory, int seed)
{
    private static readonly string[] Methods = ["GCASH", "ALIPAY_HK", "DANA", "TNG", "KAKAOPAY", "TRUEMONEY"];
    private static readonly TimeSpan[] Offsets = [TimeSpan.Zero, TimeSpan.FromHours(8), TimeSpan.FromHours(-5), new(5, 30, 0)];
    private static readonly TimeSpan Lead = TimeSpan.FromHours(24);

    // Answers never kept for a request id (docs/faults.md): a repeat of them is processed again.
    private static readonly HashSet<string> NotKept = ["PARAM_ILLEGAL", "REPEAT_REQ_INCONSISTENT", "SYSTEM_ERROR"];

    private static readonly Dictionary<string, HashSet<string>> Edges = new()
    {
        ["AWAITING_AUTHORIZATION"] = ["ACTIVE", "TERMINATED"],
        ["ACTIVE"] = ["ACTIVE", "CANCELLED", "TERMINATED"],
        ["CANCELLED"] = ["TERMINATED"],
        ["TERMINATED"] = [],
    };

    private readonly Random random = new(seed);
    private readonly List<string> log = [];
    private readonly List<WalkSubscription> subscriptions = [];
    private readonly List<(string Api, JsonObject Body, byte[] First)> kept = [];
    private MerchantHarness m = null!;
    private DateTimeOffset now;
    private int errorsBefore;

    public int Steps { get; private set; }

    /// <summary>Every step taken and what it answered, as the failure message gives it.</summary>
    public IReadOnlyList<string> StepLog => log;

    /// <summary>Runs the walk; throws with the seed, the failing step and every step before it.</summary>
    public async Task RunAsync()
    {
        // A third of the walks start on the last days of a month (leap February included), where calendar arithmetic bites.
        var start = Chance(0.33)
            ? new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(random.Next(1, 25)).AddDays(-random.Next(1, 4)).AddMinutes(random.Next(0, 24 * 60))
            : new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(random.Next(0, 365)).AddMinutes(random.Next(0, 24 * 60));
        m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        await using var harness = m;
        now = start;
        errorsBefore = factory.Errors.GetSnapshot().Count;
        log.Add($"merchant {m.Merchant.ClientId}, clock frozen at {start:O}");
        var steps = random.Next(30, 61);
        try
        {
            for (Steps = 1; Steps <= steps; Steps++)
            {
                await StepAsync();
                await CheckAsync(final: false);
            }

            await FinishAsync();
            await CheckAsync(final: true);
        }
        catch (Exception ex)
        {
            throw new Xunit.Sdk.XunitException(
                $"random walk seed {seed} failed at step {Steps} (replay: WALK_FIRST_SEED={seed} WALK_SEEDS=1): {ex.Message}\n--- steps ---\n{string.Join("\n", log)}\n--- at ---\n{ex.StackTrace}");
        }
    }

    private void Log(string line) => log.Add($"{Steps,3} [{now:yyyy-MM-dd'T'HH:mm}] {line}");

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private bool Chance(double p) => random.NextDouble() < p;

    private static string Iso(DateTimeOffset t, TimeSpan offset) => t.ToOffset(offset).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static long? Value(JsonNode? amount) => amount is null ? null : long.Parse((string)amount["value"]!, CultureInfo.InvariantCulture);

    private static DateTimeOffset Time(JsonNode? node) => DateTimeOffset.Parse((string)node!, CultureInfo.InvariantCulture);

    private static DateTimeOffset AddPeriods(DateTimeOffset t, string type, int count, int n) => type switch
    {
        "DAY" => t.AddDays(count * n),
        "WEEK" => t.AddDays(7 * count * n),
        "MONTH" => t.AddMonths(count * n),
        _ => t.AddYears(count * n),
    };

    private async Task StepAsync()
    {
        var live = subscriptions.Where(s => s.Status != "TERMINATED").ToList();
        var roll = live.Count == 0 && Chance(0.7) ? 0 : random.Next(100);
        switch (roll)
        {
            case < 14 when live.Count < 4:
                await CreateAsync();
                break;
            case < 22 when subscriptions.Any(s => s.Status == "AWAITING_AUTHORIZATION"):
                await DecideAsync(Pick(subscriptions.Where(s => s.Status == "AWAITING_AUTHORIZATION").ToList()));
                break;
            case < 30 when subscriptions.Count > 0:
                await ChangeAsync(PickTarget());
                break;
            case < 40 when subscriptions.Count > 0:
                await UpdateAsync(PickTarget());
                break;
            case < 45 when subscriptions.Count > 0:
                await CancelAsync(PickTarget(), Chance(0.6) ? "CANCEL" : "TERMINATE");
                break;
            case < 53 when subscriptions.Count > 0:
                await RefundAsync();
                break;
            case < 58 when live.Count > 0:
                await DeductionFaultAsync(Pick(live));
                break;
            case < 62 when live.Count > 0:
                await DeliveryFaultAsync(Pick(live));
                break;
            case < 65:
                await ClearFaultsAsync();
                break;
            case < 70 when kept.Count > 0:
                await RepeatAsync();
                break;
            case < 74:
                await SettleAsync();
                break;
            default:
                await AdvanceAsync();
                break;
        }
    }

    /// <summary>Mostly one that is still going, sometimes any (an ended one must refuse).</summary>
    private WalkSubscription PickTarget()
    {
        var live = subscriptions.Where(s => s.Status is "ACTIVE" or "CANCELLED").ToList();
        return live.Count > 0 && Chance(0.8) ? Pick(live) : Pick(subscriptions);
    }

    // ---- operations ----

    private async Task CreateAsync()
    {
        var offset = Pick(Offsets);
        var (type, count) = random.Next(10) switch
        {
            < 2 => ("DAY", random.Next(1, 8)),
            < 4 => ("WEEK", random.Next(1, 3)),
            < 9 => ("MONTH", random.Next(1, 4)),
            _ => ("YEAR", 1),
        };
        var period = AddPeriods(now, type, count, 1) - now;
        DateTimeOffset start;
        var farPast = false;
        switch (random.Next(10))
        {
            case < 4:
                start = now;
                break;
            case < 7:
                start = now.AddMinutes(random.Next(1, 72 * 60));
                break;
            case < 8:
                start = now.AddMinutes(-random.Next(1, 5));
                break;
            default:
                // Behind by less than one period (the short-trial technique): only a one-period trial may go with it.
                start = now.AddMinutes(-random.Next(6, Math.Max(7, (int)Math.Min(period.TotalMinutes - 1, 20 * 24 * 60))));
                farPast = true;
                break;
        }

        var currency = Pick(["PHP", "USD", "JPY"]);
        var amount = random.Next(1, 1000) * 100;
        var requestId = $"walk{seed}-{Steps}-" + random.Next(1_000_000).ToString(CultureInfo.InvariantCulture);
        var body = new JsonObject
        {
            ["subscriptionRequestId"] = requestId,
            ["subscriptionDescription"] = $"walk {seed} plan {type}x{count}",
            ["subscriptionRedirectUrl"] = "https://merchant.example/return",
            ["subscriptionStartTime"] = Iso(start, offset),
            ["periodRule"] = new JsonObject { ["periodType"] = type, ["periodCount"] = count },
            ["paymentMethod"] = new JsonObject { ["paymentMethodType"] = Pick(Methods) },
            ["orderInfo"] = new JsonObject { ["orderAmount"] = Bodies.Amount(currency, amount.ToString(CultureInfo.InvariantCulture)) },
            ["paymentAmount"] = Bodies.Amount(currency, amount.ToString(CultureInfo.InvariantCulture)),
            ["env"] = new JsonObject { ["terminalType"] = "WEB" },
        };
        if (Chance(0.3))
        {
            var trialEnd = farPast ? 1 : random.Next(1, 4);
            var trials = new JsonArray(new JsonObject
            {
                ["trialStartPeriod"] = 1,
                ["trialEndPeriod"] = trialEnd,
                ["trialAmount"] = Bodies.Amount(currency, Chance(0.5) ? "0" : (amount / 2).ToString(CultureInfo.InvariantCulture)),
            });
            if (!farPast && Chance(0.3))
            {
                trials.Add(new JsonObject { ["trialStartPeriod"] = trialEnd + 2, ["trialAmount"] = Bodies.Amount(currency, "0") });
            }

            body["trials"] = trials;
        }

        if (Chance(0.3))
        {
            var end = AddPeriods(start, type, count, random.Next(1, 7)).AddMinutes(Chance(0.5) ? 0 : random.Next(-600, 600));
            body["subscriptionEndTime"] = Iso(end > now && end > start ? end : AddPeriods(start, type, count, 1), offset);
        }

        var expiry = now.AddMinutes(30);
        if (Chance(0.3))
        {
            expiry = now.AddMinutes(random.Next(10, 47 * 60));
            body["subscriptionExpiryTime"] = Iso(expiry, offset);
        }

        var fault = random.Next(10);
        AntomReply reply;
        if (fault == 0)
        {
            reply = await CallAsync("create", body, "RISK_REJECT");
            reply.ResultCode.Should().Be("RISK_REJECT");
            Log($"create {requestId} {type}x{count} forced RISK_REJECT");
            return;
        }

        if (fault == 1)
        {
            var applied = Chance(0.5);
            reply = await CallAsync("create", body, "UNKNOWN_EXCEPTION", applied ? "applied" : "notApplied");
            reply.ResultStatus.Should().Be("U");
            var listed = await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions?subscriptionRequestId={requestId}");
            listed!.Count.Should().Be(applied ? 1 : 0, "a U create takes effect only when its effect is applied");
            Log($"create {requestId} forced U ({(applied ? "applied" : "notApplied")}), retried with the same id");
        }

        reply = await CallAsync("create", body);
        reply.ResultCode.Should().Be("SUCCESS", $"a valid create ({body.ToJsonString()}) succeeds: {reply.ResultMessage}");
        var created = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions?subscriptionRequestId={requestId}"))!;
        created.Should().ContainSingle("one create, one subscription, retries included");
        subscriptions.Add(new WalkSubscription
        {
            RequestId = requestId,
            SubscriptionId = (string)created[0]!["subscriptionId"]!,
            Currency = currency,
            Offset = offset,
            ExpiryTime = expiry,
            StartTime = start.ToOffset(offset),
            PeriodType = type,
            PeriodCount = count,
            Amount = amount,
            Trials = body["trials"] is JsonArray trialList
                ? [.. trialList.Select(t => ((int)t!["trialStartPeriod"]!, (int?)t["trialEndPeriod"] ?? (int)t["trialStartPeriod"]!, long.Parse((string)t["trialAmount"]!["value"]!, CultureInfo.InvariantCulture)))]
                : [],
        });
        Log($"create {requestId} {type}x{count} {amount} {currency} start {Iso(start, offset)}{(body["trials"] is { } t ? " trials " + t.ToJsonString() : "")}{(body["subscriptionEndTime"] is { } e ? " end " + e : "")} expiry {Iso(expiry, offset)} → S");
        if (Chance(0.7))
        {
            // Most buyers approve at once; the others are left to decide later, or to let the window close.
            await DecideAsync(subscriptions[^1], decision: true);
        }
    }

    private async Task DecideAsync(WalkSubscription s, bool? decision = null)
    {
        var approve = decision ?? Chance(0.8);
        var before = await StateAsync();
        var response = await m.Http.PostAsync($"{m.Control}/subscription-requests/{s.RequestId}/{(approve ? "approve" : "decline")}", null);
        var text = await response.Content.ReadAsStringAsync();
        Log($"{(approve ? "approve" : "decline")} {s.RequestId} → {(int)response.StatusCode}");
        if (now < s.ExpiryTime)
        {
            response.StatusCode.Should().Be(HttpStatusCode.OK, $"the buyer decides before the window closes at {s.ExpiryTime:O}: {text}");
        }
        else
        {
            response.StatusCode.Should().Be(HttpStatusCode.Conflict, "the authorization window closed");
            (await StateAsync()).Should().Be(before, "a refused decision changes nothing");
        }
    }

    private async Task ChangeAsync(WalkSubscription s)
    {
        var view = await ViewAsync(s);
        var rule = view["periodRule"]!;
        var body = new JsonObject
        {
            ["subscriptionChangeRequestId"] = $"chg{seed}-{Steps}",
            ["subscriptionId"] = s.SubscriptionId,
            ["paymentAmount"] = Bodies.Amount(s.Currency, (random.Next(1, 1000) * 100).ToString(CultureInfo.InvariantCulture)),
        };
        var (type, count) = ((string)rule["periodType"]!, (int)rule["periodCount"]!);
        if (Chance(0.25))
        {
            (type, count) = Pick<(string, int)>([("DAY", random.Next(1, 8)), ("WEEK", 1), ("MONTH", random.Next(1, 3)), ("YEAR", 1)]);
            body["periodRule"] = new JsonObject { ["periodType"] = type, ["periodCount"] = count };
        }

        DateTimeOffset? start = null;
        if (Chance(0.15))
        {
            // Ahead, or behind by less than one period of the rule in force (docs/emulation.md "Time rules"); half of those behind
            // the start of the last phase charged are moved after it, the others must be refused (PROCESS_FAIL), since
            // the next phase would come before it.
            var period = AddPeriods(now, type, count, 1) - now;
            start = Chance(0.6) ? now.AddHours(random.Next(1, 240)) : now.AddMinutes(-random.Next(1, (int)Math.Max(2, period.TotalMinutes - 1)));
            var charged = view["phases"]!.AsArray();
            if (charged.Count > 0 && Time(charged[^1]!["periodStartTime"]) is var lastStart && start <= lastStart && Chance(0.5))
            {
                start = lastStart.AddMinutes(1);
            }

            if (start < now && AddPeriods(start.Value, type, count, 1) <= now)
            {
                start = null;
            }
            else
            {
                body["subscriptionStartTime"] = Iso(start!.Value, s.Offset);
            }
        }

        if (Chance(0.25))
        {
            var from = start ?? now;
            var phases = view["phases"]!.AsArray();
            var boundary = phases.Count > 0 && Chance(0.4) ? Time(phases[^1]!["periodStartTime"]) : (DateTimeOffset?)null;
            body["subscriptionEndTime"] = Iso(
                boundary is { } b && b > now && b > from ? b : AddPeriods(from, type, count, random.Next(1, 5)).AddMinutes(Chance(0.3) ? 0 : random.Next(1, 600)),
                s.Offset);
        }

        if (Chance(0.2))
        {
            body["paymentAmountDifference"] = Bodies.Amount(s.Currency, (random.Next(1, 100) * 100).ToString(CultureInfo.InvariantCulture));
        }

        var (reply, injected) = await ModifyAsync("change", body);
        Log($"change {s.RequestId} {body.ToJsonString()} → {reply.ResultCode} {reply.ResultMessage}");
        if (!injected)
        {
            Expect(s, view, reply, body);
        }
    }

    private async Task UpdateAsync(WalkSubscription s)
    {
        var view = await ViewAsync(s);
        var body = new JsonObject
        {
            ["subscriptionUpdateRequestId"] = $"upd{seed}-{Steps}",
            ["subscriptionId"] = s.SubscriptionId,
        };
        var rule = view["periodRule"]!;
        var (type, count) = ((string)rule["periodType"]!, (int)rule["periodCount"]!);
        var phases = view["phases"]!.AsArray();
        var nextStart = phases.Count > 0 ? Time(phases[^1]!["periodEndTime"]) : Time(view["subscriptionStartTime"]);
        while (!body.ContainsKey("paymentAmount") && !body.ContainsKey("periodRule") && !body.ContainsKey("nextSubscriptionDate")
            && !body.ContainsKey("subscriptionEndTime") && !body.ContainsKey("subscriptionDescription"))
        {
            if (Chance(0.4))
            {
                var value = (random.Next(1, 1000) * 100).ToString(CultureInfo.InvariantCulture);
                body["paymentAmount"] = Bodies.Amount(s.Currency, value);
                if (Chance(0.5))
                {
                    body["orderInfo"] = new JsonObject { ["orderAmount"] = Bodies.Amount(s.Currency, value) };
                }
            }

            if (Chance(0.25))
            {
                (type, count) = Pick<(string, int)>([("DAY", random.Next(1, 8)), ("WEEK", random.Next(1, 3)), ("MONTH", random.Next(1, 3)), ("YEAR", 1)]);
                body["periodRule"] = new JsonObject { ["periodType"] = type, ["periodCount"] = count };
            }

            if (Chance(0.35))
            {
                // Around the date the next phase has: often refused (too soon, more than a period), sometimes taken.
                var next = Chance(0.3) ? now.Add(Lead).AddMinutes(random.Next(0, 180)) : nextStart.AddHours(random.Next(-72, 24 * 20));
                body["nextSubscriptionDate"] = Iso(next, s.Offset);
            }

            if (Chance(0.25))
            {
                var after = body["nextSubscriptionDate"] is { } n ? Max(Time(n), now) : now;
                body["subscriptionEndTime"] = Iso(
                    !body.ContainsKey("nextSubscriptionDate") && Chance(0.3) && nextStart > now ? nextStart : AddPeriods(after, type, count, random.Next(1, 5)).AddMinutes(random.Next(1, 600)),
                    s.Offset);
            }

            if (Chance(0.2))
            {
                body["subscriptionDescription"] = $"updated at step {Steps}";
            }
        }

        if (Chance(0.2))
        {
            body["prorationSettings"] = new JsonObject
            {
                ["prorationMode"] = Pick(["IMMEDIATE_PAY_CUSTOM_AMOUNT", "IMMEDIATE_REFUND_CUSTOM_AMOUNT"]),
                ["customAmount"] = Bodies.Amount(s.Currency, (random.Next(1, 50) * 100).ToString(CultureInfo.InvariantCulture)),
            };
        }

        var (reply, injected) = await ModifyAsync("update", body);
        Log($"update {s.RequestId} {body.ToJsonString()} → {reply.ResultCode} {reply.ResultMessage}");
        if (!injected)
        {
            Expect(s, view, reply, body);
        }
    }

    /// <summary>What a change or update must answer, from the state the control API showed before it.</summary>
    private void Expect(WalkSubscription s, JsonNode view, AntomReply reply, JsonObject body)
    {
        var status = (string)view["status"]!;
        var underWay = view["phases"]!.AsArray().Any(p => (string)p!["resultStatus"]! == "U");
        var refusable = body.ContainsKey("subscriptionEndTime") || body.ContainsKey("nextSubscriptionDate") || body.ContainsKey("subscriptionStartTime");
        if (reply.ResultCode == "SUCCESS")
        {
            status.Should().Be("ACTIVE", "only an ACTIVE subscription may be changed");
            s.Modifications++;
            var isChange = body.ContainsKey("subscriptionChangeRequestId");
            var newRule = body["periodRule"] is { } rule
                && ((string)rule["periodType"]! != (string)view["periodRule"]!["periodType"]! || (int)rule["periodCount"]! != (int)view["periodRule"]!["periodCount"]!);
            s.Plan.Add((now, view["phases"]!.AsArray().Count, Value(body["paymentAmount"]), Value(body["paymentAmountDifference"]), isChange,
                isChange || body.ContainsKey("paymentAmount") || newRule));
            if (body.ContainsKey("periodRule") || body.ContainsKey("subscriptionStartTime") || body.ContainsKey("nextSubscriptionDate"))
            {
                s.Rescheduled = true;
            }

            return;
        }

        if (status == "AWAITING_AUTHORIZATION")
        {
            reply.ResultCode.Should().BeOneOf("PROCESS_FAIL", "SUBSCRIPTION_NOT_EXIST");
        }
        else if (status != "ACTIVE")
        {
            reply.ResultCode.Should().Be("PROCESS_FAIL", $"a {status} subscription cannot be changed");
        }
        else if (underWay)
        {
            // Both refused while a period's payment is under way; change, whose page lists no such code, as PROCESS_FAIL.
            reply.ResultCode.Should().Be(body.ContainsKey("subscriptionUpdateRequestId") ? "UPDATE_FORBIDDEN_DURING_PAYMENT" : "PROCESS_FAIL");
        }
        else
        {
            refusable.Should().BeTrue($"an ACTIVE subscription takes a change of amount, rule or description, but answered {reply.ResultCode} {reply.ResultMessage}");
            reply.ResultCode.Should().Be("PROCESS_FAIL");
        }
    }

    /// <summary>change or update, sometimes through an injected F, or a U then the retry with the same request id.</summary>
    private async Task<(AntomReply Reply, bool Injected)> ModifyAsync(string api, JsonObject body)
    {
        switch (random.Next(10))
        {
            case 0:
                var code = Pick(["RISK_REJECT", "PROCESS_FAIL"]);
                var failed = await CallAsync(api, body, code);
                failed.ResultCode.Should().Be(code);
                return (failed, true);
            case 1:
                var applied = Chance(0.5);
                var before = await StateAsync();
                var unknown = await CallAsync(api, body, "UNKNOWN_EXCEPTION", applied ? "applied" : "notApplied");
                unknown.ResultStatus.Should().Be("U");
                if (!applied)
                {
                    (await StateAsync()).Should().Be(before, "a U that did not take effect changed nothing");
                }

                Log($"{api} answered U ({(applied ? "applied" : "notApplied")}); retrying with the same request id");
                return (await CallAsync(api, body), false);
            default:
                return (await CallAsync(api, body), false);
        }
    }

    private async Task CancelAsync(WalkSubscription s, string type)
    {
        var view = await ViewAsync(s);
        var status = (string)view["status"]!;
        var body = status == "AWAITING_AUTHORIZATION"
            ? new JsonObject { ["subscriptionRequestId"] = s.RequestId, ["cancellationType"] = type }
            : Bodies.Cancel(s.SubscriptionId, type);
        AntomReply reply;
        if (Chance(0.1))
        {
            var applied = Chance(0.5);
            reply = await CallAsync("cancel", body, "UNKNOWN_EXCEPTION", applied ? "applied" : "notApplied");
            Log($"cancel {type} {s.RequestId} answered U ({(applied ? "applied" : "notApplied")}); sending it again");
        }

        reply = await CallAsync("cancel", body);
        var after = (string)(await ViewAsync(s))["status"]!;
        Log($"cancel {type} {s.RequestId} ({status}) → {reply.ResultCode}, now {after}");
        switch (status, type)
        {
            case ("AWAITING_AUTHORIZATION", _):
                reply.ResultCode.Should().Be("SUCCESS");
                after.Should().Be("TERMINATED");
                s.CancelledWhilePending = true;
                break;
            case ("ACTIVE" or "CANCELLED", "TERMINATE"):
                reply.ResultCode.Should().Be("SUCCESS");
                after.Should().Be("TERMINATED");
                s.TerminatedAt ??= now;
                break;
            case ("ACTIVE", "CANCEL"):
                reply.ResultCode.Should().Be("SUCCESS");
                after.Should().BeOneOf("CANCELLED", "TERMINATED");
                s.CancelledAt ??= now;
                break;
            case ("CANCELLED", "CANCEL"):
                reply.ResultCode.Should().Be("SUCCESS", "the same cancellation again succeeds without effect");
                after.Should().Be("CANCELLED");
                break;
            default:
                reply.ResultCode.Should().BeOneOf("SUCCESS", "PROCESS_FAIL");
                after.Should().Be("TERMINATED");
                break;
        }
    }

    private async Task RefundAsync()
    {
        var views = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions"))!;
        var phases = views.SelectMany(v => v!["phases"]!.AsArray().Select(p => (View: v, Phase: p!))).ToList();
        if (phases.Count == 0)
        {
            await AdvanceAsync();
            return;
        }

        var (view, phase) = Pick(phases);
        var paymentId = (string)phase["paymentId"]!;
        var amount = long.Parse((string)phase["amount"]!["value"]!, CultureInfo.InvariantCulture);
        var currency = (string)phase["amount"]!["currency"]!;
        var refunded = view["refunds"]!.AsArray().Where(r => (string)r!["paymentId"]! == paymentId && (string)r["status"]! != "FAIL")
            .Sum(r => long.Parse((string)r!["amount"]!["value"]!, CultureInfo.InvariantCulture));
        var left = amount - refunded;
        var value = random.Next(4) switch
        {
            0 => left,
            1 => left + 1 + random.Next(1000),
            _ => left > 1 ? random.NextInt64(1, left) : left,
        };
        var body = Bodies.Refund(paymentId, Math.Max(value, 1).ToString(CultureInfo.InvariantCulture), $"rfd{seed}-{Steps}", currency);
        value = Math.Max(value, 1);
        var (reply, injected) = await ModifyAsync("refund", body);
        Log($"refund {value} of {paymentId} (phase {phase["phaseNo"]}, {amount} {currency}, {left} left, {phase["resultStatus"]}) → {reply.ResultCode}");
        if (injected)
        {
            return;
        }

        var paidAt = phase["paymentTime"] is { } t ? Time(t) : (DateTimeOffset?)null;
        // In the emulator's order: a free period's payment has nothing to refund, however old.
        var expected = (string)phase["resultStatus"]! != "S" ? "ORDER_STATUS_INVALID"
            : amount == 0 ? "REFUND_AMOUNT_EXCEED"
            : paidAt is { } paid && now >= paid.AddMonths(12) ? "REFUND_WINDOW_EXCEED"
            : value > left || left == 0 ? "REFUND_AMOUNT_EXCEED"
            : "SUCCESS";
        reply.ResultCode.Should().Be(expected, reply.ResultMessage);
    }

    private async Task DeductionFaultAsync(WalkSubscription s)
    {
        object rule = random.Next(3) switch
        {
            0 => new { target = "deduction", resultCode = "RISK_REJECT", match = new { subscriptionId = s.SubscriptionId }, times = random.Next(1, 3) },
            1 => new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", match = new { subscriptionId = s.SubscriptionId }, times = 1 },
            _ => new
            {
                target = "deduction",
                resultCode = "PAYMENT_IN_PROCESS",
                effect = "processing",
                delay = Chance(0.6) ? Pick(["PT1H", "PT6H", "P1D", "P3D"]) : null,
                match = new { subscriptionId = s.SubscriptionId },
                times = 1,
            },
        };
        await AddFaultAsync(rule);
        s.DeductionFaulted = true;
        s.HadProcessing |= System.Text.Json.JsonSerializer.Serialize(rule).Contains("PAYMENT_IN_PROCESS", StringComparison.Ordinal);
        Log($"fault {System.Text.Json.JsonSerializer.Serialize(rule)}");
    }

    private async Task DeliveryFaultAsync(WalkSubscription s)
    {
        var delivery = Pick(["drop", "duplicate", "delay", "reorder"]);
        var rule = new
        {
            target = Pick(["notifyPayment", "notifySubscription"]),
            delivery,
            delay = delivery == "delay" ? Pick(["PT5M", "PT1H", "PT6H"]) : null,
            match = new { subscriptionId = s.SubscriptionId },
            times = random.Next(1, 4),
        };
        await AddFaultAsync(rule);
        s.DeliveryFaulted = true;
        Log($"fault {System.Text.Json.JsonSerializer.Serialize(rule)}");
    }

    private async Task AddFaultAsync(object rule)
    {
        var added = await m.Http.PostAsJsonAsync($"{m.Control}/faults", rule);
        added.StatusCode.Should().Be(HttpStatusCode.Created, await added.Content.ReadAsStringAsync());
    }

    private async Task ClearFaultsAsync()
    {
        (await m.Http.DeleteAsync($"{m.Control}/faults")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        Log("delete every fault rule");
    }

    private async Task SettleAsync()
    {
        var views = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions"))!;
        var underWay = views.SelectMany(v => v!["phases"]!.AsArray()).Where(p => (string)p!["resultStatus"]! == "U").ToList();
        if (underWay.Count == 0)
        {
            await AdvanceAsync();
            return;
        }

        var phase = Pick(underWay)!;
        var success = Chance(0.6);
        var response = await m.Http.PostAsJsonAsync(
            $"{m.Control}/payments/{(string)phase["paymentId"]!}/settle",
            success ? new { status = "SUCCESS", resultCode = (string?)null } : new { status = "FAIL", resultCode = (string?)Pick(["USER_BALANCE_NOT_ENOUGH", "RISK_REJECT"]) });
        Log($"settle {(string)phase["paymentId"]!} (phase {phase["phaseNo"]}) {(success ? "SUCCESS" : "FAIL")} → {(int)response.StatusCode}");
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private async Task RepeatAsync()
    {
        var (api, body, first) = Pick(kept);
        if (Chance(0.2))
        {
            var other = body.DeepClone().AsObject();
            other[api == "refund" ? "refundReason" : "subscriptionDescription"] = $"another body at step {Steps}";
            var before = await StateAsync();
            var inconsistent = await CallAsync(api, other);
            Log($"repeat {api} with another body → {inconsistent.ResultCode}");
            inconsistent.ResultCode.Should().Be("REPEAT_REQ_INCONSISTENT");
            (await StateAsync()).Should().Be(before, "an inconsistent repeat changes nothing");
            return;
        }

        var reply = await CallAsync(api, body);
        Log($"repeat {api} {RequestIdOf(body)} → {reply.ResultCode}");
        Encoding.UTF8.GetString(reply.RawBody).Should().Be(Encoding.UTF8.GetString(first), "a repeat with the same body gets the first answer byte for byte");
    }

    private static string RequestIdOf(JsonObject body) =>
        (string?)(body["subscriptionRequestId"] ?? body["subscriptionChangeRequestId"] ?? body["subscriptionUpdateRequestId"] ?? body["refundRequestId"]) ?? "?";

    private async Task AdvanceAsync()
    {
        object request;
        var to = true;
        var awaiting = subscriptions.Where(s => s.Status == "AWAITING_AUTHORIZATION" && s.ExpiryTime > now).ToList();
        var roll = random.Next(100);
        if (roll < 10 && awaiting.Count > 0)
        {
            // Exactly to the authorization deadline, or just past it.
            request = new { to = Pick(awaiting).ExpiryTime.AddMinutes(random.Next(0, 2)) };
        }
        else if (roll < 20 && await NextChargeAsync() is { } due && due > now)
        {
            request = new { to = due.AddMinutes(random.Next(-1, 2)) };
        }
        else if (roll >= 92)
        {
            await RunFasterAsync();
            return;
        }
        else
        {
            var by = random.Next(10) switch
            {
                < 2 => $"PT{random.Next(1, 60)}M",
                < 5 => $"PT{random.Next(1, 24)}H",
                < 8 => $"P{random.Next(1, 11)}D",
                _ => $"P{random.Next(11, 62)}D",
            };
            request = new { by };
            to = false;
        }

        var response = await m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode == HttpStatusCode.BadRequest && to)
        {
            // "to" a minute before now: not forward.
            Log($"advance {System.Text.Json.JsonSerializer.Serialize(request)} → 400");
            return;
        }

        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        var answer = JsonNode.Parse(text)!;
        var reached = Time(answer["now"]);
        reached.Should().BeOnOrAfter(now, "the clock never moves back");
        now = reached;
        var events = answer["events"]!.AsArray();
        Log($"advance {System.Text.Json.JsonSerializer.Serialize(request)}: {string.Join(", ", events.Where(e => (string)e!["type"]! != "notificationAttempt").Select(e => $"{e!["type"]}{(e["phaseNo"] is { } p ? " " + p : "")}{(e["resultCode"] is { } c ? " " + c : "")}{(e["to"] is { } to ? " → " + to : "")}"))}");
    }

    /// <summary>
    /// Time passes as on a staging instance (README "Watching time pass"): the clock resumes at a rate, the wall moves a
    /// few seconds (the background loop runs what falls due meanwhile), the clock is frozen where it got to, and an
    /// advance to that instant waits for the loop's run and does what it left.
    /// </summary>
    private async Task RunFasterAsync()
    {
        var rate = Pick<long>([60, 3600, 14400, 86400]);
        var wall = TimeSpan.FromSeconds(random.Next(1, 31));
        var resumed = await m.Http.PostAsJsonAsync($"{m.Control}/clock/resume", new { rate });
        var text = await resumed.Content.ReadAsStringAsync();
        resumed.StatusCode.Should().Be(HttpStatusCode.OK, text);
        var ticking = JsonNode.Parse(text)!;
        Time(ticking["now"]).Should().Be(now, "a clock resumes from where it stood");
        ((long)ticking["rate"]!).Should().Be(rate);
        factory.Time.Advance(wall);
        var frozen = await m.Http.PostAsync($"{m.Control}/clock/freeze", null);
        text = await frozen.Content.ReadAsStringAsync();
        frozen.StatusCode.Should().Be(HttpStatusCode.OK, text);
        var stood = JsonNode.Parse(text)!;
        var reached = Time(stood["now"]);
        ((bool)stood["frozen"]!).Should().BeTrue();
        ((long)stood["rate"]!).Should().Be(1, "a frozen clock does not keep its pace");
        // Within a millisecond of the wall (the anchor is the wall's next whole millisecond): rate milliseconds on this clock.
        reached.Should().BeCloseTo(now + wall * rate, TimeSpan.FromMilliseconds(rate), $"{wall.TotalSeconds} wall seconds at {rate} times the wall");
        var settled = await m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", new { to = reached });
        text = await settled.Content.ReadAsStringAsync();
        settled.StatusCode.Should().Be(HttpStatusCode.OK, text);
        var answer = JsonNode.Parse(text)!;
        Time(answer["now"]).Should().Be(reached, "an advance to where the clock stands leaves it there");
        var from = now;
        now = reached;
        var events = answer["events"]!.AsArray();
        Log($"resume at {rate}x for {wall.TotalSeconds} wall s, freeze at {reached:O} (from {from:O}); the advance to it ran: {string.Join(", ", events.Where(e => (string)e!["type"]! != "notificationAttempt").Select(e => $"{e!["type"]}{(e["phaseNo"] is { } p ? " " + p : "")}{(e["resultCode"] is { } c ? " " + c : "")}"))}");
    }

    /// <summary>The earliest time a live subscription's next phase is charged, as far as its phases tell.</summary>
    private async Task<DateTimeOffset?> NextChargeAsync()
    {
        var views = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions?status=ACTIVE"))!;
        return views.Select(v => v!["phases"]!.AsArray() is { Count: > 0 } p ? Time(p[^1]!["periodEndTime"]) - Lead : (DateTimeOffset?)null)
            .Where(t => t is not null).Min();
    }

    private async Task FinishAsync()
    {
        Steps++;
        await ClearFaultsAsync();
        var views = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions"))!;
        foreach (var phase in views.SelectMany(v => v!["phases"]!.AsArray()).Where(p => (string)p!["resultStatus"]! == "U"))
        {
            var settled = await m.Http.PostAsJsonAsync($"{m.Control}/payments/{(string)phase!["paymentId"]!}/settle", new { status = "SUCCESS" });
            settled.StatusCode.Should().Be(HttpStatusCode.OK, await settled.Content.ReadAsStringAsync());
        }

        foreach (var s in subscriptions.Where(s => s.Status != "TERMINATED"))
        {
            await CancelAsync(s, "TERMINATE");
        }

        var response = await m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", new { by = "P2D" });
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        now = Time(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["now"]);
        Log("finish: faults deleted, payments under way settled, everything terminated, clock advanced by P2D");
    }

    // ---- the wire ----

    private async Task<AntomReply> CallAsync(string api, JsonObject body, string? forceCode = null, string? effect = null)
    {
        var before = forceCode is null || effect != "applied" ? await StateAsync() : null;
        var headers = new Dictionary<string, string>();
        if (forceCode is not null)
        {
            headers["Emulator-Result-Code"] = forceCode;
            if (effect is not null)
            {
                headers["Emulator-Effect"] = effect;
            }
        }

        var reply = await m.Client.SendAsync(new SignedRequest
        {
            Path = AntomTestClient.PathOf(api),
            Body = Encoding.UTF8.GetBytes(body.ToJsonString()),
            ClientId = m.Merchant.ClientId,
            Key = m.Merchant.PrivateKey,
            ExtraHeaders = headers,
        });
        reply.Status.Should().Be(HttpStatusCode.OK, $"{api} answers HTTP 200 whatever happens: {reply.Text}");
        reply.SignatureValid.Should().BeTrue($"every answer of {api} is signed");
        reply.Json["result"].Should().NotBeNull($"{api} answers in Antom's envelope: {reply.Text}");
        reply.ResultStatus.Should().BeOneOf("S", "F", "U");
        if (forceCode is null)
        {
            reply.ResultStatus.Should().NotBe("U", $"nothing made {api} unknown: {reply.Text}");
        }

        if (reply.ResultStatus == "F" || (reply.ResultStatus == "U" && effect != "applied"))
        {
            (await StateAsync()).Should().Be(before, $"{api} answered {reply.ResultCode} ({reply.ResultStatus}) and must change nothing");
        }

        if (api != "cancel" && !api.StartsWith("inquire", StringComparison.Ordinal) && reply.ResultStatus != "U" && !NotKept.Contains(reply.ResultCode)
            && !kept.Any(k => k.Api == api && RequestIdOf(k.Body) == RequestIdOf(body)))
        {
            kept.Add((api, body, reply.RawBody));
        }

        return reply;
    }

    /// <summary>What the control API shows of the merchant, without the timelines (which record refused calls too).</summary>
    private async Task<string> StateAsync()
    {
        var views = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions"))!;
        foreach (var view in views)
        {
            view!.AsObject().Remove("timeline");
        }

        var ledger = (await m.NotificationsAsync()).Count;
        return views.ToJsonString() + $" ledger {ledger}";
    }

    private async Task<JsonObject> ViewAsync(WalkSubscription s) => await m.SubscriptionAsync(s.SubscriptionId);

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;

    // ---- invariants ----

    private async Task CheckAsync(bool final)
    {
        var errors = factory.Errors.GetSnapshot();
        errors.Skip(errorsBefore).Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception}").Should().BeEmpty("the emulator logs no errors");

        var ledger = await m.NotificationsAsync();
        var received = m.Receiver.Received;
        received.Where(r => !r.SignatureValid).Select(r => r.Path).Should().BeEmpty("every notification is signed by Antom's key");
        foreach (var s in subscriptions)
        {
            var view = await ViewAsync(s);
            var status = (string)view["status"]!;
            if (status != s.Status)
            {
                Edges[s.Status].Should().Contain(status, $"{s.RequestId} may go from {s.Status} only along the lifecycle graph");
                Log($"  {s.RequestId}: {s.Status} → {status}");
                s.Status = status;
            }

            CheckTimeline(s, view);
            CheckPhases(s, view);
            CheckLedger(s, view, [.. ledger.Where(n => (string)n!["subscriptionId"]! == s.SubscriptionId).Select(n => n!)], final);
            if (!s.DeliveryFaulted)
            {
                CheckOrder(s, [.. received.Where(r => r.SubscriptionId == s.SubscriptionId)]);
            }

            await CheckInquiriesAsync(s, view);
        }

        if (final)
        {
            var ids = received.Select(r => r.NotificationId).ToHashSet();
            ledger.Where(n => !ids.Contains((string)n!["notificationId"]!)).Select(n => (string)n!["notificationId"]!)
                .Should().BeEmpty("every notification in the ledger reached the merchant in the end");
        }
    }

    private void CheckTimeline(WalkSubscription s, JsonNode view)
    {
        foreach (var entry in view["timeline"]!.AsArray().Where(e => (string)e!["type"]! == "stateChanged"))
        {
            var detail = (string)entry!["detail"]!;
            var arrow = detail.IndexOf(" → ", StringComparison.Ordinal);
            if (arrow < 0)
            {
                continue;
            }

            var from = detail[..arrow];
            var to = detail[(arrow + 3)..].Split(' ')[0];
            Edges.Should().ContainKey(from);
            Edges[from].Should().Contain(to, $"the timeline of {s.RequestId} says {detail}");
        }
    }

    private void CheckPhases(WalkSubscription s, JsonNode view)
    {
        var phases = view["phases"]!.AsArray().Select(p => p!).ToList();
        var authorizedAt = view["authorizedAt"] is { } a ? Time(a) : (DateTimeOffset?)null;
        var end = view["subscriptionEndTime"] is { } e ? Time(e) : (DateTimeOffset?)null;
        var terminatedAt = view["timeline"]!.AsArray()
            .Where(t => (string)t!["type"]! == "stateChanged" && ((string)t["detail"]!).Contains("→ TERMINATED", StringComparison.Ordinal))
            .Select(t => Time(t!["at"])).Cast<DateTimeOffset?>().FirstOrDefault();
        if (phases.Count > 0)
        {
            authorizedAt.Should().NotBeNull($"{s.RequestId}: nothing is charged before the buyer authorizes");
        }

        phases.Select(p => (string)p["paymentId"]!).Should().OnlyHaveUniqueItems($"{s.RequestId}: each payment once");
        phases.Where(p => (string)p["resultStatus"]! == "U").Should().HaveCountLessThanOrEqualTo(1);
        for (var i = 0; i < phases.Count; i++)
        {
            var p = phases[i];
            var no = (int)p["phaseNo"]!;
            var start = Time(p["periodStartTime"]);
            var periodEnd = Time(p["periodEndTime"]);
            var charged = Time(p["paymentCreateTime"]);
            var what = $"{s.RequestId} phase {no} [{start:O}, {periodEnd:O}) charged {charged:O}";
            no.Should().Be(i + 1, $"{s.RequestId}: phases are numbered in order, each once");
            periodEnd.Should().BeAfter(start, what);
            if (end is { } stop && (string)p["resultStatus"]! != "F")
            {
                // A failed phase may: a later end time at its start is taken, as no money was taken for it (reported).
                start.Should().BeBefore(stop, $"{what}: no phase starts at or after subscriptionEndTime");
            }

            charged.Should().BeOnOrAfter(authorizedAt!.Value, $"{what}: not before the authorization");
            charged.Should().BeOnOrBefore(now, what);
            if (s.CancelledAt is { } cancelled)
            {
                charged.Should().BeOnOrBefore(cancelled, $"{what}: nothing is charged after a CANCEL");
            }

            if ((s.TerminatedAt ?? terminatedAt) is { } terminated)
            {
                charged.Should().BeOnOrBefore(terminated, $"{what}: nothing is charged once TERMINATED");
            }

            if (no > 1)
            {
                charged.Should().BeOnOrAfter(start - Lead, $"{what}: a phase is charged no earlier than {Lead.TotalHours} h before it starts");
            }

            if (i > 0)
            {
                start.Should().BeAfter(Time(phases[i - 1]["periodStartTime"]), $"{what}: phases follow each other");
                if (!s.Rescheduled)
                {
                    start.Should().Be(Time(phases[i - 1]["periodEndTime"]), $"{what}: phases are contiguous");
                }
            }

            if ((string)p["resultStatus"]! == "U")
            {
                i.Should().Be(phases.Count - 1, $"{what}: nothing is charged while a payment is under way");
            }

            if (!s.Rescheduled)
            {
                // SPEC §10: phase k covers [start + (k−1)·P, start + k·P), calendar arithmetic in the merchant's time.
                start.Should().Be(AddPeriods(s.StartTime, s.PeriodType, s.PeriodCount, no - 1), $"{what}: phase {no} of a {s.PeriodType}x{s.PeriodCount} plan from {s.StartTime:O}");
                if (!s.HadProcessing)
                {
                    // When due; or when a change made it due (a later end time), since nothing is charged before a change.
                    var due = Max(no == 1 ? start : start - Lead, authorizedAt.Value);
                    if (charged != due)
                    {
                        charged.Should().BeAfter(due, $"{what}: charged when due ({(no == 1 ? "at its start or the approval" : "24 h before it starts")})");
                        s.Plan.Select(c => c.At).Should().Contain(charged, $"{what}: charged after it was due ({due:O}) only because a change made it due then");
                    }
                }
            }

            long.Parse((string)p["amount"]!["value"]!, CultureInfo.InvariantCulture)
                .Should().Be(ExpectedAmount(s, i), $"{what}: the amount in force when it was charged (trials, changes, paymentAmountDifference)");
        }

        CheckEnd(s, view, phases, terminatedAt, end);

        foreach (var group in view["refunds"]!.AsArray().GroupBy(r => (string)r!["paymentId"]!))
        {
            var phase = phases.Should().ContainSingle(p => (string)p["paymentId"]! == group.Key, "a refund is of a payment of this subscription").Subject;
            ((string)phase["resultStatus"]!).Should().Be("S", "only a successful payment is refunded");
            group.Where(r => (string)r!["status"]! != "FAIL").Sum(r => long.Parse((string)r!["amount"]!["value"]!, CultureInfo.InvariantCulture))
                .Should().BeLessThanOrEqualTo(long.Parse((string)phase["amount"]!["value"]!, CultureInfo.InvariantCulture), $"refunds of {group.Key} never exceed the payment");
        }

        // Nothing overdue: an ACTIVE subscription whose schedule the walk did not move has its next charge ahead.
        if (s.Status == "ACTIVE" && !s.Rescheduled && !phases.Any(p => (string)p["resultStatus"]! == "U") && !s.Plan.Any(c => c.At == now))
        {
            var nextStart = phases.Count > 0 ? Time(phases[^1]["periodEndTime"]) : Time(view["subscriptionStartTime"]);
            var due = phases.Count > 0 ? nextStart - Lead : nextStart;
            if (end is not { } stop || nextStart < stop)
            {
                due.Should().BeAfter(now, $"{s.RequestId}: phase {phases.Count + 1} (starting {nextStart:O}) is charged when due, not left behind");
            }
            else
            {
                stop.Should().BeAfter(now, $"{s.RequestId}: reached its end time {stop:O} and is still ACTIVE");
            }
        }
    }

    /// <summary>
    /// What phase <paramref name="index"/> must cost: a change's <c>paymentAmountDifference</c> for the first phase charged
    /// after it (unless an update brought another amount or period rule for that phase since), else a trial's amount,
    /// else the plan amount in force when it was charged.
    /// </summary>
    private static long? ExpectedAmount(WalkSubscription s, int index)
    {
        // A phase was charged after a change when fewer phases than its own index had been charged before that change.
        var before = s.Plan.Where(c => c.PhasesBefore <= index).ToList();
        if (before.LastOrDefault(c => c.Replans) is { IsChange: true, Difference: { } difference } change && change.PhasesBefore == index)
        {
            return difference;
        }

        var no = index + 1;
        if (s.Trials.FirstOrDefault(t => t.From <= no && no <= t.To) is { To: > 0 } trial)
        {
            return trial.Amount;
        }

        return before.LastOrDefault(c => c.Amount is not null).Amount ?? s.Amount;
    }

    /// <summary>
    /// An authorized subscription ends at its <c>subscriptionEndTime</c>, or, after a <c>CANCEL</c>, when the period
    /// running then (or one paid ahead) ends (docs/emulation.md "cancel"), as the timeline's last state change says.
    /// </summary>
    private void CheckEnd(WalkSubscription s, JsonNode view, List<JsonNode> phases, DateTimeOffset? terminatedAt, DateTimeOffset? end)
    {
        if (terminatedAt is not { } ended || s.TerminatedAt is not null || view["authorizedAt"] is null || s.Rescheduled || s.HadProcessing)
        {
            return;
        }

        if (s.CancelledAt is not { } cancelled)
        {
            end.Should().NotBeNull($"{s.RequestId} ended by itself without an end time");
            ended.Should().Be(end!.Value, $"{s.RequestId} ends at its subscriptionEndTime");
            return;
        }

        var running = phases.LastOrDefault(p => Time(p["periodStartTime"]) <= cancelled) is { } r ? Time(r["periodEndTime"]) : cancelled;
        var paid = phases.LastOrDefault(p => (string)p["resultStatus"]! == "S") is { } last ? Time(last["periodEndTime"]) : cancelled;
        var served = Max(Max(running, paid), cancelled);
        if (end is { } stop && stop < served)
        {
            served = Max(stop, cancelled);
        }

        ended.Should().Be(served, $"{s.RequestId}, cancelled at {cancelled:O}, serves the period running then (or paid ahead) to its end");
    }

    private void CheckLedger(WalkSubscription s, JsonNode view, List<JsonNode> notifications, bool final)
    {
        var payments = notifications.Where(n => (string)n["kind"]! == "notifyPayment").Select(n => (Note: n, Body: JsonNode.Parse((string)n["body"]!)!)).ToList();
        var phases = view["phases"]!.AsArray().Select(p => p!).ToList();
        foreach (var phase in phases)
        {
            var paymentId = (string)phase["paymentId"]!;
            var owed = payments.Where(p => (string)p.Body["paymentId"]! == paymentId).ToList();
            if ((string)phase["resultStatus"]! == "U")
            {
                owed.Should().BeEmpty($"{s.RequestId}: no notifyPayment for a payment under way");
                continue;
            }

            var one = owed.Should().ContainSingle($"{s.RequestId}: phase {phase["phaseNo"]} ended and has exactly one notifyPayment").Subject.Body;
            ((string)one["phaseNo"]!).Should().Be(((int)phase["phaseNo"]!).ToString(CultureInfo.InvariantCulture));
            ((string)one["result"]!["resultStatus"]!).Should().Be((string)phase["resultStatus"]!);
            ((string)one["paymentAmount"]!["value"]!).Should().Be((string)phase["amount"]!["value"]!);
        }

        payments.Should().HaveCount(phases.Count(p => (string)p["resultStatus"]! != "U"), $"{s.RequestId}: one notifyPayment per payment that ended, no more");
        var notices = notifications.Where(n => (string)n["kind"]! == "notifySubscription")
            .Select(n => JsonNode.Parse((string)n["body"]!)!).Select(b => $"{b["subscriptionNotificationType"]} {b["subscriptionStatus"]}").ToList();
        var status = (string)view["status"]!;
        var authorized = view["authorizedAt"] is not null;
        notices.Count(n => n.StartsWith("CREATE ", StringComparison.Ordinal)).Should().Be(status != "AWAITING_AUTHORIZATION" && !s.CancelledWhilePending ? 1 : 0, $"{s.RequestId}: one CREATE once the buyer decided or the window closed ({string.Join(", ", notices)})");
        if (authorized)
        {
            notices.Should().Contain("CREATE ACTIVE");
        }

        notices.Count(n => n.StartsWith("CANCEL ", StringComparison.Ordinal)).Should().BeLessThanOrEqualTo(1);
        notices.Count(n => n.StartsWith("TERMINATE ", StringComparison.Ordinal)).Should().BeLessThanOrEqualTo(1);
        notices.Count(n => n.StartsWith("CHANGE ", StringComparison.Ordinal) || n.StartsWith("UPDATE ", StringComparison.Ordinal))
            .Should().Be(s.Modifications, $"{s.RequestId}: one CHANGE or UPDATE per change that took effect");
        if (final)
        {
            notifications.Where(n => (string)n["status"]! != "acknowledged").Select(n => $"{n["kind"]} {n["notificationId"]} {n["status"]}")
                .Should().BeEmpty($"{s.RequestId}: everything is acknowledged once the faults are gone and the clock moved on");
        }
    }

    private static void CheckOrder(WalkSubscription s, List<ReceivedNotification> received)
    {
        var seen = new HashSet<string>();
        var order = new List<string>();
        foreach (var r in received.Where(r => seen.Add(r.NotificationId)))
        {
            order.Add(r.IsPayment ? "payment " + (string)r.Json["phaseNo"]! : (string)r.Json["subscriptionNotificationType"]!);
        }

        if (order.Count == 0)
        {
            return;
        }

        if (order.Contains("CREATE"))
        {
            order.TakeWhile(o => o != "CREATE").Should().NotContain(o => o.StartsWith("payment ", StringComparison.Ordinal), $"{s.RequestId}: CREATE comes before any payment ({string.Join(", ", order)})");
        }

        var phaseNos = order.Where(o => o.StartsWith("payment ", StringComparison.Ordinal)).Select(o => int.Parse(o[8..], CultureInfo.InvariantCulture)).ToList();
        phaseNos.Should().BeInAscendingOrder($"{s.RequestId}: payments arrive in phase order ({string.Join(", ", order)})");
    }

    private async Task CheckInquiriesAsync(WalkSubscription s, JsonNode view)
    {
        var inquiry = await m.Client.CallAsync(m.Merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = s.SubscriptionId });
        inquiry.SignatureValid.Should().BeTrue();
        var status = (string)view["status"]!;
        if (view["authorizedAt"] is null)
        {
            inquiry.ResultCode.Should().BeOneOf(["SUBSCRIPTION_NOT_EXIST", "SUCCESS"], inquiry.Text);
            if (inquiry.ResultCode == "SUCCESS")
            {
                status.Should().Be("TERMINATED", "only one the buyer never authorized that ended may be known");
                ((string)inquiry.Json["subscription"]!["status"]!).Should().Be("TERMINATED");
            }
        }
        else
        {
            inquiry.ResultCode.Should().Be("SUCCESS", inquiry.Text);
            ((string)inquiry.Json["subscription"]!["status"]!).Should().Be(status, $"{s.RequestId}: inquireSubscription agrees with the control API");
            ((string)inquiry.Json["subscription"]!["paymentAmount"]!["value"]!).Should().Be((string)view["paymentAmount"]!["value"]!);
            if (status is "ACTIVE" or "CANCELLED")
            {
                // The period being served: the last charged phase that has started (phase 1 before any).
                var started = view["phases"]!.AsArray().Where(p => Time(p!["periodStartTime"]) <= now).Select(p => (int)p!["phaseNo"]!).DefaultIfEmpty(1).Max();
                ((int?)inquiry.Json["subscription"]!["currentPhaseNo"]).Should().Be(started, $"{s.RequestId}: currentPhaseNo is the phase being served ({inquiry.Json["subscription"]!.ToJsonString()})");
            }
        }

        var listed = new List<string>();
        for (var page = 1; page < 100; page++)
        {
            var answer = await m.Client.CallAsync(m.Merchant, "inquireSubscriptionPayment", new JsonObject { ["subscriptionId"] = s.SubscriptionId, ["currentPage"] = page, ["pageSize"] = 10 });
            answer.ResultCode.Should().Be("SUCCESS", answer.Text);
            var items = answer.Json["payments"]!.AsArray();
            listed.AddRange(items.Select(p => $"{p!["phaseNo"]} {p["paymentId"]} {p["status"]} {p["paymentAmount"]!["value"]}"));
            if (items.Count < 10)
            {
                break;
            }
        }

        var expected = view["phases"]!.AsArray().Where(p => (string)p!["resultStatus"]! != "U")
            .Select(p => $"{p!["phaseNo"]} {p["paymentId"]} {((string)p["resultStatus"]! == "S" ? "SUCCESS" : "FAIL")} {p["amount"]!["value"]}");
        listed.Should().BeEquivalentTo(expected, $"{s.RequestId}: inquireSubscriptionPayment lists the payments that ended");
    }
}
