using System.Text;
using System.Text.Json.Nodes;
using ContractTests.Support;

namespace ContractTests.Protocol;

/// <summary>
/// The battery of malformed requests: missing, oversized, wrong-typed and out-of-rule fields of create, change and
/// cancel (SPEC §2, §3.1–3.3, §10), and broken transport (headers, JSON, size, keys).
/// </summary>
public static class MalformedRequestCases
{
    private const string Param = "PARAM_ILLEGAL";

    public static IReadOnlyDictionary<string, MalformedRequestCase> All { get; } = Build().ToDictionary(c => c.Name);

    private static IEnumerable<MalformedRequestCase> Build()
    {
        // Required create fields (SPEC §10), missing and null.
        foreach (var path in new[]
        {
            "subscriptionRequestId", "subscriptionDescription", "subscriptionRedirectUrl", "subscriptionStartTime", "periodRule",
            "paymentMethod", "paymentAmount", "orderInfo", "env", "periodRule.periodType", "periodRule.periodCount",
            "paymentMethod.paymentMethodType", "paymentAmount.currency", "paymentAmount.value", "orderInfo.orderAmount",
            "orderInfo.orderAmount.currency", "orderInfo.orderAmount.value", "env.terminalType", "subscriptionNotificationUrl",
            "paymentNotificationUrl",
        })
        {
            yield return Create($"create missing {path}", (b, _) => Remove(b, path), path + ": is required");
            yield return Create($"create null {path}", (b, _) => Set(b, path, null), path + ": is required");
        }

        yield return Create("create empty subscriptionRequestId", (b, _) => Set(b, "subscriptionRequestId", ""), "subscriptionRequestId: is required");

        // Lengths (SPEC §3.1, §2.1, §2.5, §2.6).
        foreach (var (path, max) in new[]
        {
            ("subscriptionRequestId", 64), ("subscriptionDescription", 256), ("subscriptionNotificationUrl", 2048),
            ("paymentNotificationUrl", 2048), ("subscriptionRedirectUrl", 2048), ("paymentMethod.paymentMethodId", 128),
            ("paymentMethod.customerId", 64), ("paymentMethod.extendInfo", 2048), ("merchantAccountId", 64),
            ("settlementStrategy.settlementCurrency", 3), ("env.deviceTokenId", 64), ("env.extendInfo", 2048),
        })
        {
            var value = path.EndsWith("Url", StringComparison.Ordinal) ? "https://m.example/" + new string('a', max) : new string('A', max + 1);
            yield return Create($"create oversized {path}", (b, _) => Set(b, path, value), $"{path}: must be at most {max} characters");
        }

        yield return Create("create oversized paymentAmount.value", (b, _) => Set(b, "paymentAmount.value", new string('9', 17)), "paymentAmount.value: must be at most 16 characters");
        yield return Create("create oversized paymentAmount.currency", (b, _) => Set(b, "paymentAmount.currency", "PHPP"), "paymentAmount.currency: must be at most 3 characters");

        // Types.
        yield return Create("create object as description", (b, _) => Set(b, "subscriptionDescription", new JsonObject()), "subscriptionDescription: must be a string, not an object");
        yield return Create("create array as request id", (b, _) => Set(b, "subscriptionRequestId", new JsonArray(1)), "subscriptionRequestId: must be a string, not an array");
        yield return Create("create string as periodRule", (b, _) => Set(b, "periodRule", "MONTH"), "periodRule: must be an object, not a string");
        yield return Create("create array as periodRule", (b, _) => Set(b, "periodRule", new JsonArray()), "periodRule: must be an object, not an array");
        yield return Create("create string as paymentMethod", (b, _) => Set(b, "paymentMethod", "GCASH"), "paymentMethod: must be an object");
        yield return Create("create string as paymentAmount", (b, _) => Set(b, "paymentAmount", "19900"), "paymentAmount: must be an object");
        yield return Create("create number as orderInfo", (b, _) => Set(b, "orderInfo", 5), "orderInfo: must be an object, not a number");
        yield return Create("create array as env", (b, _) => Set(b, "env", new JsonArray()), "env: must be an object, not an array");
        yield return Create("create object as trials", (b, _) => Set(b, "trials", new JsonObject()), "trials: must be an array, not an object");
        yield return Create("create string in trials", (b, _) => Set(b, "trials", new JsonArray("x")), "trials[0]: must be an object, not a string");
        yield return Create("create boolean periodCount", (b, _) => Set(b, "periodRule.periodCount", true), "periodRule.periodCount: must be an integer, not a boolean");
        yield return Create("create object periodCount", (b, _) => Set(b, "periodRule.periodCount", new JsonObject()), "periodRule.periodCount: must be an integer, not an object");
        yield return Create("create non-boolean requireIssuerAuthentication", (b, _) => Set(b, "paymentMethod.requireIssuerAuthentication", "maybe"), "paymentMethod.requireIssuerAuthentication: must be true or false");
        yield return Create("create object as startTime", (b, _) => Set(b, "subscriptionStartTime", new JsonObject()), "subscriptionStartTime: must be a string");

        // Values: enums, integers, URLs, amounts.
        yield return Create("create periodType MONTHLY", (b, _) => Set(b, "periodRule.periodType", "MONTHLY"), "periodRule.periodType: must be one of DAY, WEEK, MONTH, YEAR");
        yield return Create("create periodType lower case", (b, _) => Set(b, "periodRule.periodType", "month"), "periodRule.periodType: must be one of");
        yield return Create("create periodType QUARTER (Pix only)", (b, _) => Set(b, "periodRule.periodType", "QUARTER"), "periodRule.periodType: must be one of");
        yield return Create("create periodCount 0", (b, _) => Set(b, "periodRule.periodCount", 0), "periodRule.periodCount: must be at least 1");
        yield return Create("create periodCount -1", (b, _) => Set(b, "periodRule.periodCount", -1), "periodRule.periodCount: must be at least 1");
        yield return Create("create periodCount abc", (b, _) => Set(b, "periodRule.periodCount", "abc"), "periodRule.periodCount: must be an integer");
        yield return Create("create periodCount 1.5", (b, _) => Set(b, "periodRule.periodCount", 1.5), "periodRule.periodCount: must be an integer");
        yield return Create("create periodCount overflow", (b, _) => Set(b, "periodRule.periodCount", "99999999999"), "periodRule.periodCount: must be an integer");
        yield return Create("create paymentMethodType PAYPAL", (b, _) => Set(b, "paymentMethod.paymentMethodType", "PAYPAL"), "paymentMethod.paymentMethodType: must be one of");
        yield return Create("create CARD without paymentMethodId", (b, _) => Set(b, "paymentMethod.paymentMethodType", "CARD"), "paymentMethod.paymentMethodId: is required");
        yield return Create("create terminalType DESKTOP", (b, _) => Set(b, "env.terminalType", "DESKTOP"), "env.terminalType: must be one of WEB, WAP, APP, MINI_APP");
        yield return Create("create osType WINDOWS", (b, _) => Set(b, "env.osType", "WINDOWS"), "env.osType: must be one of IOS, ANDROID");
        yield return Create("create redirect not a URL", (b, _) => Set(b, "subscriptionRedirectUrl", "not a url"), "subscriptionRedirectUrl: must be an absolute URL: http, https or an app's own scheme");
        yield return Create("create redirect ftp", (b, _) => Set(b, "subscriptionRedirectUrl", "ftp://m.example/x"), "subscriptionRedirectUrl: must be an absolute URL: http, https or an app's own scheme");
        yield return Create("create redirect javascript", (b, _) => Set(b, "subscriptionRedirectUrl", "javascript:alert(1)"), "subscriptionRedirectUrl: must be an absolute URL: http, https or an app's own scheme");
        yield return Create("create relative notification URL", (b, _) => Set(b, "paymentNotificationUrl", "/notify"), "paymentNotificationUrl: must be an absolute http or https URL");
        foreach (var (name, value, rule) in new[]
        {
            ("lower-case currency", "php", "currency: must be an ISO-4217 code"),
            ("2-letter currency", "PH", "currency: must be an ISO-4217 code"),
            ("digit in currency", "P1P", "currency: must be an ISO-4217 code"),
        })
        {
            yield return Create($"create paymentAmount {name}", (b, _) => Set(b, "paymentAmount.currency", value), "paymentAmount." + rule);
            yield return Create($"create orderAmount {name}", (b, _) => Set(b, "orderInfo.orderAmount.currency", value), "orderInfo.orderAmount." + rule);
        }

        yield return Create("create paymentAmount currency not in ISO-4217", (b, _) => Set(b, "paymentAmount.currency", "ZZZ"), "paymentAmount.currency: must be an ISO-4217 currency code; 'ZZZ' is not one");
        yield return Create("create orderAmount currency not in ISO-4217", (b, _) => Set(b, "orderInfo.orderAmount.currency", "PHD"), "orderInfo.orderAmount.currency: must be an ISO-4217 currency code; 'PHD' is not one");
        yield return Create("create IDR amount not in whole rupiah", (b, _) => { Set(b, "paymentAmount", Bodies.Amount("IDR", "12345")); Set(b, "orderInfo.orderAmount", Bodies.Amount("IDR", "12300")); }, "paymentAmount.value: must be a multiple of 100 for IDR");
        yield return Change("change IDR amount not in whole rupiah", (b, _) => Set(b, "paymentAmount", Bodies.Amount("IDR", "150050")), "paymentAmount.value: must be a multiple of 100 for IDR");

        foreach (var (name, value) in new[] { ("negative", "-1"), ("decimal", "1.50"), ("letters", "abc"), ("space", " 100"), ("exponent", "1e3") })
        {
            yield return Create($"create paymentAmount value {name}", (b, _) => Set(b, "paymentAmount.value", value), "paymentAmount.value: must be a non-negative integer");
        }

        yield return Create("create orderAmount value decimal", (b, _) => Set(b, "orderInfo.orderAmount.value", "9.99"), "orderInfo.orderAmount.value: must be a non-negative integer");

        // Dates (SPEC §1.6) and time rules (SPEC §3.1, §4.6, §10).
        foreach (var (name, value) in new[]
        {
            ("date only", "2026-03-01"), ("no offset", "2026-03-01T09:00:00"), ("slashes", "01/03/2026 09:00"),
            ("month 13", "2026-13-01T00:00:00Z"), ("word", "yesterday"), ("epoch number", "1764000000"),
        })
        {
            yield return Create($"create startTime {name}", (b, _) => Set(b, "subscriptionStartTime", value), "subscriptionStartTime: must be an ISO-8601 date-time with offset");
        }

        yield return Create("create endTime no offset", (b, _) => Set(b, "subscriptionEndTime", "2027-03-01T09:00:00"), "subscriptionEndTime: must be an ISO-8601");
        yield return Create("create expiryTime bad format", (b, _) => Set(b, "subscriptionExpiryTime", "tomorrow"), "subscriptionExpiryTime: must be an ISO-8601");
        yield return Create("create endTime before start", (b, now) => Set(b, "subscriptionEndTime", Iso(now.AddDays(-1))), "subscriptionEndTime: must be after subscriptionStartTime");
        yield return Create("create endTime equal start", (b, now) => Set(b, "subscriptionEndTime", Iso(now)), "subscriptionEndTime: must be after subscriptionStartTime");
        yield return Create("create endTime in the past", (b, now) => { Set(b, "subscriptionStartTime", Iso(now.AddDays(-10))); Set(b, "subscriptionEndTime", Iso(now.AddDays(-1))); }, "subscriptionEndTime: must be after the time of the request");
        yield return Create("create expiry in the past", (b, now) => Set(b, "subscriptionExpiryTime", Iso(now.AddMinutes(-1))), "subscriptionExpiryTime: must be after the time of the request");
        yield return Create("create expiry now", (b, now) => Set(b, "subscriptionExpiryTime", Iso(now)), "subscriptionExpiryTime: must be after the time of the request");
        yield return Create("create expiry 48h ahead", (b, now) => Set(b, "subscriptionExpiryTime", Iso(now.AddHours(48))), "subscriptionExpiryTime: must be less than 48 hours");
        yield return Create("create expiry 72h ahead", (b, now) => Set(b, "subscriptionExpiryTime", Iso(now.AddHours(72))), "subscriptionExpiryTime: must be less than 48 hours");
        yield return Create("create start more than a period ago", (b, now) => Set(b, "subscriptionStartTime", Iso(now.AddMonths(-1).AddDays(-1))), "subscriptionStartTime: may lie in the past by less than one billing period");

        yield return Create("create periodCount beyond the calendar", (b, _) => Set(b, "periodRule.periodCount", int.MaxValue), "periodRule: one period (every 2147483647 months) from subscriptionStartTime");
        yield return Create("create 100000-year period", (b, _) => Set(b, "periodRule", new JsonObject { ["periodType"] = "YEAR", ["periodCount"] = 100000 }), "would end after the year 9999");
        yield return Create("create start in the year 9999", (b, _) => Set(b, "subscriptionStartTime", "9999-12-31T00:00:00+00:00"), "periodRule: one period (every month) from subscriptionStartTime 9999-12-31");

        // Trials (SPEC §2.4, §10).
        yield return Create("create trialStartPeriod 0", (b, _) => Set(b, "trials", Trials((0, null, "0"))), "trials[0].trialStartPeriod: must be at least 1");
        yield return Create("create trialEndPeriod before start", (b, _) => Set(b, "trials", Trials((3, 2, "0"))), "trials[0].trialEndPeriod: must not be before trialStartPeriod");
        yield return Create("create overlapping trials", (b, _) => Set(b, "trials", Trials((1, 3, "0"), (3, 4, "100"))), "trials[1].trialStartPeriod: periods 3-4 overlap");
        yield return Create("create trial without amount", (b, _) => Set(b, "trials", new JsonArray(new JsonObject { ["trialStartPeriod"] = 1 })), "trials[0].trialAmount: is required");
        yield return Create("create trial without start period", (b, _) => Set(b, "trials", new JsonArray(new JsonObject { ["trialAmount"] = Bodies.Amount("PHP", "0") })), "trials[0].trialStartPeriod: is required");
        yield return Create("create trial in another currency", (b, _) => Set(b, "trials", new JsonArray(new JsonObject { ["trialStartPeriod"] = 1, ["trialAmount"] = Bodies.Amount("USD", "0") })), "trials[0].trialAmount.currency: must equal paymentAmount.currency");
        yield return Create("create a trial over three periods from a start in the past", (b, now) => { Set(b, "subscriptionStartTime", Iso(now.AddDays(-10))); Set(b, "trials", Trials((1, 3, "0"))); }, "trials: when subscriptionStartTime lies in the past (");
        yield return Create("create a two-period trial from a start six minutes ago", (b, now) => { Set(b, "subscriptionStartTime", Iso(now.AddMinutes(-6))); Set(b, "trials", Trials((1, 2, "0"))); }, "a free trial may not exceed one billing period; this one covers periods 1-2");
        yield return Create("create trials of period 1 and periods 2-3 from a start in the past", (b, now) => { Set(b, "subscriptionStartTime", Iso(now.AddDays(-10))); Set(b, "trials", Trials((1, 1, "0"), (2, 3, "0"))); }, "a trial of period 1 may not be followed by another from period 2 (here periods 2-3)");
        yield return Create("create trial negative amount", (b, _) => Set(b, "trials", Trials((1, null, "-5"))), "trials[0].trialAmount.value: must be a non-negative integer");

        // change (SPEC §3.2).
        yield return Change("change missing subscriptionChangeRequestId", (b, _) => Remove(b, "subscriptionChangeRequestId"), "subscriptionChangeRequestId: is required");
        yield return Change("change missing subscriptionId", (b, _) => Remove(b, "subscriptionId"), "subscriptionId: is required");
        yield return Change("change missing paymentAmount", (b, _) => Remove(b, "paymentAmount"), "paymentAmount: is required");
        yield return Change("change oversized subscriptionChangeRequestId", (b, _) => Set(b, "subscriptionChangeRequestId", new string('c', 65)), "subscriptionChangeRequestId: must be at most 64 characters");
        yield return Change("change oversized subscriptionId", (b, _) => Set(b, "subscriptionId", new string('1', 65)), "subscriptionId: must be at most 64 characters");
        yield return Change("change oversized description", (b, _) => Set(b, "subscriptionDescription", new string('d', 257)), "subscriptionDescription: must be at most 256 characters");
        yield return Change("change bad periodType", (b, _) => Set(b, "periodRule", new JsonObject { ["periodType"] = "DECADE", ["periodCount"] = 1 }), "periodRule.periodType: must be one of");
        yield return Change("change periodRule without count", (b, _) => Set(b, "periodRule", new JsonObject { ["periodType"] = "DAY" }), "periodRule.periodCount: is required");
        yield return Change("change expiry in the past", (b, now) => Set(b, "subscriptionExpiryTime", Iso(now.AddHours(-1))), "subscriptionExpiryTime: must be after the time of the request");
        yield return Change("change end before start", (b, now) => { Set(b, "subscriptionStartTime", Iso(now.AddDays(2))); Set(b, "subscriptionEndTime", Iso(now.AddDays(1))); }, "subscriptionEndTime: must be after subscriptionStartTime");
        yield return Change("change periodRule beyond the calendar", (b, _) => Set(b, "periodRule", new JsonObject { ["periodType"] = "YEAR", ["periodCount"] = 100000 }), "periodRule: one period (every 100000 years) from the time of the request");
        yield return Change("change endTime in the past", (b, now) => Set(b, "subscriptionEndTime", Iso(now.AddDays(-1))), "subscriptionEndTime: must be after the time of the request");
        yield return Change("change difference in another currency", (b, _) => Set(b, "paymentAmountDifference", Bodies.Amount("USD", "500")), "paymentAmountDifference.currency: must equal paymentAmount.currency");
        yield return Change("change bad amount value", (b, _) => Set(b, "paymentAmount.value", "12.00"), "paymentAmount.value: must be a non-negative integer");
        yield return Change("change orderInfo without orderAmount", (b, _) => Set(b, "orderInfo", new JsonObject()), "orderInfo.orderAmount: is required");
        yield return Refund("refund missing refundRequestId", (b, _) => Remove(b, "refundRequestId"), "refundRequestId: is required");
        yield return Refund("refund missing paymentId", (b, _) => Remove(b, "paymentId"), "paymentId: is required");
        yield return Refund("refund missing refundAmount", (b, _) => Remove(b, "refundAmount"), "refundAmount: is required");
        yield return Refund("refund of zero", (b, _) => Set(b, "refundAmount.value", "0"), "refundAmount.value: must be more than 0");
        yield return Refund("refund bad amount value", (b, _) => Set(b, "refundAmount.value", "50.00"), "refundAmount.value: must be a non-negative integer");
        yield return Refund("refund oversized reason", (b, _) => Set(b, "refundReason", new string('r', 257)), "refundReason: must be at most 256 characters");
        yield return Refund("refund notify URL not a URL", (b, _) => Set(b, "refundNotifyUrl", "not a url"), "refundNotifyUrl:");
        yield return new MalformedRequestCase("inquiryRefund without either id", "inquiryRefund", (b, _) => Remove(b, "refundId"), Param, "refundId: is required when refundRequestId is absent: give one of them");
        yield return Update("update missing subscriptionUpdateRequestId", (b, _) => Remove(b, "subscriptionUpdateRequestId"), "subscriptionUpdateRequestId: is required");
        yield return Update("update missing subscriptionId", (b, _) => Remove(b, "subscriptionId"), "subscriptionId: is required");
        yield return Update("update oversized subscriptionUpdateRequestId", (b, _) => Set(b, "subscriptionUpdateRequestId", new string('u', 65)), "subscriptionUpdateRequestId: must be at most 64 characters");
        yield return Update("update updating nothing", (b, _) => Remove(b, "paymentAmount"), "body: updates nothing: give at least one of subscriptionDescription, periodRule, paymentAmount, subscriptionEndTime, orderInfo, prorationSettings, nextSubscriptionDate");
        yield return Update("update oversized description", (b, _) => Set(b, "subscriptionDescription", new string('d', 257)), "subscriptionDescription: must be at most 256 characters");
        yield return Update("update bad periodType", (b, _) => Set(b, "periodRule", new JsonObject { ["periodType"] = "DECADE", ["periodCount"] = 1 }), "periodRule.periodType: must be one of");
        yield return Update("update endTime in the past", (b, now) => Set(b, "subscriptionEndTime", Iso(now.AddDays(-1))), "subscriptionEndTime: must be after the time of the request");
        yield return Update("update next date at the end", (b, now) => { Set(b, "subscriptionEndTime", Iso(now.AddDays(10))); Set(b, "nextSubscriptionDate", Iso(now.AddDays(10))); }, "nextSubscriptionDate: must be before subscriptionEndTime");
        yield return Update("update next date not a time", (b, _) => Set(b, "nextSubscriptionDate", "next tuesday"), "nextSubscriptionDate:");
        yield return Update("update proration without mode", (b, _) => Set(b, "prorationSettings", new JsonObject { ["customAmount"] = Bodies.Amount("PHP", "500") }), "prorationSettings.prorationMode: is required");
        yield return Update("update proration bad mode", (b, _) => Set(b, "prorationSettings", new JsonObject { ["prorationMode"] = "PRORATE", ["customAmount"] = Bodies.Amount("PHP", "500") }), "prorationSettings.prorationMode: must be one of IMMEDIATE_PAY_CUSTOM_AMOUNT, IMMEDIATE_REFUND_CUSTOM_AMOUNT");
        yield return Update("update proration without amount", (b, _) => Set(b, "prorationSettings", new JsonObject { ["prorationMode"] = "IMMEDIATE_PAY_CUSTOM_AMOUNT" }), "prorationSettings.customAmount: is required");
        yield return Update("update proration of zero", (b, _) => Set(b, "prorationSettings", new JsonObject { ["prorationMode"] = "IMMEDIATE_PAY_CUSTOM_AMOUNT", ["customAmount"] = Bodies.Amount("PHP", "0") }), "prorationSettings.customAmount.value: must be more than 0");
        yield return Update("update proration in another currency", (b, _) => Set(b, "prorationSettings", new JsonObject { ["prorationMode"] = "IMMEDIATE_REFUND_CUSTOM_AMOUNT", ["customAmount"] = Bodies.Amount("USD", "500") }), "prorationSettings.customAmount.currency: must equal paymentAmount.currency (PHP)");

        // cancel (SPEC §3.3).
        yield return Cancel("cancel without any id", (b, _) => Remove(b, "subscriptionId"), "subscriptionId: subscriptionId or subscriptionRequestId is required");
        yield return Cancel("cancel missing cancellationType", (b, _) => Remove(b, "cancellationType"), "cancellationType: is required");
        yield return Cancel("cancel cancellationType STOP", (b, _) => Set(b, "cancellationType", "STOP"), "cancellationType: must be one of CANCEL, TERMINATE");
        yield return Cancel("cancel cancellationType lower case", (b, _) => Set(b, "cancellationType", "cancel"), "cancellationType: must be one of CANCEL, TERMINATE");
        yield return Cancel("cancel oversized subscriptionId", (b, _) => Set(b, "subscriptionId", new string('9', 65)), "subscriptionId: must be at most 64 characters");
        yield return Cancel("cancel object subscriptionRequestId", (b, _) => Set(b, "subscriptionRequestId", new JsonObject()), "subscriptionRequestId: must be a string, not an object");

        // Transport: body, headers, keys (SPEC §1.3, §1.5).
        yield return Raw("broken JSON", "{\"subscriptionRequestId\":", Param, "body: is not valid JSON");
        yield return Raw("empty body", "", Param, "body: is not valid JSON");
        yield return Raw("JSON array body", "[1,2]", Param, "body: must be a JSON object");
        yield return Raw("JSON string body", "\"create\"", Param, "body: must be a JSON object");
        yield return Raw("trailing garbage after JSON", "{} x", Param, "body: is not valid JSON");
        yield return Transport("body not UTF-8", r => r with { Body = [.. Encoding.UTF8.GetBytes("{\"subscriptionDescription\":\"caf"), 0xE9, .. Encoding.UTF8.GetBytes("\"}")] }, Param, "body: is not valid UTF-8");
        yield return Raw("lone surrogate in a request id", "{\"subscriptionRequestId\":\"r-\\ud800\"}", Param, "subscriptionRequestId: contains a \\u escape that is not text");
        yield return Raw("NUL in a notification URL", "{\"subscriptionNotificationUrl\":\"http://m.example/\\u0000\"}", Param, "subscriptionNotificationUrl: contains a \\u escape that is not text: NUL");
        yield return Raw("lone low surrogate in a nested field", "{\"paymentMethod\":{\"paymentMethodType\":\"GCASH\",\"customerId\":\"\\udc00x\"}}", Param, "paymentMethod.customerId: contains a \\u escape that is not text");
        yield return Raw("1 MB body", "{\"subscriptionDescription\":\"" + new string('x', 1_000_000) + "\"}", Param, "body: must not be larger than");
        yield return Transport("missing Client-Id", r => r with { OmitClientId = true }, Param, "header Client-Id: is required");
        yield return Transport("missing Request-Time", r => r with { OmitRequestTime = true }, Param, "header Request-Time: is required");
        yield return Transport("Request-Time not a time", r => r with { RequestTime = "yesterday" }, Param, "header Request-Time: must be a time since the epoch in 10 to 19 digits");
        yield return Transport("Request-Time of 5 digits", r => r with { RequestTime = "12345" }, Param, "header Request-Time: must be a time since the epoch in 10 to 19 digits");
        yield return Transport("Request-Time of 20 digits", r => r with { RequestTime = "17959613096800445170" }, Param, "header Request-Time: must be a time since the epoch in 10 to 19 digits");
        yield return Transport("Request-Time in Arabic-Indic digits", r => r with { RequestTime = "\u0661\u0667\u0666\u0664\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660" }, Param, "header Request-Time: must be a time since the epoch in 10 to 19 digits");
        yield return Transport("missing Signature", r => r with { OmitSignature = true }, "INVALID_SIGNATURE", "header Signature is missing");
        yield return Transport("signed with a stranger's key", r => r with { Key = StrangerKey.Value }, "INVALID_SIGNATURE", "does not verify");
        yield return Transport("signature not base64", r => r with { SignatureHeader = _ => "algorithm=RSA256,keyVersion=1,signature=%%%not-base64" }, "INVALID_SIGNATURE", "not URL-encoded base64");
        yield return Transport("signature part missing", r => r with { SignatureHeader = _ => "algorithm=RSA256,keyVersion=1" }, "INVALID_SIGNATURE", "signature= part of header Signature is missing");
        yield return Transport("algorithm RSA512", r => r with { SignatureHeader = b64 => $"algorithm=RSA512,keyVersion=1,signature={TestSigner.UrlEncode(b64)}" }, "INVALID_SIGNATURE", "algorithm 'RSA512' is not supported");
        yield return Transport("unknown client id", r => r with { ClientId = "SANDBOX_UNREGISTERED" }, "UNKNOWN_CLIENT", "SANDBOX_UNREGISTERED");
        yield return Transport("key version 2", r => r with { SignatureHeader = b64 => $"algorithm=RSA256,keyVersion=2,signature={TestSigner.UrlEncode(b64)}" }, "KEY_NOT_FOUND", "no key version '2'");
    }

