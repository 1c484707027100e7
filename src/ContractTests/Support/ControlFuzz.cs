using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Mutation = ContractTests.Support.FuzzMutator.Mutation;

namespace ContractTests.Support;

/// <summary>
/// A seeded fuzz of the control API under <c>/_emulator/v1</c> and of the dashboard's forms under <c>/_emulator/ui</c>,
/// in the spirit of <see cref="WireFuzz"/>. One merchant per seed holds subscriptions in several states (active with
/// payments, awaiting authorization, terminated, a refund left processing, a renewal under way), notifications and
/// faults; each case takes a valid call (merchant, clock, buyer, subscriptions, faults, scenarios, notifications,
/// settles, reports, api-calls, a dashboard form), mutates its body field by field (<see cref="FuzzMutator"/> over
/// <see cref="FuzzFields"/>' control bodies), its bytes, content type, path segments, query string or method, and checks
/// after it: never a 5xx; a 4xx of the control API is problem details whose <c>detail</c> says what to fix, one of the
/// dashboard an HTML page without a stack trace; a refused call changes nothing (merchant, clock, faults, subscriptions,
/// notifications, api-calls); an accepted call's effect is what it answered; no error logged; and at the end the
/// emulated API still answers a signed call. A failure names the seed and every case sent.
/// </summary>
public sealed class ControlFuzz(EmulatorFactory factory, int seed, int cases) : ISeededFuzz
{
    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

    private readonly Random random = new(seed);
    private readonly List<string> log = [];
    private readonly List<string> scratch = [];
    private MerchantHarness m = null!;

    // Sends the fuzz's calls without following redirects: a form that was taken answers 302, which is checked.
    private HttpClient http = null!;
    private JsonObject merchantBody = null!;
    private int errorsBefore;
    private int currentCase;
    private int ids;

    // What the merchant has, to aim calls at.
    private readonly List<string> subscriptionIds = [];
    private readonly List<string> requestIds = [];
    private readonly List<string> paymentIds = [];
    private readonly List<string> refundIds = [];
    private readonly List<string> notificationIds = [];
    private readonly List<string> scenarioNames = [];

    /// <summary>How many times each kind of call answered each status.</summary>
    public SortedDictionary<string, int> Outcomes { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Log => log;

    private string Control => m.Control;

    private string Ui => $"/_emulator/ui/merchants/{m.Merchant.ClientId}";

    /// <summary>One call to send: what a case built, before and after its mutation.</summary>
    private sealed class Call
    {
        public required string Op { get; init; }

        public string Method { get; set; } = "GET";

        public required string Path { get; set; }

        public byte[]? Body { get; set; }

        public string? ContentType { get; set; }

        public JsonObject? Json { get; set; }

        public bool Form { get; init; }

        /// <summary>The body's API in <see cref="FuzzFields"/>, when it has one.</summary>
        public string? Api { get; set; }

        public List<string> Changes { get; } = [];

        public override string ToString() =>
            $"{Op}: {Method} {Shorten(Path)}{(Body is null ? "" : $" [{ContentType ?? "no content type"}] {Shorten(Encoding.UTF8.GetString(Body))}")}{(Changes.Count > 0 ? " <- " + string.Join("; ", Changes) : "")}";
    }

    private sealed record Answer(HttpStatusCode Status, string? MediaType, string Text, HttpResponseMessage Response)
    {
        public int Code => (int)Status;

        public JsonNode? Json => Text.Length > 0 && MediaType is not null && MediaType.Contains("json", StringComparison.Ordinal) ? JsonNode.Parse(Text) : null;
    }

    private sealed record Snapshot(string Merchant, string Clock, string Faults, string Subscriptions, string Notifications, string ApiCalls)
    {
        public IEnumerable<string> Differences(Snapshot other)
        {
            if (Merchant != other.Merchant)
            {
                yield return $"merchant {Shorten(Merchant)} -> {Shorten(other.Merchant)}";
            }

            if (Clock != other.Clock)
            {
                yield return $"clock {Clock} -> {other.Clock}";
            }

            if (Faults != other.Faults)
            {
                yield return $"faults {Shorten(Faults)} -> {Shorten(other.Faults)}";
            }

            if (Subscriptions != other.Subscriptions)
            {
                yield return "subscriptions changed";
            }

            if (Notifications != other.Notifications)
            {
                yield return "notifications changed";
            }

            if (ApiCalls != other.ApiCalls)
            {
                yield return "api-calls changed";
            }
        }
    }

    public async Task RunAsync()
    {
        var start = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(random.Next(0, 730)).AddMinutes(random.Next(0, 24 * 60));
        m = await MerchantHarness.StartAsync(factory.CreateClient(), start);
        await using var harness = m;
        http = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        errorsBefore = factory.Errors.GetSnapshot().Count;
        log.Add($"merchant {m.Merchant.ClientId}, clock frozen at {start:O}");
        try
        {
            await SetUpAsync(start);
            for (currentCase = 1; currentCase <= cases; currentCase++)
            {
                await CaseAsync();
                CheckNoErrors();
            }

            currentCase = cases + 1;
            await FinallyAsync();
            CheckNoErrors();
        }
        catch (Exception ex)
        {
            throw new Xunit.Sdk.XunitException(
                $"control fuzz seed {seed} failed at case {currentCase} (replay: FUZZ_FIRST_SEED={seed} FUZZ_SEEDS=1): {ex.Message}\n--- cases ---\n{string.Join("\n", log)}\n--- at ---\n{ex.StackTrace}");
        }
        finally
        {
            await m.Http.DeleteAsync(Control);
            foreach (var id in scratch)
            {
                await m.Http.DeleteAsync($"/_emulator/v1/merchants/{Uri.EscapeDataString(id)}");
            }
        }
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private bool Chance(double p) => random.NextDouble() < p;

    private string NewId(string prefix) => $"{prefix}{seed}-{++ids}-{random.Next(1_000_000).ToString(CultureInfo.InvariantCulture)}";

    private void Note(string line) => log.Add($"{currentCase,3} {line}");

    private static string Shorten(string text) => text.Length > 300 ? $"{text[..300]}…({text.Length} chars)" : text;

    /// <summary><paramref name="t"/> moved by <paramref name="move"/>, or left where it is when that would leave the calendar (the fuzz moves clocks to its ends).</summary>
    private static DateTimeOffset Shift(DateTimeOffset t, Func<DateTimeOffset, DateTimeOffset> move)
    {
        try
        {
            return move(t);
        }
        catch (ArgumentOutOfRangeException)
        {
            return t;
        }
    }

    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);

    // ---- setting up ----

    private async Task SetUpAsync(DateTimeOffset start)
    {
        merchantBody = new JsonObject
        {
            ["publicKey"] = Convert.ToBase64String(TestMerchant.SharedKey.ExportSubjectPublicKeyInfo()),
            ["subscriptionNotificationUrl"] = m.Receiver.SubscriptionUrl,
            ["paymentNotificationUrl"] = m.Receiver.PaymentUrl,
        };

        // A renewal left under way (phase 2 of one subscription) and a refund left processing, for the settles.
        var underWay = NewId("uw");
        await ExpectAsync(await m.Http.PostAsJsonAsync($"{Control}/faults", new { target = "deduction", resultCode = "PAYMENT_IN_PROCESS", effect = "processing", match = new { subscriptionRequestId = underWay, phaseNo = 2 } }), HttpStatusCode.Created);

        // Bounded plans: an advance to the end of the calendar runs a few periods, not thousands.
        JsonObject Plan(string requestId)
        {
            var body = MerchantHarness.Body(start);
            body["subscriptionRequestId"] = requestId;
            body["subscriptionEndTime"] = Iso(start.AddMonths(random.Next(3, 7)));
            return body;
        }

        var active = NewId("act");
        await m.CreateAndApproveAsync(Plan(active));
        await m.CreateAndApproveAsync(Plan(underWay));
        var declined = NewId("dec");
        await m.CreateAsync(Plan(declined));
        await ExpectAsync(await m.Http.PostAsync($"{Control}/subscription-requests/{declined}/decline", null), HttpStatusCode.OK);
        await m.CreateAsync(Plan(NewId("wait")));
        await ExpectAsync(await m.Http.PostAsJsonAsync($"{Control}/clock/advance", new { by = "P1M" }), HttpStatusCode.OK);

        var views = (await m.Http.GetFromJsonAsync<JsonArray>($"{Control}/subscriptions"))!;
        var paid = views.SelectMany(v => v!["phases"]!.AsArray()).First(p => (string?)p!["resultStatus"] == "S")!;
        await ExpectAsync(await m.Http.PostAsJsonAsync($"{Control}/faults", new { target = "refund", resultCode = "REFUND_IN_PROCESS", effect = "processing" }), HttpStatusCode.Created);
        var refund = await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund((string)paid["paymentId"]!, "100"));
        refund.ResultCode.Should().Be("REFUND_IN_PROCESS", refund.Text);
        await ExpectAsync(await m.Http.DeleteAsync($"{Control}/faults"), HttpStatusCode.NoContent);
        await RefreshIdsAsync();
        foreach (var s in (await m.Http.GetFromJsonAsync<JsonArray>("/_emulator/v1/scenarios"))!)
        {
            scenarioNames.Add((string)s!["name"]!);
        }

        log.Add($"set up: {string.Join(", ", views.Select(v => $"{v!["subscriptionRequestId"]} {v["status"]}"))}; {paymentIds.Count} payments, {refundIds.Count} refunds, {notificationIds.Count} notifications");
    }

