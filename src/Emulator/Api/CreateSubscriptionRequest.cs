using Emulator.Domain;
using Emulator.Merchants;
using Emulator.Protocol;

namespace Emulator.Api;

/// <summary>A validated <c>subscriptions/create</c> request (SPEC §3.1, required fields per SPEC §10).</summary>
public sealed record CreateSubscriptionRequest(string SubscriptionRequestId, SubscriptionPlan Plan)
{
    public static readonly TimeSpan DefaultAuthorizationWindow = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan MaxAuthorizationWindow = TimeSpan.FromHours(48);

    public static readonly IReadOnlyList<string> TerminalTypes = ["WEB", "WAP", "APP", "MINI_APP"];
    public static readonly IReadOnlyList<string> OsTypes = ["IOS", "ANDROID"];

    public static CreateSubscriptionRequest? Parse(JsonFields body, Merchant merchant, DateTimeOffset now)
    {
        var requestId = body.Text("subscriptionRequestId", 64, required: true);
        var description = body.Text("subscriptionDescription", 256, required: true);
        var redirectUrl = body.RedirectUrl("subscriptionRedirectUrl", 2048, required: true);
        var start = body.Time("subscriptionStartTime", required: true);
        var end = body.Time("subscriptionEndTime");
        var periodRule = ReadPeriodRule(body, required: true);
        var expiry = body.Time("subscriptionExpiryTime");
        var paymentMethod = ReadPaymentMethod(body);
        var subscriptionUrl = body.Url("subscriptionNotificationUrl", 2048, required: merchant.SubscriptionNotificationUrl is null);
        var paymentUrl = body.Url("paymentNotificationUrl", 2048, required: merchant.PaymentNotificationUrl is null);
        var orderAmount = body.Object("orderInfo", required: true)?.Amount("orderAmount", required: true);
        var paymentAmount = body.Amount("paymentAmount", required: true);
        var settlementCurrency = body.Object("settlementStrategy")?.Text("settlementCurrency", 3);
        var env = body.Object("env", required: true);
        var terminalType = env?.OneOf("terminalType", TerminalTypes, 32, required: true);
        var osType = env?.OneOf("osType", OsTypes, 32);
        env?.Text("deviceTokenId", 64);
        env?.Text("extendInfo", 2048);
        var merchantAccountId = body.Text("merchantAccountId", 64);
        var trials = ReadTrials(body, paymentAmount);

        if (start is { } s && end is { } e && e <= s)
        {
            body.Fail("subscriptionEndTime", "must be after subscriptionStartTime");
        }
        else if (end is { } past && past <= now)
        {
            body.Fail("subscriptionEndTime", $"must be after the time of the request ({now:O})");
        }

        if (expiry is { } x)
        {
            CheckExpiry(body, x, now);
        }
        else if (DateTimeOffset.MaxValue - now < DefaultAuthorizationWindow)
        {
            // The default deadline cannot be written past the year 9999: the merchant names one before the end.
            body.Fail("subscriptionExpiryTime", $"is required less than {DefaultAuthorizationWindow.TotalMinutes:0} minutes before the end of the calendar ({DateTimeOffset.MaxValue:O}): its default, {DefaultAuthorizationWindow.TotalMinutes:0} minutes after the request ({now:O}), would be past it");
        }

        if (start is { } st && periodRule is not null)
        {
            if (StartRuleBroken(periodRule, st, now) is var (field, rule))
            {
                body.Fail(field, rule);
            }
            else if (now - st > StartTimeSkew && TrialBeyondPeriodOne(trials) is { } beyond)
            {
                // The short-trial technique: the first period is the trial, and it may not exceed one billing period.
                // Later trials ("buy one, get N free", after a paid period 1) are not concerned, nor a start the merchant
                // meant as now.
                body.Fail("trials", $"when subscriptionStartTime lies in the past ({st:O}, before the request at {now:O}), {beyond} (a start up to {StartTimeSkew.TotalMinutes:0} minutes before the request counts as now)");
            }
        }

        if (body.Errors.Count > 0)
        {
            return null;
        }

        return new CreateSubscriptionRequest(requestId!, new SubscriptionPlan
        {
            Description = description!,
            RedirectUrl = redirectUrl!,
            StartTime = start!.Value,
            EndTime = end,
            PeriodRule = periodRule!,
            ExpiryTime = expiry ?? now + DefaultAuthorizationWindow,
            PaymentMethod = paymentMethod!,
            PaymentAmount = paymentAmount!,
            OrderAmount = orderAmount!,
            Trials = trials,
            SubscriptionNotificationUrl = subscriptionUrl ?? merchant.SubscriptionNotificationUrl!,
            PaymentNotificationUrl = paymentUrl ?? merchant.PaymentNotificationUrl!,
            TerminalType = terminalType!,
            OsType = osType,
            SettlementCurrency = settlementCurrency,
            MerchantAccountId = merchantAccountId,
        });
    }

