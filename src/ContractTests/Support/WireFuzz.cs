using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mutation = ContractTests.Support.FuzzMutator.Mutation;

namespace ContractTests.Support;

/// <summary>
/// A seeded, structure-aware fuzz of the emulated Antom API over the wire. One merchant per seed holds subscriptions in
/// every state (awaiting authorization, active with payments and a refund, cancelled, terminated, a failed and a free
/// payment); each case takes a valid body of one of the nine APIs aimed at one of them, mutates its fields
/// (<see cref="FuzzMutator"/>), sometimes its bytes, and sends it with valid but odd headers. After every call it checks
/// the product's promises: HTTP 200, a verifiable signature, a result code the API can return, <c>PARAM_ILLEGAL</c> naming
/// a field the case touched (always when a mutation broke a rule), an <c>F</c> or an inquiry changing nothing (but the
/// refused call's own line in its subscription's timeline), an <c>S</c> showing its effect and nothing else, the same
/// request again answered byte for byte and changing nothing more, and no error logged. A failure names the seed and
/// every case sent.
/// </summary>
public sealed partial class WireFuzz(EmulatorFactory factory, int seed, int cases) : ISeededFuzz
{
    private static readonly TimeSpan[] Offsets = [TimeSpan.Zero, TimeSpan.FromHours(8), TimeSpan.FromHours(-5), new(5, 45, 0), TimeSpan.FromHours(14), TimeSpan.FromHours(-11)];
    private static readonly string[] Currencies = ["PHP", "USD", "JPY", "IDR", "KRW", "KWD", "EUR", "HKD"];
    private static readonly string[] Modifying = ["create", "change", "update", "cancel", "refund"];
    private static readonly HashSet<string> NotKept = ["PARAM_ILLEGAL", "REPEAT_REQ_INCONSISTENT", "SYSTEM_ERROR", "UNKNOWN_CLIENT", "INVALID_SIGNATURE", "KEY_NOT_FOUND", "METHOD_NOT_SUPPORTED", "NO_INTERFACE_DEF"];

    private readonly Random random = new(seed);
    private readonly List<string> log = [];
    private readonly List<Kept> kept = [];
    private readonly List<(string Api, JsonObject Body, DateTimeOffset At)> refused = [];
    private MerchantHarness m = null!;
    private DateTimeOffset now;
    private Dictionary<string, Dictionary<string, string>> catalogue = null!;
    private int errorsBefore;

    // Another merchant's subscription, payment and refund: ids that exist, but not for this client id.
    private TestMerchant? other;
    private JsonObject? foreign;
    private string foreignState = "";
    private int ids;
    private int currentCase;
    private int journalled;
    private readonly List<string> authorizationPages = [];