    private static async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode status) =>
        response.StatusCode.Should().Be(status, await response.Content.ReadAsStringAsync());

    private async Task RefreshIdsAsync()
    {
        var views = (await m.Http.GetFromJsonAsync<JsonArray>($"{Control}/subscriptions"))!;
        Replace(subscriptionIds, views.Select(v => (string?)v!["subscriptionId"]));
        Replace(requestIds, views.Select(v => (string?)v!["subscriptionRequestId"]));
        Replace(paymentIds, views.SelectMany(v => v!["phases"]!.AsArray()).Select(p => (string?)p!["paymentId"]));
        Replace(refundIds, views.SelectMany(v => v!["refunds"]?.AsArray() ?? []).Select(r => (string?)r!["refundId"]));
        Replace(notificationIds, (await m.Http.GetFromJsonAsync<JsonArray>($"{Control}/notifications"))!.Select(n => (string?)n!["notificationId"]));

        static void Replace(List<string> list, IEnumerable<string?> values)
        {
            list.Clear();
            list.AddRange(values.OfType<string>().Distinct());
        }
    }

    // ---- the cases ----

    private async Task CaseAsync()
    {
        var weights = new (int Weight, Func<Task> Run)[]
        {
            (6, MerchantCaseAsync),
            (10, ClockCaseAsync),
            (5, BuyerCaseAsync),
            (5, SubscriptionsCaseAsync),
            (10, FaultCaseAsync),
            (3, ScenarioCaseAsync),
            (4, NotificationsCaseAsync),
            (5, SettleCaseAsync),
            (5, ReportCaseAsync),
            (1, () => SendAsync(new Call { Op = "api-calls", Path = $"{Control}/api-calls" }, "control")),
            (12, DashboardCaseAsync),
            (4, MethodCaseAsync),
        };
        var roll = random.Next(weights.Sum(w => w.Weight));
        foreach (var (weight, run) in weights)
        {
            if ((roll -= weight) < 0)
            {
                await run();
                return;
            }
        }
    }

    /// <summary>A path segment: usually the one given, else an unknown or odd one.</summary>
    private string Segment(string? known, Call? call = null)
    {
        if (known is not null && Chance(0.7))
        {
            return Uri.EscapeDataString(known);
        }

        var odd = Pick<string>(
        [
            "unknown-" + random.Next(1000).ToString(CultureInfo.InvariantCulture), "%2F", "a%2Fb", "%2E%2E%2E", "a%2e", "..%2F..%2Fhealth", "%C3%A9t%C3%A9",
            "%E2%80%AE%F0%9F%98%80", new string('x', random.Next(2) == 0 ? 300 : 5000), "%25", "%25252F", "a%20b", "%FF%FE", "~", "%3Fa%3D1", "%23frag",
            "null", "0", "-1", "%0D%0Aheader", "%22%3E%3Cscript%3E",

            // No %00: the test server cannot carry it (Kestrel refuses such a request line itself, with a 400). No dot
            // segment (. or .., escaped or not): the client and the server resolve it before routing, to another route.
        ]);
        call?.Changes.Add($"path segment {Shorten(odd)}");
        return odd;
    }

    private string? Known(List<string> list) => list.Count > 0 ? Pick(list) : null;

    private async Task MerchantCaseAsync()
    {
        var roll = random.Next(10);
        if (roll < 5)
        {
            // A PUT over the merchant itself: its key, URLs, clock and settlement mutated.
            var body = (JsonObject)merchantBody.DeepClone();
            if (Chance(0.5))
            {
                body["settlement"] = new JsonObject
                {
                    ["cycleDays"] = random.Next(0, 31),
                    ["feeRate"] = Pick(["0", "0.029", "0.5", "1"]),
                    ["quotes"] = new JsonObject { ["PHP/USD"] = "0.0171" },
                };
            }

            if (Chance(0.3))
            {
                body["clock"] = new JsonObject { ["frozenAt"] = Iso(await m.NowAsync()) };
            }

            if (Chance(0.3))
            {
                body["keyVersion"] = "1";
            }

            var call = new Call { Op = "merchant.put", Method = "PUT", Path = Control };
            await SendJsonAsync(call, "control.merchant", body, await m.NowAsync());
            return;
        }

        if (roll < 7)
        {
            // A scratch merchant: made, then read and deleted under odd ids.
            var id = Chance(0.5) ? NewId("SANDBOX_S") : Segment(null);
            var call = new Call { Op = "merchant.put.scratch", Method = "PUT", Path = $"/_emulator/v1/merchants/{id}" };
            var answer = await SendJsonAsync(call, "control.merchant", (JsonObject)merchantBody.DeepClone(), await m.NowAsync());
            if (answer is { Code: 200 })
            {
                var clientId = (string)answer.Json!["clientId"]!;
                scratch.Add(clientId);
                var delete = new Call { Op = "merchant.delete.scratch", Method = "DELETE", Path = $"/_emulator/v1/merchants/{Uri.EscapeDataString(clientId)}" };
                if ((await SendAsync(delete, "control")).Code == 204)
                {
                    scratch.Remove(clientId);
                    var gone = await m.Http.GetAsync(delete.Path);
                    gone.StatusCode.Should().Be(HttpStatusCode.NotFound, $"{clientId} was deleted");
                }
            }

            return;
        }

        var get = new Call { Op = "merchant.get", Path = $"/_emulator/v1/merchants/{Segment(m.Merchant.ClientId)}" };
        if (Chance(0.3) && !get.Path.EndsWith(m.Merchant.ClientId, StringComparison.Ordinal))
        {
            get.Method = "DELETE";
        }

        await SendAsync(get, "control");
    }

    private async Task ClockCaseAsync()
    {
        var now = await m.NowAsync();
        switch (random.Next(5))
        {
            case 0:
                await SendAsync(new Call { Op = "clock.get", Path = $"{Control}/clock" }, "control");
                break;
            case 1:
                var freeze = new JsonObject();
                if (Chance(0.7))
                {
                    freeze["at"] = Iso(Shift(now, t => t.AddMinutes(random.Next(-600, 6000))));
                }

                await SendJsonAsync(new Call { Op = "clock.freeze", Method = "POST", Path = $"{Control}/clock/freeze" }, "control.freeze", freeze, now);
                break;
            case 2:
                var resume = new JsonObject();
                if (Chance(0.7))
                {
                    resume["rate"] = Pick([1, 60, 14400, 1_000_000]);
                }

                await SendJsonAsync(new Call { Op = "clock.resume", Method = "POST", Path = $"{Control}/clock/resume" }, "control.resume", resume, now);
                break;
            default:
                var advance = new JsonObject();
                switch (random.Next(5))
                {
                    case 0:
                        advance["to"] = Iso(Shift(now, t => t.AddHours(random.Next(0, 24 * 40))));
                        break;
                    case 1:
                        advance["by"] = "P1D";
                        advance["to"] = Iso(Shift(now, t => t.AddDays(1)));
                        break;
                    case 2:
                        break;
                    default:
                        advance["by"] = Pick(["PT1H", "P1D", "P1W", "P1M", "PT90M", "P3D"]);
                        break;
                }

                await SendJsonAsync(new Call { Op = "clock.advance", Method = "POST", Path = $"{Control}/clock/advance" }, "control.advance", advance, now);
                break;
        }
    }

    private async Task BuyerCaseAsync()
    {
        string? requestId = Known(requestIds);
        // A transport fault of create (one the fuzz added) would break or hold the signed call below.
        var createBroken = (await m.Http.GetFromJsonAsync<JsonArray>($"{Control}/faults"))!.Any(f => (string?)f!["target"] == "create" && f["transport"] is not null);
        if (!createBroken && Chance(0.5))
        {
            // A fresh request awaiting authorization, on the merchant's clock.
            var body = MerchantHarness.Body(await m.NowAsync());
            body["subscriptionRequestId"] = NewId("buy");
            body["subscriptionEndTime"] = Iso(Shift(await m.NowAsync(), t => t.AddMonths(2)));
            var reply = await m.Client.CallAsync(m.Merchant, "create", body);
            if (reply.ResultCode == "SUCCESS")
            {
                requestId = (string)body["subscriptionRequestId"]!;
            }
        }

        var action = Chance(0.6) ? "approve" : "decline";
        var call = new Call { Op = $"buyer.{action}", Method = "POST", Path = "" };
        call.Path = $"{Control}/subscription-requests/{Segment(requestId, call)}/{action}";
        if (Chance(0.2))
        {
            call.Body = Encoding.UTF8.GetBytes(Pick(["{}", "{\"zz\":1}", "not json", ""]));
            call.ContentType = Pick<string?>(["application/json", null, "text/plain"]);
            call.Changes.Add("a body nobody reads");
        }

        await SendAsync(call, "control");
    }

    private async Task SubscriptionsCaseAsync()
    {
        if (Chance(0.5))
        {
            var call = new Call { Op = "subscriptions.list", Path = $"{Control}/subscriptions" };
            call.Path += Query(call, ("status", ["ACTIVE", "AWAITING_AUTHORIZATION", "CANCELLED", "TERMINATED", "active", "", "PENDING", "ACTIVE,CANCELLED", "%00"]),
                ("subscriptionRequestId", [Known(requestIds) ?? "x", "", "%2F", new string('r', 3000), "%C3%A9"]));
            await SendAsync(call, "control");
        }
        else
        {
            var call = new Call { Op = "subscriptions.get", Path = "" };
            call.Path = $"{Control}/subscriptions/{Segment(Known(subscriptionIds), call)}";
            await SendAsync(call, "control");
        }
    }

    /// <summary>A query string of some of the parameters, with odd values, repeats and unknown ones.</summary>
    private string Query(Call call, params (string Name, string[] Values)[] parameters)
    {
        var parts = new List<string>();
        foreach (var (name, values) in parameters)
        {
            if (!Chance(0.6))
            {
                continue;
            }

            var value = Pick(values);
            parts.Add($"{name}={(value.Contains('%', StringComparison.Ordinal) ? value : Uri.EscapeDataString(value))}");
            if (Chance(0.15))
            {
                parts.Add($"{name}={Uri.EscapeDataString(Pick(values))}");
                call.Changes.Add($"{name} repeated");
            }
        }

        if (Chance(0.1))
        {
            parts.Add(Pick(["zz=1", "=", "&&", "status", "a=%FF"]));
            call.Changes.Add("an odd query part");
        }

        return parts.Count == 0 ? "" : "?" + string.Join("&", parts);
    }

    private JsonObject ValidFault()
    {
        var target = Pick(FuzzFields.FaultTargetNames);
        var body = new JsonObject { ["target"] = target };
        switch (target)
        {
            case "deduction":
                if (Chance(0.5))
                {
                    body["resultCode"] = "USER_BALANCE_NOT_ENOUGH";
                }
                else
                {
                    body["resultCode"] = "PAYMENT_IN_PROCESS";
                    body["effect"] = "processing";
                    body["delay"] = "PT6H";
                }

                body["match"] = new JsonObject { ["fromPhaseNo"] = random.Next(2, 5) };
                break;
            case "notifySubscription" or "notifyPayment":
                body["delivery"] = Pick(FuzzFields.DeliveryFaults);
                if ((string)body["delivery"]! == "delay")
                {
                    body["delay"] = Pick(["PT5M", "P1D", "PT1H"]);
                }

                break;
            case "refund":
                body["resultCode"] = "REFUND_IN_PROCESS";
                body["effect"] = "processing";
                break;
            default:
                if (Chance(0.5))
                {
                    body["resultCode"] = target == "create" ? "RISK_REJECT" : "UNKNOWN_EXCEPTION";
                }
                else
                {
                    body["transport"] = Pick(["timeout", "reset", "http500", "badSignature", "noSignature"]);
                }

                if (target is "change" or "cancel" or "update" or "inquireSubscription" && Chance(0.5) && Known(subscriptionIds) is { } id)
                {
                    body["match"] = new JsonObject { ["subscriptionId"] = id };
                }

                break;
        }

        if (Chance(0.3))
        {
            body["times"] = random.Next(0, 4);
        }

        if (Chance(0.2))
        {
            body["skip"] = random.Next(0, 3);
        }

        if (Chance(0.2))
        {
            body["probability"] = 0.5;
            body["seed"] = random.Next(100);
        }

        return body;
    }

    private async Task FaultCaseAsync()
    {
        switch (random.Next(6))
        {
            case < 3:
                await SendJsonAsync(new Call { Op = "faults.add", Method = "POST", Path = $"{Control}/faults" }, "control.fault", ValidFault(), await m.NowAsync());
                break;
            case 3:
                await SendAsync(new Call { Op = "faults.list", Path = $"{Control}/faults" }, "control");
                break;
            case 4:
                var faults = (await m.Http.GetFromJsonAsync<JsonArray>($"{Control}/faults"))!.Select(f => (string)f!["faultId"]!).ToList();
                var call = new Call { Op = "faults.delete", Method = "DELETE", Path = "" };
                call.Path = $"{Control}/faults/{Segment(Known(faults), call)}";
                await SendAsync(call, "control");
                break;
            default:
                if (Chance(0.3))
                {
                    await SendAsync(new Call { Op = "faults.deleteAll", Method = "DELETE", Path = $"{Control}/faults" }, "control");
                }
                else
                {
                    await SendAsync(new Call { Op = "faults.list", Path = $"{Control}/faults" }, "control");
                }

                break;
        }
    }

    private async Task ScenarioCaseAsync()
    {
        if (Chance(0.2))
        {
            await SendAsync(new Call { Op = "scenarios.list", Path = "/_emulator/v1/scenarios" }, "control");
            return;
        }

        var call = new Call { Op = "scenarios.apply", Method = "POST", Path = "" };
        call.Path = $"{Control}/scenarios/{Segment(Known(scenarioNames), call)}";
        await SendAsync(call, "control");
    }

    private async Task NotificationsCaseAsync()
    {
        if (Chance(0.25))
        {
            // A test notification to the merchant's own receiver (its registered URL): one attempt, nothing in the ledger.
            var kind = Pick(["notifySubscription", "notifyPayment"]);
            var body = new JsonObject { ["kind"] = kind };
            if (kind == "notifySubscription" && Chance(0.5))
            {
                body["subscriptionNotificationType"] = Pick(["CREATE", "CHANGE", "UPDATE", "CANCEL", "TERMINATE"]);
            }
            else if (kind == "notifyPayment" && Chance(0.5))
            {
                body["resultCode"] = Pick(["SUCCESS", "USER_BALANCE_NOT_ENOUGH", "RISK_REJECT"]);
            }

            if (Chance(0.4))
            {
                body["forgery"] = Pick(["wrongKey", "tamperedBody", "noSignature"]);
            }

            await SendJsonAsync(new Call { Op = "notifications.test", Method = "POST", Path = $"{Control}/notifications/test" }, "control.testNotification", body, await m.NowAsync());
        }
        else if (Chance(0.5))
        {
            var call = new Call { Op = "notifications.list", Path = $"{Control}/notifications" };
            call.Path += Query(call, ("kind", ["notifySubscription", "notifyPayment", "", "NOTIFYPAYMENT", "x"]),
                ("subscriptionId", [Known(subscriptionIds) ?? "x", "", "%2F", new string('s', 2000)]),
                ("status", ["pending", "acknowledged", "exhausted", "", "PENDING", "done"]));
            await SendAsync(call, "control");
        }
        else
        {
            var call = new Call { Op = "notifications.redeliver", Method = "POST", Path = "" };
            call.Path = $"{Control}/notifications/{Segment(Known(notificationIds), call)}/redeliver";
            await SendAsync(call, "control");
        }
    }

    private async Task SettleCaseAsync()
    {
        var now = await m.NowAsync();
        if (Chance(0.5))
        {
            var call = new Call { Op = "refunds.settle", Method = "POST", Path = "" };
            call.Path = $"{Control}/refunds/{Segment(Known(refundIds), call)}/settle";
            await SendJsonAsync(call, "control.settleRefund", new JsonObject { ["status"] = Pick(["SUCCESS", "FAIL"]) }, now);
        }
        else
        {
            var body = new JsonObject { ["status"] = Pick(["SUCCESS", "FAIL"]) };
            if ((string)body["status"]! == "FAIL" && Chance(0.5))
            {
                body["resultCode"] = Pick(["PROCESS_FAIL", "USER_BALANCE_NOT_ENOUGH"]);
            }

            var call = new Call { Op = "payments.settle", Method = "POST", Path = "" };
            call.Path = $"{Control}/payments/{Segment(Known(paymentIds), call)}/settle";
            await SendJsonAsync(call, "control.settlePayment", body, now);
        }
    }

    private async Task ReportCaseAsync()
    {
        var now = await m.NowAsync();
        var report = Pick(["transactions", "settlements", "settlement-summary"]);
        var call = new Call { Op = $"reports.{report}", Path = $"{Control}/reports/{report}" };
        string[] dates =
        [
            now.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Shift(now, t => t.AddDays(-random.Next(0, 60))).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            "", "2027-02-30", "2027-2-1", "20270201", "0001-01-01", "9999-12-31", "2027-01-01T00:00:00Z", "%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%97-01-01", "yesterday", "-2027-01-01",
        ];
        call.Path += report == "transactions"
            ? Query(call, ("date", dates))
            : Query(call, ("date", dates), ("currency", ["PHP", "USD", "", "usd", "XXX", "ZZZ", "US", "%E2%82%AC"]));
        await SendAsync(call, "control");
    }

    private async Task MethodCaseAsync()
    {
        string[] paths =
        [
            Control, $"{Control}/clock", $"{Control}/clock/advance", $"{Control}/faults", $"{Control}/subscriptions", $"{Control}/notifications",
            $"{Control}/api-calls", $"{Control}/reports/transactions", "/_emulator/v1/scenarios", "/_emulator/v1/health", $"{Control}/subscriptions/x",
            $"{Ui}/clock/freeze", $"{Ui}/faults", $"{Control}/zz-unknown", $"{Ui}/zz-unknown",
        ];
        var call = new Call { Op = "method", Method = Pick(Methods), Path = Pick(paths) };
        if (call.Method == "DELETE" && call.Path == Control)
        {
            // That one is served: it would delete the merchant the fuzz stands on (merchant cases delete scratch ones).
            call.Method = "PATCH";
        }

        call.Changes.Add("any method on any path");
        if (call.Method is "POST" or "PUT" or "PATCH")
        {
            call.Body = "{}"u8.ToArray();
            call.ContentType = "application/json";
        }

        await SendAsync(call, call.Path.StartsWith("/_emulator/ui", StringComparison.Ordinal) ? "ui" : "control");
    }

    // ---- the dashboard's forms ----

    private async Task DashboardCaseAsync()
    {
        List<(string Name, string Value)> form;
        Call call;
        var back = Known(subscriptionIds) ?? "x";
        switch (random.Next(8))
        {
            case 7:
                // The merchant page itself, with a status filter and a page of its subscriptions, odd ones among them.
                call = new Call { Op = "ui.page", Path = "" };
                call.Path = Ui + Query(call,
                    ("status", ["ACTIVE", "CANCELLED", "TERMINATED", "active", "", "NONE", "%00"]),
                    ("page", ["1", "2", "0", "-1", "", "+1", " 1", "99999999999", "2147483648", "1.0", "%EF%BC%91", "abc"]));
                await SendAsync(call, "ui");
                return;
            case 0 or 1:
                var action = Pick(["advance", "freeze", "resume", "resume", "stop", ""]);
                call = new Call { Op = $"ui.clock.{action}", Method = "POST", Path = $"{Ui}/clock/{action}", Form = true };
                form = action switch
                {
                    "advance" => [("by", Pick(["P1D", "P1W", "P1M", "PT1H"]))],
                    "resume" => Chance(0.5) ? [("rate", Pick(["1", "14400", "1000000"]))] : [],
                    _ => [],
                };
                break;
            case 2 or 3:
                call = new Call { Op = "ui.faults.add", Method = "POST", Path = $"{Ui}/faults", Form = true };
                var fault = ValidFault();
                var kind = fault.ContainsKey("resultCode") ? "resultCode" : fault.ContainsKey("transport") ? "transport" : "delivery";
                form = [("target", (string)fault["target"]!), ("kind", kind), ("value", (string)fault[kind]!)];
                foreach (var name in new[] { "delay", "times", "skip", "effect", "probability" })
                {
                    if (fault[name] is { } value)
                    {
                        form.Add((name, value.ToString()));
                    }
                }

                foreach (var name in new[] { "subscriptionId", "subscriptionRequestId", "phaseNo", "fromPhaseNo" })
                {
                    if (fault["match"]?[name] is { } value)
                    {
                        form.Add((name, value.ToString()));
                    }
                }

                break;
            case 4:
                var faults = (await m.Http.GetFromJsonAsync<JsonArray>($"{Control}/faults"))!.Select(f => (string)f!["faultId"]!).ToList();
                call = new Call { Op = "ui.faults.delete", Method = "POST", Path = "", Form = true };
                call.Path = $"{Ui}/faults/{Segment(Known(faults), call)}/delete";
                form = [];
                break;
            case 5:
                call = new Call { Op = "ui.scenarios", Method = "POST", Path = $"{Ui}/scenarios", Form = true };
                form = [("name", Known(scenarioNames) ?? "x")];
                break;
            default:
                var which = Pick(["notifications", "payments", "refunds"]);
                call = new Call { Op = $"ui.{which}", Method = "POST", Path = "", Form = true };
                var id = Segment(which switch { "notifications" => Known(notificationIds), "payments" => Known(paymentIds), _ => Known(refundIds) }, call);
                call.Path = $"{Ui}/{which}/{id}/{(which == "notifications" ? "redeliver" : "settle")}";
                form = which == "notifications" ? [("back", back)] : [("status", Pick(["SUCCESS", "FAIL"])), ("back", back)];
                break;
        }

        MutateForm(call, form);
        await SendAsync(call, "ui");
    }

    private static readonly string[] OddFormValues =
    [
        "", " ", "-1", "0", "1.5", "99999999999", "2147483648", " 1 ", "\uff11", "1e400", "NaN", "Infinity", "-0", "P-1D", "PT0S", "P99999Y", "P8000Y", "p1d",
        "<script>alert(1)</script>", "a\u0000b", "\u202e\U0001F600", "%", "SUCCESS ", "success", "processing", "applied", "RISK_REJECT", "drop", "delay",
    ];

    private void MutateForm(Call call, List<(string Name, string Value)> form)
    {
        var raw = new List<string>();
        var mutations = Chance(0.75) ? random.Next(1, 3) : 0;
        for (var i = 0; i < mutations; i++)
        {
            var pick = form.Count > 0 ? random.Next(form.Count) : -1;
            switch (random.Next(7))
            {
                case 0 when pick >= 0:
                    call.Changes.Add($"{form[pick].Name} removed");
                    form.RemoveAt(pick);
                    break;
                case 1 when pick >= 0:
                    form.Add((form[pick].Name, Pick(OddFormValues)));
                    call.Changes.Add($"{form[pick].Name} twice");
                    break;
                case 2:
                    var name = Pick(["zz", "kind", "value", "target", "delay", "times", "skip", "phaseNo", "fromPhaseNo", "probability", "effect", "rate", "by", "status", "back", "name"]);
                    var value = Chance(0.2) ? new string('9', random.Next(2) == 0 ? 100 : 20000) : Pick(OddFormValues);
                    form.Add((name, value));
                    call.Changes.Add($"{name}={Shorten(value)} added");
                    break;
                case 3:
                    var broken = Pick(["a=%FF%FE", "b=%ZZ", "%00=1", "c=%C0%80", "=x", "&&&", "d"]);
                    raw.Add(broken);
                    call.Changes.Add($"raw {broken}");
                    break;
                default:
                    if (pick >= 0)
                    {
                        var odd = Pick(OddFormValues);
                        call.Changes.Add($"{form[pick].Name}={Shorten(odd)}");
                        form[pick] = (form[pick].Name, odd);
                    }

                    break;
            }
        }

        var text = string.Join("&", form.Select(f => $"{Uri.EscapeDataString(f.Name)}={Uri.EscapeDataString(f.Value)}").Concat(raw));
        call.Body = Encoding.UTF8.GetBytes(text);
        call.ContentType = "application/x-www-form-urlencoded";
        if (Chance(0.12))
        {
            call.ContentType = Pick<string?>([null, "application/json", "text/plain", "multipart/form-data", "multipart/form-data; boundary=zz", "application/x-www-form-urlencoded; charset=latin1"]);
            call.Changes.Add($"content type {call.ContentType ?? "none"}");
        }

        if (Chance(0.05))
        {
            call.Body = null;
            call.Changes.Add("no body");
        }
    }

    // ---- JSON bodies and their mutations ----

    private async Task<Answer?> SendJsonAsync(Call call, string api, JsonObject body, DateTimeOffset now)
    {
        var mutator = new FuzzMutator(random, now);
        var mutations = new List<Mutation>();
        var roll = random.NextDouble();
        if (roll < 0.65)
        {
            for (var i = random.Next(1, 3); i > 0; i--)
            {
                if (mutator.MutateField(api, body) is { } mutation)
                {
                    mutations.Add(mutation);
                }
            }
        }
        else if (roll < 0.72 && body.Count > 0)
        {
            mutations.Add(mutator.Duplicate(body));
        }

        call.Json = body;
        call.Api = api;
        var bytes = mutator.Serialize(body);
        if (Chance(0.12))
        {
            (bytes, var mutation) = mutator.MutateBytes(bytes, body);
            mutations.Add(mutation);
        }

        call.Body = bytes;
        call.ContentType = "application/json";
        if (Chance(0.08))
        {
            call.ContentType = Pick<string?>([null, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16", "application/merge-patch+json", "application/problem+json", "APPLICATION/JSON"]);
            mutations.Add(new Mutation("body", $"content type {call.ContentType ?? "none"}", Refuse: false));
        }

        if (Chance(0.03))
        {
            call.Body = Chance(0.5) ? null : [];
            mutations.Add(new Mutation("body", call.Body is null ? "no body" : "an empty body", Refuse: false));
        }

        call.Changes.AddRange(mutations.Select(x => x.ToString()));
        return await SendAsync(call, "control");
    }

    // ---- sending and checking ----

    private async Task<Snapshot> SnapshotAsync()
    {
        async Task<string> Read(string path)
        {
            var response = await m.Http.GetAsync(path);
            var text = await response.Content.ReadAsStringAsync();
            response.IsSuccessStatusCode.Should().BeTrue($"GET {path} reads the merchant's state: {text}");
            return text;
        }

        return new Snapshot(
            await Read(Control), await Read($"{Control}/clock"), await Read($"{Control}/faults"), await Read($"{Control}/subscriptions"),
            await Read($"{Control}/notifications"), await Read($"{Control}/api-calls"));
    }

    private async Task<Answer> SendAsync(Call call, string surface)
    {
        // Work already due (a freeze or a PUT moved the clock past it; the scheduler loop, which the tests' clock never
        // ticks, would run it soon) is run first: any run of the merchant, a refused approve's too, runs it, and that is
        // not the call's change.
        await ExpectAsync(await m.Http.PostAsJsonAsync($"{Control}/clock/advance", new { by = "PT0S" }), HttpStatusCode.OK);
        var before = await SnapshotAsync();
        Note(call.ToString());
        using var message = new HttpRequestMessage(new HttpMethod(call.Method), call.Path);
        if (call.Body is not null)
        {
            message.Content = new ByteArrayContent(call.Body);
            if (call.ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", call.ContentType);
            }
        }

        if (call.Form && Chance(0.3))
        {
            message.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "same-origin");
        }

        var response = await http.SendAsync(message);
        var text = await response.Content.ReadAsStringAsync();
        var answer = new Answer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, response);
        var key = $"{call.Op} {answer.Code}";
        Outcomes[key] = Outcomes.GetValueOrDefault(key) + 1;
        log[^1] += $" => {answer.Code} {Shorten(text)}";

        answer.Code.Should().BeLessThan(500, $"no input makes the {surface} fail: {text}");
        if (answer.Code >= 400)
        {
            CheckRefusal(call, answer, surface);
            var after = await SnapshotAsync();
            before.Differences(after).Should().BeEmpty($"a refused call ({answer.Code}) changes nothing");
        }
        else
        {
            await CheckAcceptedAsync(call, answer, before);
        }

        return answer;
    }

    private static void CheckRefusal(Call call, Answer answer, string surface)
    {
        if (call.Method == "HEAD")
        {
            return;
        }

        answer.Text.Should().NotContain("   at ", "no stack trace is shown").And.NotContain("Exception", "no exception is shown");
        if (surface == "ui")
        {
            answer.MediaType.Should().Be("text/html", $"the dashboard answers {answer.Code} with a page: {answer.Text}");
            answer.Code.Should().BeOneOf([400, 403, 404, 405, 409, 415], "the dashboard refuses with a page that says why");
            return;
        }

        answer.MediaType.Should().Be("application/problem+json", $"the control API's {answer.Code} is problem details: {answer.Text}");
        var problem = answer.Json!.AsObject();
        ((int?)problem["status"]).Should().Be(answer.Code, "the problem's status is the answer's");
        var detail = (string?)problem["detail"];
        detail.Should().NotBeNullOrWhiteSpace($"the problem says what to fix: {answer.Text}");
        detail!.Length.Should().BeGreaterThan(15, $"the detail says what to fix: {detail}");
        detail.Should().NotContain("Emulator.", "the detail speaks of the API, not of the emulator's types").And.NotContain("System.", "nor of .NET's");
        if (answer.Code == 400 && call.Api is { } api)
        {
            // A refused body: the detail names what to fix, a field of the body or the body itself.
            string[] names = [.. FuzzFields.Of(api).Select(f => f.Path.Split('.')[^1]), "body", "JSON", "Content-Type", "clientId"];
            names.Any(n => detail.Contains(n, StringComparison.OrdinalIgnoreCase)).Should().BeTrue($"the detail of a refused {api} body names a field or the body: {detail}");
        }
    }

    private async Task CheckAcceptedAsync(Call call, Answer answer, Snapshot before)
    {
        if (call.Method is "HEAD" or "OPTIONS")
        {
            return;
        }

        var json = answer.Json;
        switch (call.Op)
        {
            case "merchant.put":
                answer.Code.Should().Be(200);
                JsonNode.DeepEquals(json, JsonNode.Parse(await m.Http.GetStringAsync(Control))).Should().BeTrue("the merchant read back is the one the PUT answered");
                if (call.Json?["clock"]?["frozenAt"] is JsonValue && json is not null)
                {
                    (await m.Http.GetFromJsonAsync<JsonObject>($"{Control}/clock"))!["frozen"]!.GetValue<bool>().Should().BeTrue("a PUT with clock.frozenAt freezes the clock");
                }

                // Back to the merchant the fuzz signs for, its URLs and settlement (the clock stays where it is).
                await ExpectAsync(await m.Http.PutAsJsonAsync(Control, merchantBody), HttpStatusCode.OK);
                break;
            case "clock.freeze" or "clock.resume":
                answer.Code.Should().Be(200);
                var clock = JsonNode.Parse(await m.Http.GetStringAsync($"{Control}/clock"));
                JsonNode.DeepEquals(json, clock).Should().BeTrue($"the clock read back ({clock!.ToJsonString()}) is the one answered");
                ((bool)clock!["frozen"]!).Should().Be(call.Op == "clock.freeze");
                break;
            case "clock.advance":
                answer.Code.Should().Be(200);
                var now = DateTimeOffset.Parse((string)json!["now"]!, CultureInfo.InvariantCulture);
                (await m.NowAsync()).Should().Be(now, "the clock is where the advance answered");
                now.Should().BeOnOrAfter(DateTimeOffset.Parse((string)JsonNode.Parse(before.Clock)!["now"]!, CultureInfo.InvariantCulture), "the clock moves forward only");
                await RefreshIdsAsync();
                break;
            case "buyer.approve" or "buyer.decline":
                answer.Code.Should().Be(200);
                var status = (string)json!["status"]!;
                status.Should().Be(call.Op == "buyer.approve" ? "ACTIVE" : "TERMINATED");
                (await m.SubscriptionAsync((string)json["subscriptionId"]!))["status"]!.GetValue<string>().Should().Be(status);
                await RefreshIdsAsync();
                break;
            case "faults.add":
                answer.Code.Should().Be(201);
                var listed = (await m.Http.GetFromJsonAsync<JsonArray>($"{Control}/faults"))!;
                listed.Should().HaveCount(JsonNode.Parse(before.Faults)!.AsArray().Count + 1, "the fault was added");
                JsonNode.DeepEquals(listed.Single(f => (string)f!["faultId"]! == (string)json!["faultId"]!), json).Should().BeTrue("the fault listed is the one answered");
                answer.Response.Headers.Location.Should().NotBeNull();
                break;
            case "faults.delete":
                answer.Code.Should().Be(204);
                var id = Uri.UnescapeDataString(call.Path.Split('/')[^1]);
                (await m.Http.GetFromJsonAsync<JsonArray>($"{Control}/faults"))!.Select(f => (string)f!["faultId"]!).Should().NotContain(id);
                break;
            case "faults.deleteAll":
                answer.Code.Should().Be(204);
                (await m.Http.GetFromJsonAsync<JsonArray>($"{Control}/faults")).Should().BeEmpty();
                break;
            case "scenarios.apply":
                answer.Code.Should().Be(200);
                (await m.Http.GetFromJsonAsync<JsonArray>($"{Control}/faults")).Should().HaveCount(JsonNode.Parse(before.Faults)!.AsArray().Count + json!.AsArray().Count, "the scenario's faults were added");
                break;
            case "notifications.redeliver":
                answer.Code.Should().Be(202);
                await RefreshIdsAsync();
                break;
            case "notifications.test":
                answer.Code.Should().Be(200);
                ((string)json!["outcome"]!).Should().BeOneOf(["acknowledged", "rejected", "unreachable", "timeout"]);
                var forgery = (string?)json["forgery"];
                forgery.Should().BeOneOf([null, "wrongKey", "tamperedBody", "noSignature"], "the forgery asked for is told, null when none");
                if (forgery == "tamperedBody")
                {
                    ((string)json["signedContent"]!).Should().NotEndWith("." + (string)json["body"]!, "the body sent is not the one signed");
                }
                else
                {
                    ((string)json["signedContent"]!).Should().EndWith("." + (string)json["body"]!, "what was signed ends with the body sent");
                }

                json["headers"]!.AsObject().ContainsKey("signature").Should().Be(forgery != "noSignature");
                ((string)json["expected"]!).Should().Be(forgery is null ? "acknowledged" : "notAcknowledged");
                ((bool)json["passed"]!).Should().Be((string)json["outcome"]! == (forgery is null ? "acknowledged" : "rejected"), "passed is whether the endpoint did what is expected");
                (await SnapshotAsync()).Notifications.Should().Be(before.Notifications, "a test notification is not in the ledger");
                break;
            case "refunds.settle":
                answer.Code.Should().Be(200);
                ((string)json!["status"]!).Should().Be((string)call.Json!["status"]!, "the refund settled as asked");
                break;
            case "payments.settle":
                answer.Code.Should().Be(200);
                ((string)json!["resultStatus"]!).Should().Be((string)call.Json!["status"]! == "SUCCESS" ? "S" : "F", "the payment settled as asked");
                await RefreshIdsAsync();
                break;
            case "ui.page":
                answer.Code.Should().Be(200);
                answer.MediaType.Should().Be("text/html");
                answer.Text.Should().Contain("<h2>Subscriptions</h2>").And.Contain("<h2 id=\"recent-api-calls\">Recent API calls</h2>");
                break;
            case var op when op.StartsWith("ui.", StringComparison.Ordinal):
                answer.Code.Should().BeOneOf([302, 303], $"a form that was taken sends the browser back to a page: {answer.Text}");
                answer.Response.Headers.Location!.OriginalString.Should().StartWith(Ui, "the browser goes back to the merchant's pages");
                if (op == "ui.clock.freeze" || op == "ui.clock.resume")
                {
                    ((bool)(await m.Http.GetFromJsonAsync<JsonObject>($"{Control}/clock"))!["frozen"]!).Should().Be(op == "ui.clock.freeze");
                }

                if (op == "ui.faults.delete")
                {
                    var deleted = Uri.UnescapeDataString(call.Path.Split('/')[^2]);
                    JsonNode.Parse(before.Faults)!.AsArray().Select(f => (string)f!["faultId"]!).Should().Contain(deleted, "a fault the form deleted was there");
                    (await m.Http.GetFromJsonAsync<JsonArray>($"{Control}/faults"))!.Select(f => (string)f!["faultId"]!).Should().NotContain(deleted, "and is gone");
                }

                if (op == "ui.faults.add")
                {
                    (await m.Http.GetFromJsonAsync<JsonArray>($"{Control}/faults")).Should().HaveCount(JsonNode.Parse(before.Faults)!.AsArray().Count + 1, "the form added a fault");
                }

                await RefreshIdsAsync();
                break;
            case "method":
                break;
            default:
                answer.Code.Should().BeOneOf([200, 204], $"{call.Op} answers: {answer.Text}");
                if (call.Method == "GET" && answer.MediaType is { } media && media.Contains("json", StringComparison.Ordinal))
                {
                    json.Should().NotBeNull();
                }

                break;
        }
    }

    private async Task FinallyAsync()
    {
        // No fault of the fuzz's may hold the signed call below (a transport delay waits on the wall clock).
        await ExpectAsync(await m.Http.DeleteAsync($"{Control}/faults"), HttpStatusCode.NoContent);
        var id = subscriptionIds[0];
        var reply = await m.Client.CallAsync(m.Merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = id });
        reply.Status.Should().Be(HttpStatusCode.OK);
        reply.SignatureValid.Should().BeTrue("the emulated API still signs its answers");
        reply.ResultCode.Should().Be("SUCCESS", $"the emulated API still answers signed calls after the fuzz: {reply.Text}");
        (await m.Http.GetAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}")).StatusCode.Should().Be(HttpStatusCode.OK, "the dashboard still shows the merchant");
    }

    private void CheckNoErrors()
    {
        var errors = factory.Errors.GetSnapshot();
        errors.Skip(errorsBefore).Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception}").Should().BeEmpty("the emulator logs no errors");
    }
}