    /// <summary>How trials from period 1 run past it, said as the rule they break; null when they do not.</summary>
    private static string? TrialBeyondPeriodOne(IReadOnlyList<Trial> trials) =>
        trials.FirstOrDefault(t => t.StartPeriod == 1 && t.EndPeriod > 1) is { } longTrial
            ? $"a trial from period 1 may cover period 1 only: a free trial may not exceed one billing period; this one covers periods 1-{longTrial.EndPeriod}"
            : trials.Any(t => t.StartPeriod == 1) && trials.FirstOrDefault(t => t.StartPeriod == 2) is { } next
                ? $"a trial of period 1 may not be followed by another from period 2 (here periods 2-{next.EndPeriod}): together they exceed one billing period"
                : null;

    /// <summary>
    /// How far before the request a start time still counts as "now" for the trial rule: a merchant's clock, and the
    /// second it truncates its "now" to, are a little behind the emulator's.
    /// </summary>
    public static readonly TimeSpan StartTimeSkew = TimeSpan.FromMinutes(5);

    /// <summary>The authorization deadline must be after now and less than 48 h ahead (SPEC §3.1).</summary>
    public static void CheckExpiry(JsonFields body, DateTimeOffset expiry, DateTimeOffset now)
    {
        if (expiry <= now)
        {
            body.Fail("subscriptionExpiryTime", $"must be after the time of the request ({now:O})");
        }
        else if (expiry - now >= MaxAuthorizationWindow)
        {
            body.Fail("subscriptionExpiryTime", $"must be less than 48 hours after the request (before {(now + MaxAuthorizationWindow):O})");
        }
    }

    /// <summary>One period from <paramref name="from"/> must end within the calendar, or no phase could be computed.</summary>
    public static string? PeriodOverflow(PeriodRule rule, DateTimeOffset from, string fromWhat) =>
        rule.FitsAfter(from) ? null : $"one period ({rule}) from {fromWhat} {from:O} would end after the year 9999";

    /// <summary>
    /// The first rule a start time breaks, as (field, rule), for create and for change alike: its first period must end
    /// within the calendar, and it may lie in the past by less than one billing period (SPEC §4.6: a start in the past is
    /// the short-trial technique; an earlier start would charge every period since at once).
    /// </summary>
    public static (string Field, string Rule)? StartRuleBroken(PeriodRule rule, DateTimeOffset start, DateTimeOffset now) =>
        PeriodOverflow(rule, start, "subscriptionStartTime") is { } overflow ? ("periodRule", overflow)
        : rule.Add(start, 1) <= now ? ("subscriptionStartTime", $"may lie in the past by less than one billing period ({rule}); the first period would already be over at {now:O}")
        : null;

    public static PeriodRule? ReadPeriodRule(JsonFields body, bool required)
    {
        var rule = body.Object("periodRule", required);
        var type = rule?.OneOf("periodType", PeriodRule.Types, 20, required: true);
        var count = rule?.Integer("periodCount", 1, required: true);
        return type is null || count is null ? null : new PeriodRule(type, count.Value);
    }

    private static PaymentMethod? ReadPaymentMethod(JsonFields body)
    {
        var method = body.Object("paymentMethod", required: true);
        if (method is null)
        {
            return null;
        }

        var type = method.OneOf("paymentMethodType", PaymentMethod.Types, 64, required: true);
        var id = method.Text("paymentMethodId", 128, required: type == "CARD");
        var customerId = method.Text("customerId", 64);
        method.Text("extendInfo", 2048);
        method.Boolean("requireIssuerAuthentication");
        return type is null || (type == "CARD" && id is null) ? null : new PaymentMethod(type, id, customerId);
    }

    private static IReadOnlyList<Trial> ReadTrials(JsonFields body, Amount? paymentAmount)
    {
        var items = body.Array("trials");
        if (items is null)
        {
            return [];
        }

        var trials = new List<Trial>();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var startPeriod = item.Integer("trialStartPeriod", 1, required: true);
            var endPeriod = item.Integer("trialEndPeriod", 1);
            var amount = item.Amount("trialAmount", required: true);
            if (startPeriod is null || amount is null)
            {
                continue;
            }

            var last = endPeriod ?? startPeriod.Value;
            if (last < startPeriod)
            {
                item.Fail("trialEndPeriod", $"must not be before trialStartPeriod ({startPeriod})");
                continue;
            }

            if (paymentAmount is not null && amount.Currency != paymentAmount.Currency)
            {
                item.Fail("trialAmount.currency", $"must equal paymentAmount.currency ({paymentAmount.Currency})");
                continue;
            }

            var trial = new Trial(startPeriod.Value, last, amount);
            if (trials.FirstOrDefault(t => t.StartPeriod <= trial.EndPeriod && trial.StartPeriod <= t.EndPeriod) is { } overlap)
            {
                item.Fail("trialStartPeriod", $"periods {trial.StartPeriod}-{trial.EndPeriod} overlap another trial's periods {overlap.StartPeriod}-{overlap.EndPeriod}");
                continue;
            }

            trials.Add(trial);
        }

        return trials;
    }
}