    private static readonly Lazy<System.Security.Cryptography.RSA> StrangerKey = new(() => System.Security.Cryptography.RSA.Create(2048));

    private static MalformedRequestCase Create(string name, Action<JsonObject, DateTimeOffset> mutate, string message) => new(name, "create", mutate, Param, message);

    private static MalformedRequestCase Change(string name, Action<JsonObject, DateTimeOffset> mutate, string message) => new(name, "change", mutate, Param, message);

    private static MalformedRequestCase Update(string name, Action<JsonObject, DateTimeOffset> mutate, string message) => new(name, "update", mutate, Param, message);

    private static MalformedRequestCase Refund(string name, Action<JsonObject, DateTimeOffset> mutate, string message) => new(name, "refund", mutate, Param, message);

    private static MalformedRequestCase Cancel(string name, Action<JsonObject, DateTimeOffset> mutate, string message) => new(name, "cancel", mutate, Param, message);

    private static MalformedRequestCase Transport(string name, Func<SignedRequest, SignedRequest> transport, string code, string message) =>
        new(name, "create", (_, _) => { }, code, message, transport);

    private static MalformedRequestCase Raw(string name, string body, string code, string message) =>
        new(name, "create", (_, _) => { }, code, message, r => r with { Body = Encoding.UTF8.GetBytes(body) });

    private static string Iso(DateTimeOffset time) => time.ToString("yyyy-MM-dd'T'HH:mm:sszzz");

    private static JsonArray Trials(params (int Start, int? End, string Value)[] trials) =>
        new([.. trials.Select(t => (JsonNode)new JsonObject
        {
            ["trialStartPeriod"] = t.Start,
            ["trialEndPeriod"] = t.End,
            ["trialAmount"] = Bodies.Amount("PHP", t.Value),
        })]);

    private static void Remove(JsonObject body, string path)
    {
        var (parent, name) = Navigate(body, path);
        parent.Remove(name);
    }

    private static void Set(JsonObject body, string path, JsonNode? value)
    {
        var (parent, name) = Navigate(body, path);
        parent[name] = value;
    }

    private static (JsonObject Parent, string Name) Navigate(JsonObject body, string path)
    {
        var parts = path.Split('.');
        var node = body;
        foreach (var part in parts[..^1])
        {
            node = node[part] as JsonObject ?? (JsonObject)(node[part] = new JsonObject());
        }

        return (node, parts[^1]);
    }
}