    /// <summary>How many times each API answered each result code, over the cases and their repeats.</summary>
    public SortedDictionary<string, int> Outcomes { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Log => log;

    private sealed record Sent(string Api, string Path, byte[] Body, string ClientId, string RequestTime, string? ContentType, bool Chunked, IReadOnlyList<(string Name, string Value)> Headers)
    {
        public string Method { get; init; } = "POST";
    }

    private sealed record Kept(string Api, JsonObject Body, IReadOnlyDictionary<string, byte[]> Splices, byte[] First);

    private sealed record Snapshot(Dictionary<string, JsonObject> Views, Dictionary<string, string> Normal, Dictionary<string, List<string>> ApiCalls, List<(string SubscriptionId, string Line)> Ledger);

    public async Task RunAsync()
    {
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(random.Next(0, 730)).AddMinutes(random.Next(0, 24 * 60));
        m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        await using var harness = m;
        now = start;
        errorsBefore = factory.Errors.GetSnapshot().Count;
        log.Add($"merchant {m.Merchant.ClientId}, clock frozen at {start:O}");
        try
        {
            catalogue = (await m.Http.GetFromJsonAsync<JsonArray>("/_emulator/v1/result-codes"))!
                .GroupBy(r => (string)r!["api"]!)
                .ToDictionary(g => g.Key, g => g.ToDictionary(r => (string)r!["resultCode"]!, r => (string)r!["resultStatus"]!));
            await SetUpAsync();
            for (currentCase = 1; currentCase <= cases; currentCase++)
            {
                if (Chance(0.05))
                {
                    await AdvanceAsync();
                }
                else if (kept.Count > 0 && Chance(0.12))
                {
                    await ReuseAsync();
                }
                else if (refused.Count > 0 && Chance(0.08))
                {
                    await CorrectAsync();
                }
                else
                {
                    await CaseAsync();
                }

                CheckNoErrors();
            }

            await ReplayKeptAsync();
            await CheckPagesAsync();
            CheckNoErrors();
        }
        catch (Exception ex)
        {
            throw new Xunit.Sdk.XunitException(
                $"wire fuzz seed {seed} failed at case {currentCase} (replay: FUZZ_FIRST_SEED={seed} FUZZ_SEEDS=1): {ex.Message}\n--- cases ---\n{string.Join("\n", log)}\n--- at ---\n{ex.StackTrace}");
        }
        finally
        {
            // The merchants and what they own go, so that no later test's clock wakes what the fuzz left behind.
            await m.Http.DeleteAsync(m.Control);
            if (other is not null)
            {
                await m.Http.DeleteAsync($"/_emulator/v1/merchants/{other.ClientId}");
            }
        }
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private bool Chance(double p) => random.NextDouble() < p;

    private string NewId(string prefix) => $"{prefix}{seed}-{++ids}-{random.Next(1_000_000).ToString(CultureInfo.InvariantCulture)}";

    private void Note(string line) => log.Add($"{currentCase,3} {line}");

    // ---- setting up subscriptions in every state ----

    private async Task SetUpAsync()
    {
        // One with history: several phases, a refund; beside it, one whose first period is free, one whose renewals fail.
        var history = ValidCreate(startNow: true);
        await CallOkAsync("create", history);
        await ApproveAsync((string)history["subscriptionRequestId"]!);
        if (Chance(0.6))
        {
            var free = ValidCreate(startNow: true);
            free["trials"] = new JsonArray(new JsonObject { ["trialStartPeriod"] = 1, ["trialAmount"] = Bodies.Amount((string)free["paymentAmount"]!["currency"]!, "0") });
            await CallOkAsync("create", free);
            await ApproveAsync((string)free["subscriptionRequestId"]!);
        }

        if (Chance(0.6))
        {
            var failing = ValidCreate(startNow: true);
            var added = await m.Http.PostAsJsonAsync($"{m.Control}/faults", new
            {
                target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH", times = 0,
                match = new { subscriptionRequestId = (string)failing["subscriptionRequestId"]!, fromPhaseNo = 2 },
            });
            added.StatusCode.Should().Be(HttpStatusCode.Created, await added.Content.ReadAsStringAsync());
            await CallOkAsync("create", failing);
            await ApproveAsync((string)failing["subscriptionRequestId"]!);
        }

        var advance = await m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", new { by = $"P{random.Next(10, 90)}D" });
        advance.StatusCode.Should().Be(HttpStatusCode.OK, await advance.Content.ReadAsStringAsync());
        now = await m.NowAsync();
        var views = await ViewsAsync();
        if (views.SelectMany(v => v["phases"]!.AsArray()).FirstOrDefault(p => (string)p!["resultStatus"]! == "S" && Value(p["amount"]) > 100) is { } paid)
        {
            var currency = (string)paid["amount"]!["currency"]!;
            await CallOkAsync("refund", Bodies.Refund((string)paid["paymentId"]!, currency == "IDR" ? "100" : "1", NewId("rfd"), currency));
        }

        other = await TestMerchant.CreateAsync(m.Http, frozenAt: now);
        var theirs = MerchantHarness.Body(now, "USD", "5000");
        (await m.Client.CallAsync(other, "create", theirs)).ResultCode.Should().Be("SUCCESS");
        (await m.Http.PostAsync($"/_emulator/v1/merchants/{other.ClientId}/subscription-requests/{(string)theirs["subscriptionRequestId"]!}/approve", null)).StatusCode.Should().Be(HttpStatusCode.OK);
        foreign = (await m.Http.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{other.ClientId}/subscriptions"))!.Single()!.AsObject();
        var theirPayment = (string)foreign["phases"]![0]!["paymentId"]!;
        (await m.Client.CallAsync(other, "refund", Bodies.Refund(theirPayment, "100", NewId("rfd"), "USD"))).ResultCode.Should().Be("SUCCESS");
        foreignState = await ForeignStateAsync();
        foreign = (await m.Http.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{other.ClientId}/subscriptions"))!.Single()!.AsObject();
        log.Add($"set up: {string.Join(", ", views.Select(v => $"{v["subscriptionRequestId"]} {v["status"]} {v["phases"]!.AsArray().Count} phases"))}; now {now:O}; another merchant {other.ClientId} has {foreign["subscriptionId"]}");
    }

    private async Task<string> ForeignStateAsync() =>
        await m.Http.GetStringAsync($"/_emulator/v1/merchants/{other!.ClientId}/subscriptions") + await m.Http.GetStringAsync($"/_emulator/v1/merchants/{other.ClientId}/notifications");

    private async Task CallOkAsync(string api, JsonObject body)
    {
        var reply = await SendAsync(Sign(api, Encoding.UTF8.GetBytes(body.ToJsonString())));
        reply.ResultCode.Should().Be("SUCCESS", $"{api} {body.ToJsonString()} is valid: {reply.Text}");
    }

    private async Task ApproveAsync(string requestId)
    {
        var response = await m.Http.PostAsync($"{m.Control}/subscription-requests/{requestId}/approve", null);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A subscription in <paramref name="status"/>, made now when the merchant has none.</summary>
    private async Task<JsonObject> EnsureAsync(string status, Snapshot snapshot)
    {
        var existing = snapshot.Views.Values.Where(v => (string)v["status"]! == status).ToList();
        if (existing.Count > 0)
        {
            return Pick(existing);
        }

        var body = ValidCreate(startNow: true);
        var requestId = (string)body["subscriptionRequestId"]!;
        await CallOkAsync("create", body);
        switch (status)
        {
            case "ACTIVE":
                await ApproveAsync(requestId);
                break;
            case "CANCELLED":
                await ApproveAsync(requestId);
                await CallOkAsync("cancel", new JsonObject { ["subscriptionRequestId"] = requestId, ["cancellationType"] = "CANCEL" });
                break;
            case "TERMINATED":
                switch (random.Next(3))
                {
                    case 0:
                        await ApproveAsync(requestId);
                        await CallOkAsync("cancel", new JsonObject { ["subscriptionRequestId"] = requestId, ["cancellationType"] = "TERMINATE" });
                        break;
                    case 1:
                        (await m.Http.PostAsync($"{m.Control}/subscription-requests/{requestId}/decline", null)).StatusCode.Should().Be(HttpStatusCode.OK);
                        break;
                    default:
                        await CallOkAsync("cancel", new JsonObject { ["subscriptionRequestId"] = requestId, ["cancellationType"] = Pick(["CANCEL", "TERMINATE"]) });
                        break;
                }

                break;
        }

        Note($"made a {status} subscription {requestId}");
        var made = (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions?subscriptionRequestId={requestId}"))!;
        ((string)made.Single()!["status"]!).Should().Be(status);
        return made.Single()!.AsObject();
    }

    // ---- valid bodies ----

    private JsonObject ValidCreate(bool startNow = false)
    {
        var (type, count) = random.Next(10) switch
        {
            < 2 => ("DAY", random.Next(1, 31)),
            < 4 => ("WEEK", random.Next(1, 5)),
            < 9 => ("MONTH", random.Next(1, 13)),
            _ => ("YEAR", random.Next(1, 4)),
        };
        var rule = new Emulator.Domain.PeriodRule(type, count);
        var offset = Pick(Offsets);
        var currency = Pick(Currencies);
        var value = random.Next(1, 1_000_000) * (currency == "IDR" ? 100L : 1L);
        var pastStart = false;
        var start = startNow ? now : random.Next(10) switch
        {
            < 4 => now,
            < 7 => now.AddMinutes(random.Next(1, 72 * 60)),
            < 8 => now.AddMinutes(-random.Next(1, 5)),
            _ => now.AddMinutes(-random.Next(6, (int)Math.Min(20 * 24 * 60, (rule.Add(now, 1) - now).TotalMinutes - 1))),
        };
        pastStart = now - start > TimeSpan.FromMinutes(5);
        var body = new JsonObject
        {
            ["subscriptionRequestId"] = NewId("fz"),
            ["subscriptionDescription"] = Pick(["Premium", "Gold plan, every " + rule, "\u4f1a\u5458 \u6708\u5361", "Caf\u00e9 cr\u00e8me"]),
            ["subscriptionRedirectUrl"] = Pick(["https://merchant.example/return", "myapp://subscribed", "http://localhost:3000/done?x=1&y=%20"]),
            ["subscriptionStartTime"] = FuzzMutator.Iso(start, offset),
            ["periodRule"] = new JsonObject { ["periodType"] = type, ["periodCount"] = Chance(0.2) ? count.ToString(CultureInfo.InvariantCulture) : count },
            ["paymentMethod"] = new JsonObject { ["paymentMethodType"] = Pick(FuzzFields.Wallets) },
            ["orderInfo"] = new JsonObject { ["orderAmount"] = Amount(currency, value) },
            ["paymentAmount"] = Amount(currency, value),
            ["env"] = new JsonObject { ["terminalType"] = Pick(["WEB", "WAP", "APP", "MINI_APP"]) },
        };
        if (Chance(0.1))
        {
            body["paymentMethod"] = new JsonObject { ["paymentMethodType"] = "CARD", ["paymentMethodId"] = "tok_" + random.Next(), ["customerId"] = "c1" };
        }

        if (Chance(0.3))
        {
            body["env"]!["osType"] = Pick(["IOS", "ANDROID"]);
        }

        if (Chance(0.3))
        {
            var trials = new JsonArray(new JsonObject
            {
                ["trialStartPeriod"] = 1,
                ["trialEndPeriod"] = pastStart ? 1 : random.Next(1, 4),
                ["trialAmount"] = Amount(currency, Chance(0.5) ? 0 : value / 200 * 100),
            });
            if (!pastStart && Chance(0.3))
            {
                trials.Add(new JsonObject { ["trialStartPeriod"] = 6, ["trialEndPeriod"] = 7, ["trialAmount"] = Amount(currency, 0) });
            }

            body["trials"] = trials;
        }

        if (Chance(0.25))
        {
            body["subscriptionEndTime"] = FuzzMutator.Iso(rule.Add(start, random.Next(2, 12)).AddMinutes(random.Next(0, 600)), offset);
        }

        if (Chance(0.25))
        {
            body["subscriptionExpiryTime"] = FuzzMutator.Iso(now.AddMinutes(random.Next(10, 47 * 60)), offset);
        }

        if (Chance(0.2))
        {
            body["subscriptionNotificationUrl"] = m.Receiver.SubscriptionUrl;
            body["paymentNotificationUrl"] = m.Receiver.PaymentUrl;
        }

        if (Chance(0.15))
        {
            body["settlementStrategy"] = new JsonObject { ["settlementCurrency"] = currency };
            body["merchantAccountId"] = "acct-1";
        }

        return body;
    }

    private static JsonObject Amount(string currency, long value) => Bodies.Amount(currency, value.ToString(CultureInfo.InvariantCulture));

    private long NewValue(string currency) => random.Next(1, 1_000_000) * (currency == "IDR" ? 100L : 1L);

    private async Task<(string Api, JsonObject Body, string Target, Snapshot Before)> BaseBodyAsync(Snapshot before)
    {
        var api = Pick(
        [
            "create", "create", "create", "change", "change", "update", "update", "update", "cancel", "cancel",
            "refund", "refund", "refund", "inquiryRefund", "inquireSubscription", "inquireSubscription", "inquireSubscriptionList", "inquireSubscriptionList",
            "inquireSubscriptionPayment", "inquireSubscriptionPayment",
        ]);
        if (api == "create")
        {
            return (api, ValidCreate(), "new", before);
        }

        if (api is "refund" or "inquiryRefund")
        {
            if (Chance(0.08))
            {
                return (api, RefundBody(api, [foreign!]), "another merchant's", before);
            }

            return (api, RefundBody(api, before.Views.Values), "payment", before);
        }

        if (api == "inquireSubscriptionList")
        {
            return (api, ListBody(), "list", before);
        }

        var kind = random.Next(100) switch
        {
            < 50 => "ACTIVE",
            < 65 => "AWAITING_AUTHORIZATION",
            < 77 => "CANCELLED",
            < 88 => "TERMINATED",
            < 94 => "another merchant's",
            _ => "unknown",
        };
        JsonObject? view = kind == "another merchant's" ? foreign : null;
        if (kind is not ("unknown" or "another merchant's"))
        {
            view = await EnsureAsync(kind, before);
            if (!before.Views.ContainsKey((string)view["subscriptionId"]!))
            {
                before = await SnapshotAsync();
            }
        }

        var subscriptionId = view is null ? "2099" + string.Concat(Enumerable.Range(0, 31).Select(_ => random.Next(10))) : (string)view["subscriptionId"]!;
        var currency = view is null ? "PHP" : (string)view["paymentAmount"]!["currency"]!;
        var body = api switch
        {
            "change" => ChangeBody(subscriptionId, currency),
            "update" => UpdateBody(subscriptionId, currency, view),
            "cancel" => kind == "AWAITING_AUTHORIZATION" || (view is not null && Chance(0.15))
                ? new JsonObject { ["subscriptionRequestId"] = (string)view!["subscriptionRequestId"]!, ["cancellationType"] = Pick(["CANCEL", "TERMINATE"]) }
                : Bodies.Cancel(subscriptionId, Pick(["CANCEL", "TERMINATE"])),
            "inquireSubscription" => new JsonObject { ["subscriptionId"] = subscriptionId },
            _ => PaymentsBody(subscriptionId),
        };
        if (Chance(0.1))
        {
            body["merchantAccountId"] = "acct-1";
        }

        return (api, body, kind, before);
    }

    private JsonObject ChangeBody(string subscriptionId, string currency)
    {
        var body = new JsonObject
        {
            ["subscriptionChangeRequestId"] = NewId("chg"),
            ["subscriptionId"] = subscriptionId,
            ["paymentAmount"] = Amount(currency, NewValue(currency)),
        };
        if (Chance(0.4))
        {
            body["subscriptionDescription"] = "changed " + random.Next(1000);
        }

        if (Chance(0.2))
        {
            body["periodRule"] = new JsonObject { ["periodType"] = Pick(FuzzFields.PeriodTypes), ["periodCount"] = random.Next(1, 4) };
        }

        if (Chance(0.2))
        {
            body["orderInfo"] = new JsonObject { ["orderAmount"] = Amount(currency, NewValue(currency)) };
        }

        if (Chance(0.15))
        {
            body["paymentAmountDifference"] = Amount(currency, NewValue(currency));
        }

        if (Chance(0.15))
        {
            body["subscriptionEndTime"] = FuzzMutator.Iso(now.AddDays(random.Next(60, 400)), Pick(Offsets));
        }

        if (Chance(0.1))
        {
            body["subscriptionStartTime"] = FuzzMutator.Iso(now.AddHours(random.Next(30, 240)), Pick(Offsets));
        }

        return body;
    }

    private JsonObject UpdateBody(string subscriptionId, string currency, JsonObject? view)
    {
        var body = new JsonObject
        {
            ["subscriptionUpdateRequestId"] = NewId("upd"),
            ["subscriptionId"] = subscriptionId,
        };
        while (body.Count == 2)
        {
            if (Chance(0.3))
            {
                body["subscriptionDescription"] = "updated " + random.Next(1000);
            }

            if (Chance(0.35))
            {
                body["paymentAmount"] = Amount(currency, NewValue(currency));
            }

            if (Chance(0.15))
            {
                body["periodRule"] = new JsonObject { ["periodType"] = Pick(FuzzFields.PeriodTypes), ["periodCount"] = random.Next(1, 4) };
            }

            if (Chance(0.15))
            {
                body["subscriptionEndTime"] = FuzzMutator.Iso(now.AddDays(random.Next(60, 400)), Pick(Offsets));
            }

            if (Chance(0.15))
            {
                body["orderInfo"] = new JsonObject { ["orderAmount"] = Amount(currency, NewValue(currency)) };
            }

            if (Chance(0.2))
            {
                var phases = view?["phases"]!.AsArray();
                var next = phases is { Count: > 0 } ? Time(phases[^1]!["periodEndTime"]) : now.AddDays(10);
                body["nextSubscriptionDate"] = FuzzMutator.Iso(next.AddHours(random.Next(-30, 24 * 20)), Pick(Offsets));
            }
        }

        if (body["subscriptionEndTime"] is { } end && body["nextSubscriptionDate"] is { } nextDate && Time(end) <= Time(nextDate))
        {
            // No phase starts at or after the end: the end goes after the next phase.
            body["subscriptionEndTime"] = FuzzMutator.Iso(Time(nextDate).AddDays(random.Next(1, 400)), Pick(Offsets));
        }

        if (Chance(0.15))
        {
            body["prorationSettings"] = new JsonObject
            {
                ["prorationMode"] = Pick(["IMMEDIATE_PAY_CUSTOM_AMOUNT", "IMMEDIATE_REFUND_CUSTOM_AMOUNT"]),
                ["customAmount"] = Amount(currency, NewValue(currency)),
            };
        }

        return body;
    }

    private JsonObject PaymentsBody(string subscriptionId)
    {
        var body = new JsonObject { ["subscriptionId"] = subscriptionId };
        if (Chance(0.3))
        {
            body["paymentStatuses"] = Chance(0.5) ? new JsonArray("SUCCESS") : new JsonArray("SUCCESS", "FAIL");
        }

        if (Chance(0.4))
        {
            body["currentPage"] = random.Next(1, 4);
            body["pageSize"] = random.Next(1, 11);
        }

        return body;
    }

    private JsonObject ListBody()
    {
        var body = new JsonObject();
        if (Chance(0.5))
        {
            body["startTimeFrom"] = FuzzMutator.Iso(now.AddDays(-random.Next(0, 200)), Pick(Offsets));
            body["startTimeTo"] = FuzzMutator.Iso(now.AddDays(random.Next(0, 30)), Pick(Offsets));
        }

        if (Chance(0.4))
        {
            body["statuses"] = new JsonArray(Pick(["ACTIVE", "CANCELLED", "TERMINATED"]));
        }

        if (Chance(0.2))
        {
            body["currencies"] = new JsonArray(Pick(Currencies), Pick(Currencies));
        }

        if (Chance(0.2))
        {
            body["paymentMethodTypes"] = new JsonArray(Pick(FuzzFields.Wallets));
        }

        if (Chance(0.2))
        {
            body["periodTypes"] = new JsonArray(Pick(FuzzFields.PeriodTypes));
        }

        if (Chance(0.4))
        {
            body["currentPage"] = random.Next(1, 3);
            body["pageSize"] = random.Next(1, 101);
        }

        return body;
    }

    private JsonObject RefundBody(string api, IEnumerable<JsonObject> views)
    {
        var all = views.ToList();
        if (api == "inquiryRefund")
        {
            var refunds = all.SelectMany(v => v["refunds"]!.AsArray()).ToList();
            if (refunds.Count == 0 || Chance(0.15))
            {
                return new JsonObject { [Pick(["refundId", "refundRequestId"])] = NewId("nope") };
            }

            var refund = Pick(refunds)!;
            return Chance(0.5)
                ? new JsonObject { ["refundId"] = (string)refund["refundId"]! }
                : new JsonObject { ["refundRequestId"] = (string)refund["refundRequestId"]! };
        }

        var phases = all.SelectMany(v => v["phases"]!.AsArray().Select(p => (View: v, Phase: p!))).ToList();
        if (phases.Count == 0 || Chance(0.1))
        {
            return Bodies.Refund("2099" + random.Next(), "100", NewId("rfd"));
        }

        var paid = phases.Where(p => (string)p.Phase["resultStatus"]! == "S" && Value(p.Phase["amount"]) > 0).ToList();
        var (view, phase) = paid.Count > 0 && Chance(0.75) ? Pick(paid) : Pick(phases);
        var amount = Value(phase["amount"]);
        var refunded = view["refunds"]!.AsArray().Where(r => (string)r!["paymentId"]! == (string)phase["paymentId"]! && (string)r["status"]! != "FAIL").Sum(r => Value(r!["amount"]));
        var left = Math.Max(1, amount - refunded);
        var currency = (string)phase["amount"]!["currency"]!;
        var value = Math.Min(Chance(0.8) ? random.NextInt64(1, left + 1) : left + 1, 9_999_999_999_999_999);
        if (currency == "IDR")
        {
            value = Math.Max(100, value / 100 * 100);
        }

        var body = Bodies.Refund((string)phase["paymentId"]!, value.ToString(CultureInfo.InvariantCulture), NewId("rfd"), currency);
        if (Chance(0.3))
        {
            body["refundReason"] = Pick(["complaint", "\u9000\u6b3e", "double charge"]);
        }

        return body;
    }

    // ---- one case ----

    private async Task CaseAsync()
    {
        var (api, body, target, before) = await BaseBodyAsync(await SnapshotAsync());
        var mutator = new FuzzMutator(random, now) { Anchors = AnchorsOf(body, before) };
        var unmutated = (JsonObject)body.DeepClone();
        var mutations = new List<Mutation>();
        var count = random.Next(100) switch { < 10 => 0, < 60 => 1, < 85 => 2, _ => 3 };
        for (var i = 0; i < count; i++)
        {
            if (mutator.MutateField(api, body) is { } mutation)
            {
                // A later change to the same member (or one around it) undoes what an earlier one did there; one inside
                // it leaves the earlier change in place, but no longer sure to be refused.
                mutations.RemoveAll(earlier => earlier.Path == mutation.Path || Inside(earlier.Path, mutation.Path));
                for (var j = 0; j < mutations.Count; j++)
                {
                    if (Inside(mutation.Path, mutations[j].Path))
                    {
                        mutations[j] = mutations[j] with { Refuse = false, NotForLength = false };
                    }
                }

                mutations.Add(mutation);
            }
        }

        if (Chance(0.06) && before.Views.Count > 0)
        {
            // A member this API does not read, naming one of the merchant's subscriptions: it names nothing.
            var stray = Pick(before.Views.Values.ToList());
            var (name, value) = api is "change" or "update"
                ? ("subscriptionRequestId", (string)stray["subscriptionRequestId"]!)
                : ("subscriptionId", (string)stray["subscriptionId"]!);
            if (api is not ("cancel" or "inquireSubscription" or "inquireSubscriptionPayment") && !body.ContainsKey(name))
            {
                body[name] = value;
                mutations.Add(new Mutation(name, $"a member {api} does not read, naming {value}", Refuse: false));
            }
        }

        if (Chance(0.08))
        {
            // Last, so that nothing changes the member after its twin was written: the two may each be read.
            var twin = mutator.Duplicate(body);
            for (var j = 0; j < mutations.Count; j++)
            {
                if (mutations[j].Path == twin.Path || Inside(mutations[j].Path, twin.Path) || Inside(twin.Path, mutations[j].Path))
                {
                    mutations[j] = mutations[j] with { Refuse = false, NotForLength = false };
                }
            }

            mutations.Add(twin);
        }

        var bytes = mutator.Serialize(body);
        var byteLevel = Chance(0.2);
        if (byteLevel)
        {
            (bytes, var byteMutation) = mutator.MutateBytes(bytes, body);
            mutations.Add(byteMutation);
        }

        var (sent, odd) = Transport(api, bytes);
        AntomReply reply;
        if (Chance(0.05))
        {
            // Twins: the same request twice at once, as a client that retries too early sends it.
            var twins = await Task.WhenAll(SendAsync(sent), SendAsync(sent));
            twins[1].Text.Should().Be(twins[0].Text, "twins get the same answer, byte for byte");
            odd.Add("sent twice at once");
            reply = twins[0];
        }
        else
        {
            reply = await SendAsync(sent);
        }

        Count(api, reply);
        Note($"{api} ({target}) {string.Join("; ", mutations)}{(odd.Count > 0 ? " | " + string.Join(", ", odd) : "")} | {Describe(body)} → {reply.ResultCode}: {Short(reply.ResultMessage)}");

        CheckReply(api, reply, mutations, odd);
        if (target == "another merchant's")
        {
            (await ForeignStateAsync()).Should().Be(foreignState, "a call naming another merchant's subscription, payment or refund changes nothing of it");
            if (mutations.Count == 0 && odd.Count == 0)
            {
                reply.ResultCode.Should().Be(
                    api switch { "refund" or "inquiryRefund" => "ORDER_NOT_EXIST", "inquireSubscriptionPayment" => "SUCCESS", _ => "SUBSCRIPTION_NOT_EXIST" },
                    "another merchant's ids do not exist for this client id");
            }
        }

        var after = await SnapshotAsync();
        CheckEffect(api, body, mutations, reply, before, after, copies: odd.Contains("sent twice at once") ? 2 : 1);

        var again = await SendAsync(sent);
        Count(api, again);
        again.Status.Should().Be(HttpStatusCode.OK);
        again.SignatureValid.Should().BeTrue("the repeat is signed too");
        again.Text.Should().Be(reply.Text, "the same request again gets the same answer, byte for byte");
        CompareUnchanged(after, await SnapshotAsync(), "the same request again changes nothing more");

        // (Not with a member written twice: which of the two is read depends on their order, which a reformatted repeat changes.)
        if (Modifying.Contains(api) && api != "cancel" && !NotKept.Contains(reply.ResultCode) && !byteLevel
            && !mutations.Any(mu => mu.What.StartsWith("a duplicate member", StringComparison.Ordinal)))
        {
            kept.Add(new Kept(api, (JsonObject)body.DeepClone(), mutator.Splices, reply.RawBody));
        }

        if (reply.ResultCode == "PARAM_ILLEGAL" && Modifying.Contains(api) && api != "cancel" && unmutated[IdFieldOf(api)] is JsonValue
            && !mutations.Any(mu => mu.Path == IdFieldOf(api) || mu.Path == "body") && odd.Count == 0)
        {
            refused.Add((api, unmutated, now));
        }

        if (api == "create" && reply.ResultCode == "SUCCESS" && Chance(0.4))
        {
            // What the field rules took, odd as it is, goes on to the buyer's approval and the time machine.
            var made = after.Views.Values.Single(v => !before.Views.ContainsKey((string)v["subscriptionId"]!));
            // (A request id with a '/' is found through the raw request target, which the in-memory test host does not give: Kestrel does.)
            if (Local((string)made["subscriptionNotificationUrl"]!) && Local((string)made["paymentNotificationUrl"]!) && !((string)made["subscriptionRequestId"]!).Contains('/', StringComparison.Ordinal))
            {
                var requestId = (string)made["subscriptionRequestId"]!;
                var approved = await m.Http.PostAsync($"{m.Control}/subscription-requests/{Uri.EscapeDataString(requestId)}/approve", null);
                Note($"approve {requestId} → {(int)approved.StatusCode}");
                approved.StatusCode.Should().Be(HttpStatusCode.OK, await approved.Content.ReadAsStringAsync());
            }
        }
    }

    private static bool Local(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.IsLoopback;

    /// <summary>The clock moves on: whatever the cases left falls due (deductions, expiries, ends, notifications).</summary>
    private async Task AdvanceAsync()
    {
        var by = Pick(["PT1H", "PT12H", "P1D", "P3D", "P10D", "P20D", "P35D"]);
        var response = await m.Http.PostAsJsonAsync($"{m.Control}/clock/advance", new { by });
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, $"the clock advances by {by}: {text}");
        var answer = JsonNode.Parse(text)!;
        now = Time(answer["now"]);
        Note($"advance by {by}: {answer["events"]!.AsArray().Count} events; now {now:O}");
    }

    /// <summary>Now, 24 h on (the deduction lead), and the instants of the subscription the body names.</summary>
    private List<DateTimeOffset> AnchorsOf(JsonObject body, Snapshot state)
    {
        var anchors = new List<DateTimeOffset> { now, now.AddHours(24) };
        if (Scalar(body["subscriptionId"]) is { } id && state.Views.TryGetValue(id, out var view))
        {
            foreach (var name in (string[])["subscriptionStartTime", "subscriptionEndTime", "subscriptionExpiryTime", "paidUntil"])
            {
                if (view[name] is JsonValue v)
                {
                    anchors.Add(Time(v));
                }
            }

            foreach (var phase in view["phases"]!.AsArray())
            {
                anchors.Add(Time(phase!["periodStartTime"]));
                anchors.Add(Time(phase["periodEndTime"]));
            }
        }

        return anchors;
    }

    /// <summary>A request refused as PARAM_ILLEGAL, corrected: its request id was not taken (docs/emulation.md "Idempotency").</summary>
    private async Task CorrectAsync()
    {
        var (api, body, at) = refused[^1];
        refused.RemoveAt(refused.Count - 1);
        var before = await SnapshotAsync();
        var reply = await SendAsync(Sign(api, Encoding.UTF8.GetBytes(body.ToJsonString())));
        Count(api, reply);
        Note($"{api} corrected under {body[IdFieldOf(api)]}, refused before → {reply.ResultCode}: {Short(reply.ResultMessage)}");
        reply.ResultCode.Should().NotBe("REPEAT_REQ_INCONSISTENT", "a request id refused as PARAM_ILLEGAL is free for the corrected request");
        if (at == now)
        {
            CheckReply(api, reply, [], []);
            CheckEffect(api, body, [], reply, before, await SnapshotAsync());
        }

        if (!NotKept.Contains(reply.ResultCode))
        {
            kept.Add(new Kept(api, body, new Dictionary<string, byte[]>(), reply.RawBody));
        }
    }

    /// <summary>A request id used before, with the same body (reformatted) or another one.</summary>
    private async Task ReuseAsync()
    {
        var first = Pick(kept);
        var idField = IdFieldOf(first.Api);
        var body = (JsonObject)first.Body.DeepClone();
        var mutator = new FuzzMutator(random, now);
        Mutation? mutation = null;
        if (Chance(0.6))
        {
            for (var tries = 0; tries < 5 && mutation is null; tries++)
            {
                var candidate = (JsonObject)first.Body.DeepClone();
                if (mutator.MutateField(first.Api, candidate) is { } changed && changed.Path != idField && !changed.Path.StartsWith(idField + ".", StringComparison.Ordinal))
                {
                    (body, mutation) = (candidate, changed);
                }
            }
        }

        var text = random.Next(3) switch
        {
            0 => body.ToJsonString(new JsonSerializerOptions { WriteIndented = true }),
            1 => Shuffled(body).ToJsonString(),
            _ => body.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }),
        };
        var bytesSent = FuzzMutator.Splice(FuzzMutator.Splice(Encoding.UTF8.GetBytes(text), first.Splices), mutator.Splices);
        var same = Canonical(bytesSent) == Canonical(FuzzMutator.Splice(Encoding.UTF8.GetBytes(first.Body.ToJsonString()), first.Splices));
        var before = await SnapshotAsync();
        var (sent, odd) = Transport(first.Api, bytesSent);
        var reply = await SendAsync(sent);
        Count(first.Api, reply);
        Note($"{first.Api} again under {first.Body[idField]} {(mutation is null ? "reformatted" : mutation.ToString())}{(odd.Count > 0 ? " | " + string.Join(", ", odd) : "")} → {reply.ResultCode}: {Short(reply.ResultMessage)}");
        CheckReply(first.Api, reply, mutation is null ? [] : [mutation with { Refuse = false }], odd);
        if ((reply.ResultCode == "UNKNOWN_CLIENT" && odd.Any(o => o.StartsWith("client id", StringComparison.Ordinal)))
            || odd.Any(o => o.StartsWith("method", StringComparison.Ordinal)))
        {
            // Another client id's request ids are its own; another method reaches no API.
        }
        else if (same)
        {
            reply.Text.Should().Be(Encoding.UTF8.GetString(first.First), "the same body under a used request id gets the first answer, byte for byte (white space and member order do not count)");
        }
        else if (mutation is { What: var what } && (what.Contains("NUL", StringComparison.Ordinal) || what.Contains("surrogate", StringComparison.Ordinal)))
        {
            reply.ResultCode.Should().BeOneOf("PARAM_ILLEGAL", "REPEAT_REQ_INCONSISTENT");
        }
        else
        {
            reply.ResultCode.Should().Be("REPEAT_REQ_INCONSISTENT", "another body under a used request id is refused, valid or not");
        }

        CompareUnchanged(before, await SnapshotAsync(), "a used request id changes nothing");
    }

    private async Task ReplayKeptAsync()
    {
        currentCase = cases + 1;
        foreach (var first in kept.Where(_ => Chance(0.5)))
        {
            var before = await SnapshotAsync();
            var reply = await SendAsync(Sign(first.Api, FuzzMutator.Splice(Encoding.UTF8.GetBytes(first.Body.ToJsonString()), first.Splices)));
            Note($"replay {first.Api} {first.Body[IdFieldOf(first.Api)]} → {reply.ResultCode}");
            reply.Text.Should().Be(Encoding.UTF8.GetString(first.First), "a request answered before gets its first answer, whatever happened since");
            CompareUnchanged(before, await SnapshotAsync(), "a replay changes nothing");
        }
    }

    private static string IdFieldOf(string api) => api switch
    {
        "create" => "subscriptionRequestId",
        "change" => "subscriptionChangeRequestId",
        "update" => "subscriptionUpdateRequestId",
        _ => "refundRequestId",
    };

    private JsonNode Shuffled(JsonNode node) => node switch
    {
        JsonObject o => new JsonObject(o.ToList().OrderBy(_ => random.Next()).Select(p => KeyValuePair.Create(p.Key, p.Value is null ? null : Shuffled(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(i => i is null ? null : Shuffled(i))]),
        _ => node.DeepClone(),
    };

    /// <summary>
    /// The body with every object's members sorted, those set to null left out, and no white space: what "the same
    /// request" means (docs/emulation.md "Idempotency").
    /// </summary>
    private static string Canonical(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        var builder = new StringBuilder();
        Write(document.RootElement);
        return builder.ToString();

        void Write(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    builder.Append('{');
                    foreach (var p in e.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Null).OrderBy(p => p.Name, StringComparer.Ordinal))
                    {
                        builder.Append(JsonSerializer.Serialize(p.Name)).Append(':');
                        Write(p.Value);
                        builder.Append(',');
                    }

                    builder.Append('}');
                    break;
                case JsonValueKind.Array:
                    builder.Append('[');
                    foreach (var i in e.EnumerateArray())
                    {
                        Write(i);
                        builder.Append(',');
                    }

                    builder.Append(']');
                    break;
                case JsonValueKind.String:
                    try
                    {
                        builder.Append(JsonSerializer.Serialize(e.GetString()));
                    }
                    catch (InvalidOperationException)
                    {
                        // Half a surrogate pair: not text, compared as written.
                        builder.Append(e.GetRawText());
                    }

                    break;
                default:
                    builder.Append(e.GetRawText());
                    break;
            }
        }
    }

    // ---- the wire ----

    /// <summary>Valid but odd ways of sending: header spellings, time formats, signature forms, content types, prefixes.</summary>
    private (Sent Sent, List<string> Odd) Transport(string api, byte[] body)
    {
        var odd = new List<string>();
        var path = AntomTestClient.PathOf(api);
        var requestTime = "1764000000000";
        string? contentType = "application/json; charset=UTF-8";
        var chunked = false;
        var names = (Client: "Client-Id", Time: "Request-Time", Signature: "Signature");
        Func<string, string> signature = b64 => $"algorithm=RSA256,keyVersion=1,signature={TestSigner.UrlEncode(b64)}";
        var extra = new List<(string, string)>();
        var clientId = m.Merchant.ClientId;
        var method = "POST";
        if (Chance(0.02))
        {
            method = Pick(["GET", "PUT", "DELETE", "PATCH", "OPTIONS"]);
            odd.Add("method " + method);
        }

        if (Chance(0.35))
        {
            for (var i = random.Next(1, 4); i > 0; i--)
            {
                switch (random.Next(Chance(0.9) ? 8 : 9))
                {
                    case 0:
                        requestTime = Pick(["1764000000", "1764000000123", "1764000000123456", "1764000000123456789", "2026-11-24T05:43:11.5978885Z", "2026-11-24T05:43:45+00:00", "2026-11-24T13:43:45+0800", "2026-11-24T05:43", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00"]);
                        odd.Add("Request-Time " + requestTime);
                        break;
                    case 1:
                        names = Pick([("client-id", "request-time", "signature"), ("CLIENT-ID", "REQUEST-TIME", "SIGNATURE"), ("cLiEnT-iD", "Request-time", "SiGnAtUrE")]);
                        odd.Add("header names " + names.Client);
                        break;
                    case 2:
                        var form = random.Next(5);
                        signature = form switch
                        {
                            0 => b64 => $"algorithm=RSA256, keyVersion=1, signature={TestSigner.UrlEncode(b64)}",
                            1 => b64 => $"algorithm=RSA256,keyVersion=1,signature={TestSigner.UrlEncode(b64, lowerHex: true)}",
                            2 => b64 => $"algorithm=RSA256,signature={TestSigner.UrlEncode(b64)}",
                            3 => b64 => $"signature={TestSigner.UrlEncode(b64)},keyVersion=1,algorithm=rsa256",
                            _ => b64 => $"algorithm=RSA256,keyVersion=1,signature={Uri.EscapeDataString(b64)}",
                        };
                        odd.Add($"signature form {form}");
                        break;
                    case 3:
                        contentType = Pick<string?>([null, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json", "application/json; charset=utf-16", "application/xml", "*/*; q=;;"]);
                        odd.Add($"Content-Type {contentType ?? "none"}");
                        break;
                    case 4:
                        path = AntomTestClient.PathOf(api, sandbox: false);
                        odd.Add("production prefix");
                        break;
                    case 5:
                        // (A bare "?" is no option: the in-memory test host drops it, where Kestrel keeps it.)
                        path += Pick(["?x=1", "?a=%20&b=%C3%A9&c=%2F"]);
                        odd.Add("query string");
                        break;
                    case 6:
                        chunked = true;
                        odd.Add("chunked");
                        break;
                    case 7:
                        extra.Add(Pick<(string, string)>([("Agent-Token", "tok"), ("Accept", "text/html"), ("X-Forwarded-Host", "evil.example"), ("Accept-Charset", "iso-8859-1"), ("Emulator-Effect", "applied")]));
                        odd.Add("extra header " + extra[^1].Item1);
                        break;
                    default:
                        // (Surrounding white space is no option: HTTP drops it on the way, so only an in-memory host sees it.)
                        clientId = Chance(0.5) ? clientId.ToLowerInvariant() : clientId.ToUpperInvariant();
                        odd.Add($"client id '{clientId}'");
                        break;
                }
            }
        }

        var b64 = TestSigner.SignBase64(m.Merchant.PrivateKey, path, clientId, requestTime, body);
        return (new Sent(api, path, body, clientId, requestTime, contentType, chunked,
            [(names.Client, clientId), (names.Time, requestTime), (names.Signature, signature(b64)), .. extra]) { Method = method }, odd);
    }

    private Sent Sign(string api, byte[] body)
    {
        var path = AntomTestClient.PathOf(api);
        var b64 = TestSigner.SignBase64(m.Merchant.PrivateKey, path, m.Merchant.ClientId, "1764000000000", body);
        return new Sent(api, path, body, m.Merchant.ClientId, "1764000000000", "application/json; charset=UTF-8", false,
            [("Client-Id", m.Merchant.ClientId), ("Request-Time", "1764000000000"), ("Signature", $"algorithm=RSA256,keyVersion=1,signature={TestSigner.UrlEncode(b64)}")]);
    }

    private async Task<AntomReply> SendAsync(Sent sent)
    {
        using var message = new HttpRequestMessage(new HttpMethod(sent.Method), sent.Path);
        HttpContent content = sent.Chunked ? new UnsizedContent(sent.Body) : new ByteArrayContent(sent.Body);
        if (sent.ContentType is { } type)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", type);
        }

        message.Content = content;
        foreach (var (name, value) in sent.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        if (sent.Method == "POST" && sent.ClientId == m.Merchant.ClientId)
        {
            Interlocked.Increment(ref journalled);
        }

        using var response = await m.Http.SendAsync(message);
        return await AntomTestClient.ReadAsync(response, sent.Path);
    }

    /// <summary>A body sent without a Content-Length (chunked).</summary>
    private sealed class UnsizedContent(byte[] body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    // ---- checks ----

    private void Count(string api, AntomReply reply)
    {
        var key = $"{api} {(reply.Status == HttpStatusCode.OK && reply.NoAnswer is null ? TryCode(reply) : "HTTP " + (int)reply.Status)}";
        Outcomes[key] = Outcomes.GetValueOrDefault(key) + 1;
    }

    private static string TryCode(AntomReply reply)
    {
        try
        {
            return reply.ResultCode;
        }
        catch (Exception)
        {
            return "(no result)";
        }
    }

    private void CheckReply(string api, AntomReply reply, IReadOnlyList<Mutation> mutations, IReadOnlyList<string> odd)
    {
        reply.Status.Should().Be(HttpStatusCode.OK, $"every answer is HTTP 200: {reply.Text}");
        reply.Headers.Should().ContainKey("response-time");
        reply.Headers.Should().ContainKey("client-id");
        reply.SignatureValid.Should().BeTrue($"every answer is signed: {reply.Text}");
        reply.Headers.GetValueOrDefault("Content-Type").Should().StartWith("application/json");
        var result = reply.Json["result"];
        result.Should().BeOfType<JsonObject>($"the answer is Antom's envelope: {reply.Text}");
        var (code, status, message) = ((string?)result!["resultCode"], (string?)result["resultStatus"], (string?)result["resultMessage"]);
        code.Should().NotBeNullOrEmpty();
        message.Should().NotBeNull();
        catalogue[api].Should().ContainKey(code!, $"{code} is a result code {api} can return (GET /_emulator/v1/result-codes)");
        status.Should().Be(catalogue[api][code!], $"{code} of {api} has the catalogue's status");
        status.Should().NotBe("U", $"nothing made {api} unknown (no fault was set): {reply.Text}");
        if (odd.Count > 0 && !odd.Any(o => o.StartsWith("client id", StringComparison.Ordinal) || o.StartsWith("method", StringComparison.Ordinal)))
        {
            new[] { "INVALID_SIGNATURE", "KEY_NOT_FOUND", "UNKNOWN_CLIENT" }.Should().NotContain(code, $"a valid but odd request ({string.Join(", ", odd)}) is authenticated");
            message.Should().NotStartWith("header ", $"a valid but odd request ({string.Join(", ", odd)}) has valid headers");
        }

        if (odd.Any(o => o.StartsWith("client id", StringComparison.Ordinal)) && code == "UNKNOWN_CLIENT")
        {
            return;
        }

        if (odd.Any(o => o.StartsWith("method", StringComparison.Ordinal)))
        {
            code.Should().Be("METHOD_NOT_SUPPORTED", "Antom APIs take POST only");
            return;
        }

        if (code == "REPEAT_REQ_INCONSISTENT" && api is "create" or "change" or "update" or "refund" && mutations.Any(mu => mu.Path == IdFieldOf(api)))
        {
            // The request id was changed to a value (white space, a constant) a case used before: it is taken.
            return;
        }

        if (mutations.Any(mu => mu.Refuse))
        {
            code.Should().Be("PARAM_ILLEGAL", $"a mutation breaks a field rule ({string.Join("; ", mutations.Where(mu => mu.Refuse))}): {message}");
        }

        if (code == "PARAM_ILLEGAL")
        {
            var match = ParamIllegalMessage().Match(message!);
            match.Success.Should().BeTrue($"PARAM_ILLEGAL says the field and the rule: '{message}'");
            var field = match.Groups["field"].Value;
            mutations.Should().Contain(mu => Related(api, field, mu.Path),
                $"PARAM_ILLEGAL names a field the case changed ({string.Join("; ", mutations)}), not '{field}': {message}");
        }

        foreach (var exact in mutations.Where(mu => mu.NotForLength))
        {
            message.Should().NotContain($"{exact.Path}: must be at most", "a value at the length limit is within it");
        }
    }

    /// <summary>Whether a refusal of <paramref name="field"/> may come from a change to <paramref name="changed"/>.</summary>
    private static bool Related(string api, string field, string changed)
    {
        if (field == changed || field.StartsWith(changed + ".", StringComparison.Ordinal) || field.StartsWith(changed + "[", StringComparison.Ordinal)
            || changed.StartsWith(field + ".", StringComparison.Ordinal) || changed.StartsWith(field + "[", StringComparison.Ordinal))
        {
            return true;
        }

        var (fieldParent, changedParent) = (FuzzMutator.ParentOf(field), FuzzMutator.ParentOf(changed));
        if (fieldParent.Length > 0 && (fieldParent == changedParent || Top(fieldParent) == Top(changedParent) && Top(field) == "trials"))
        {
            return true;
        }

        string[][] groups =
        [
            ["subscriptionStartTime", "subscriptionEndTime", "subscriptionExpiryTime", "nextSubscriptionDate", "periodRule", "trials", "startTimeFrom", "startTimeTo"],
            ["paymentAmount", "orderInfo", "trials", "paymentAmountDifference", "prorationSettings"],
            ["subscriptionId", "subscriptionRequestId"],
            ["refundId", "refundRequestId"],
        ];
        return groups.Any(g => g.Contains(Top(field)) && g.Contains(Top(changed)))
            || (field == "body" && api == "update")
            || (field == "body" && changed == "body");
    }

    /// <summary>Whether <paramref name="inner"/> is a member inside <paramref name="outer"/>.</summary>
    private static bool Inside(string inner, string outer) =>
        inner.StartsWith(outer + ".", StringComparison.Ordinal) || inner.StartsWith(outer + "[", StringComparison.Ordinal);

    private static string Top(string path) => path.Split('.', '[')[0];

    private void CheckEffect(string api, JsonObject body, IReadOnlyList<Mutation> mutations, AntomReply reply, Snapshot before, Snapshot after, int copies = 1)
    {
        var status = reply.ResultStatus;
        // A member written twice, or one whose bytes were spliced in, is not read back as this body holds it.
        var ambiguous = mutations.Any(mu => mu.What.StartsWith("a duplicate member", StringComparison.Ordinal)) || body.ToJsonString().Contains("ZQX", StringComparison.Ordinal);
        if (status == "F" || api.StartsWith("inquir", StringComparison.Ordinal))
        {
            CompareUnchanged(before, after, $"{api} answered {reply.ResultCode} ({status})");
            var calls = after.ApiCalls.Where(c => c.Value.Count != before.ApiCalls.GetValueOrDefault(c.Key)?.Count).ToList();
            calls.Should().HaveCountLessThanOrEqualTo(1, "a refused call is in the timeline of one subscription at most");
            foreach (var (id, lines) in calls)
            {
                (lines.Count - before.ApiCalls[id].Count).Should().BeInRange(1, copies, "a refused call has one line in its subscription's timeline");
                lines[^1].Should().Contain(reply.ResultCode, "the line says how the call was answered");
                api.Should().NotStartWith("inquir", "inquiries are not in the timeline");
                if (!ambiguous)
                {
                    var view = before.Views[id];
                    var named = api switch
                    {
                        "create" => (string)view["subscriptionRequestId"]! == Scalar(body["subscriptionRequestId"]),
                        "change" or "update" => id == Scalar(body["subscriptionId"]),
                        "cancel" => id == Scalar(body["subscriptionId"]) || (string)view["subscriptionRequestId"]! == Scalar(body["subscriptionRequestId"]),
                        _ => view["phases"]!.AsArray().Any(p => (string)p!["paymentId"]! == Scalar(body["paymentId"])),
                    };
                    named.Should().BeTrue($"the refused call's line goes to the subscription its {api} names, not {id}: {lines[^1]}");
                }
            }

            if (status == "S")
            {
                CheckInquiry(api, body, reply.Json, after, ambiguous);
            }

            return;
        }

        var changed = before.Normal.Keys.Union(after.Normal.Keys).Where(id => before.Normal.GetValueOrDefault(id) != after.Normal.GetValueOrDefault(id)).ToList();
        var newNotices = after.Ledger.Except(before.Ledger).ToList();
        after.Ledger.Should().Contain(before.Ledger, "notifications are never taken back");
        switch (api)
        {
            case "create":
                var made = after.Views.Keys.Except(before.Views.Keys).ToList();
                made.Should().ContainSingle("a create answered SUCCESS made one subscription");
                changed.Should().BeEquivalentTo(made, "a create changes no other subscription");
                var view = after.Views[made[0]];
                ((string)view["status"]!).Should().Be("AWAITING_AUTHORIZATION");
                newNotices.Should().BeEmpty("nothing is notified before the buyer decides");
                ((string?)reply.Json["normalUrl"]).Should().StartWith("http");
                authorizationPages.Add(new Uri((string)reply.Json["normalUrl"]!).PathAndQuery);
                if (!ambiguous)
                {
                    ((string)view["subscriptionRequestId"]!).Should().Be(Scalar(body["subscriptionRequestId"]));
                    ((string)view["description"]!).Should().Be(Scalar(body["subscriptionDescription"]));
                    Value(view["paymentAmount"]).Should().Be(long.Parse(Scalar(body["paymentAmount"]!["value"])!, CultureInfo.InvariantCulture));
                }

                break;
            case "change" or "update":
                var id = Scalar(body["subscriptionId"]);
                before.Views.Should().ContainKey(id!, $"{api} answered SUCCESS for a subscription that exists");
                ((string)before.Views[id!]["status"]!).Should().Be("ACTIVE", $"only an ACTIVE subscription may be changed");
                changed.Should().BeEquivalentTo([id], $"{api} changes its subscription and no other");
                newNotices.Should().OnlyContain(n => n.SubscriptionId == id);
                newNotices.Count(n => n.Line.Contains(api == "change" ? "\"CHANGE\"" : "\"UPDATE\"", StringComparison.Ordinal)).Should().Be(1, $"one notifySubscription {api.ToUpperInvariant()}");
                if (!ambiguous && body["paymentAmount"] is JsonObject amount)
                {
                    Value(after.Views[id!]["paymentAmount"]).Should().Be(long.Parse(Scalar(amount["value"])!, CultureInfo.InvariantCulture), "the new amount is the plan's");
                }

                if (!ambiguous && Scalar(body["subscriptionDescription"]) is { Length: > 0 } description && !description.Contains("ZQX", StringComparison.Ordinal))
                {
                    ((string)after.Views[id!]["description"]!).Should().Be(description);
                }

                if (!ambiguous && body["periodRule"] is JsonObject rule)
                {
                    ((string)after.Views[id!]["periodRule"]!["periodType"]!).Should().Be(Scalar(rule["periodType"]), "the new period rule is the plan's");
                    ((int)after.Views[id!]["periodRule"]!["periodCount"]!).Should().Be(int.Parse(Scalar(rule["periodCount"])!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
                }

                if (!ambiguous && Scalar(body["subscriptionEndTime"]) is { Length: > 0 } endText)
                {
                    after.Views[id!]["subscriptionEndTime"].Should().NotBeNull("the new end time is the plan's");
                    Time(after.Views[id!]["subscriptionEndTime"]).Should().Be(DateTimeOffset.Parse(endText, CultureInfo.InvariantCulture), "the new end time is the plan's");
                }

                break;
            case "cancel":
                var target = before.Views.Values.Where(v => (string)v["subscriptionId"]! == Scalar(body["subscriptionId"]) || (string)v["subscriptionRequestId"]! == Scalar(body["subscriptionRequestId"])).ToList();
                target.Should().NotBeEmpty("cancel answered SUCCESS for a subscription that exists");
                changed.Should().BeSubsetOf(target.Select(t => (string)t["subscriptionId"]!), "a cancel changes its subscription and no other");
                newNotices.Should().HaveCountLessThanOrEqualTo(1);
                var type = Scalar(body["cancellationType"]);
                foreach (var t in target.Where(t => changed.Contains((string)t["subscriptionId"]!)))
                {
                    var (from, to) = ((string)t["status"]!, (string)after.Views[(string)t["subscriptionId"]!]["status"]!);
                    to.Should().Be(from == "ACTIVE" && type == "CANCEL" ? "CANCELLED" : from == "CANCELLED" && type == "CANCEL" ? "CANCELLED" : "TERMINATED", $"{type} of a {from} subscription");
                }

                break;
            case "refund":
                var refundId = (string?)reply.Json["refundId"];
                refundId.Should().NotBeNullOrEmpty("a refund answered SUCCESS has its refundId");
                changed.Should().ContainSingle("a refund changes the subscription of its payment and no other");
                newNotices.Should().BeEmpty("no notifyRefund is sent");
                var refund = after.Views[changed[0]]["refunds"]!.AsArray().Should().ContainSingle(r => (string)r!["refundId"]! == refundId).Subject!;
                ((string)refund["paymentId"]!).Should().Be(Scalar(body["paymentId"]));
                if (!ambiguous)
                {
                    Value(refund["amount"]).Should().Be(long.Parse(Scalar(body["refundAmount"]!["value"])!, CultureInfo.InvariantCulture));
                }

                break;
        }
    }

    /// <summary>What an inquiry answered agrees with the control API, and with the filters it was given.</summary>
    private static void CheckInquiry(string api, JsonObject body, JsonObject answer, Snapshot state, bool ambiguous)
    {
        switch (api)
        {
            case "inquireSubscription":
                var subscription = answer["subscription"]!;
                var id = (string)subscription["subscriptionId"]!;
                state.Views.Should().ContainKey(id);
                if (!ambiguous)
                {
                    id.Should().Be(Scalar(body["subscriptionId"]), "the subscription asked for");
                }

                ((string)subscription["status"]!).Should().Be((string)state.Views[id]["status"]!, "inquireSubscription agrees with the control API");
                Value(subscription["paymentAmount"]).Should().Be(Value(state.Views[id]["paymentAmount"]));
                break;
            case "inquireSubscriptionPayment":
                var payments = answer["payments"]!.AsArray();
                var paginator = answer["paginator"]!;
                if (!ambiguous)
                {
                    // Exactly the payments that ended, oldest phase first, filtered, the page asked for (docs/emulation.md).
                    var statusFilter = body["paymentStatuses"] is JsonArray { Count: > 0 } wanted ? wanted.Select(Scalar).ToHashSet() : null;
                    var ended = state.Views.GetValueOrDefault(Scalar(body["subscriptionId"]) ?? "")?["phases"]!.AsArray()
                        .Where(p => (string)p!["resultStatus"]! != "U")
                        .Select(p => (Id: (string)p!["paymentId"]!, Status: (string)p["resultStatus"]! == "S" ? "SUCCESS" : "FAIL"))
                        .Where(p => statusFilter?.Contains(p.Status) ?? true).ToList() ?? [];
                    var page = PageNumber(body["currentPage"]) ?? 1;
                    var size = PageNumber(body["pageSize"]) ?? 10;
                    payments.Select(p => (string)p!["paymentId"]!).Should().Equal(ended.Skip((int)Math.Min((page - 1L) * size, int.MaxValue)).Take(size).Select(p => p.Id), "the page of the payments that ended");
                    ((int)paginator["totalCount"]!).Should().Be(ended.Count);
                    ((int)paginator["currentPage"]!, (int)paginator["pageSize"]!, (int)paginator["totalPage"]!).Should().Be((page, size, (ended.Count + size - 1) / size));
                }

                payments.Count.Should().BeLessThanOrEqualTo(int.Parse(Scalar(paginator["pageSize"])!, CultureInfo.InvariantCulture));
                var phases = state.Views.Values.SelectMany(v => v["phases"]!.AsArray()).ToDictionary(p => (string)p!["paymentId"]!);
                foreach (var payment in payments)
                {
                    var phase = phases.Should().ContainKey((string)payment!["paymentId"]!).WhoseValue!;
                    ((string)payment["status"]!).Should().Be((string)phase["resultStatus"]! == "S" ? "SUCCESS" : "FAIL");
                    Value(payment["paymentAmount"]).Should().Be(Value(phase["amount"]));
                    if (!ambiguous && body["paymentStatuses"] is JsonArray { Count: > 0 } statuses)
                    {
                        statuses.Select(Scalar).Should().Contain((string)payment["status"]!, "the filter holds");
                    }
                }

                break;
            case "inquireSubscriptionList":
                var listed = answer["subscriptions"]!.AsArray();
                listed.Count.Should().BeLessThanOrEqualTo(int.Parse(Scalar(answer["paginator"]!["pageSize"])!, CultureInfo.InvariantCulture));
                foreach (var item in listed)
                {
                    var view = state.Views.Should().ContainKey((string)item!["subscriptionId"]!).WhoseValue;
                    ((string)item["status"]!).Should().Be((string)view["status"]!).And.NotBe("AWAITING_AUTHORIZATION");
                    if (!ambiguous && body["statuses"] is JsonArray { Count: > 0 } statuses)
                    {
                        statuses.Select(Scalar).Should().Contain((string)item["status"]!, "the filter holds");
                    }

                    if (!ambiguous && body["currencies"] is JsonArray { Count: > 0 } currencies)
                    {
                        currencies.Select(Scalar).Should().Contain((string)item["paymentAmount"]!["currency"]!, "the filter holds");
                    }
                }

                break;
            case "inquiryRefund":
                var refund = state.Views.Values.SelectMany(v => v["refunds"]!.AsArray())
                    .Should().ContainSingle(r => (string)r!["refundId"]! == (string)answer["refundId"]!, "the refund answered is the merchant's").Subject!;
                ((string)refund["refundRequestId"]!).Should().Be((string)answer["refundRequestId"]!);
                Value(refund["amount"]).Should().Be(Value(answer["refundAmount"]));
                if (!ambiguous && Scalar(body["refundId"]) is { Length: > 0 } refundId)
                {
                    refundId.Should().Be((string)answer["refundId"]!, "given both ids, refundId decides");
                }
                else if (!ambiguous && Scalar(body["refundRequestId"]) is { Length: > 0 } refundRequestId)
                {
                    refundRequestId.Should().Be((string)answer["refundRequestId"]!);
                }

                break;
        }
    }

    private static int? PageNumber(JsonNode? node) =>
        Scalar(node) is { Length: > 0 } text ? int.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : null;

    /// <summary>Everything the control API shows, but the refused call's own timeline line (and deliveries, which run by themselves).</summary>
    private static void CompareUnchanged(Snapshot before, Snapshot after, string because)
    {
        after.Normal.Keys.Should().BeEquivalentTo(before.Normal.Keys, because);
        foreach (var (id, normal) in before.Normal)
        {
            after.Normal[id].Should().Be(normal, $"{because}: subscription {id} is as it was");
        }

        after.Ledger.Should().BeEquivalentTo(before.Ledger, $"{because}: no notification");
    }

    /// <summary>
    /// What people and tools read of what the cases left: the API-call journal (every authenticated call), the dashboard's
    /// pages and the buyer's authorization pages (markup in a field is text there), and every notification received.
    /// </summary>
    private async Task CheckPagesAsync()
    {
        currentCase = cases + 2;
        var journal = await m.Http.GetAsync($"{m.Control}/api-calls");
        journal.StatusCode.Should().Be(HttpStatusCode.OK);
        JsonNode.Parse(await journal.Content.ReadAsStringAsync())!.AsArray().Should().HaveCount(journalled, "every authenticated call is in the journal");
        var pages = new List<string> { $"/_emulator/ui/merchants/{m.Merchant.ClientId}" };
        pages.AddRange(authorizationPages);
        var views = await ViewsAsync();
        pages.AddRange(views.Select(v => $"/_emulator/ui/merchants/{m.Merchant.ClientId}/subscriptions/{v["subscriptionId"]}"));
        foreach (var page in pages)
        {
            var response = await m.Http.GetAsync(page);
            var html = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.OK, $"{page} shows: {Short(html)}");
            Markup().IsMatch(html).Should().BeFalse($"{page} shows a field's markup as text");
        }

        m.Receiver.Received.Where(r => !r.SignatureValid).Select(r => r.Path).Should().BeEmpty("every notification is signed by Antom's key");
    }

    private void CheckNoErrors()
    {
        var errors = factory.Errors.GetSnapshot();
        errors.Skip(errorsBefore).Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception}").Should().BeEmpty("the emulator logs no errors");
    }

    private async Task<List<JsonObject>> ViewsAsync() =>
        [.. (await m.Http.GetFromJsonAsync<JsonArray>($"{m.Control}/subscriptions"))!.Select(v => v!.AsObject())];

    private async Task<Snapshot> SnapshotAsync()
    {
        var views = (await ViewsAsync()).ToDictionary(v => (string)v["subscriptionId"]!);
        var normal = new Dictionary<string, string>();
        var calls = new Dictionary<string, List<string>>();
        foreach (var (id, view) in views)
        {
            var copy = (JsonObject)view.DeepClone();
            var timeline = copy["timeline"]!.AsArray();
            calls[id] = [.. timeline.Where(e => (string)e!["type"]! == "apiCall").Select(e => (string)e!["detail"]!)];
            copy["timeline"] = new JsonArray([.. timeline.Where(e => (string)e!["type"]! is not ("apiCall" or "notification")).Select(e => e!.DeepClone())]);
            normal[id] = copy.ToJsonString();
        }

        var ledger = (await m.NotificationsAsync()).Select(n => ((string)n!["subscriptionId"]!, $"{n["notificationId"]} {n["kind"]} {n["body"]}")).ToList();
        return new Snapshot(views, normal, calls, ledger);
    }

    // ---- reading ----

    private static long Value(JsonNode? amount) => amount is null ? 0 : long.Parse(Scalar(amount["value"])!, CultureInfo.InvariantCulture);

    private static DateTimeOffset Time(JsonNode? node) => DateTimeOffset.Parse((string)node!, CultureInfo.InvariantCulture);

    /// <summary>A scalar as the emulator reads text: a string as it is, a number or boolean as written.</summary>
    private static string? Scalar(JsonNode? node) => node is JsonValue value
        ? value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString()
        : null;

    private static string Describe(JsonObject body)
    {
        var text = body.ToJsonString();
        return text.Length <= 300 ? text : text[..300] + $"…({text.Length})";
    }

    private static string Short(string text) => text.Length <= 240 ? text : text[..240] + "…";

    [GeneratedRegex(@"<script>alert|<img src=x|<svg onload")]
    private static partial Regex Markup();

    [GeneratedRegex(@"^(?<field>header [A-Za-z-]+|body|[A-Za-z_][A-Za-z0-9_\[\]. ()']*?): \S")]
    private static partial Regex ParamIllegalMessage();
}
