using System.Text.Json.Nodes;

namespace ContractTests.Support;

/// <summary>Valid request bodies to start from; tests change what they are about.</summary>
public static class Bodies
{
    public static JsonObject Create(DateTimeOffset now, string? requestId = null) => new()
    {
        ["subscriptionRequestId"] = requestId ?? "req-" + Guid.NewGuid().ToString("N"),
        ["subscriptionDescription"] = "Emulator Premium, monthly",
        ["subscriptionRedirectUrl"] = "https://merchant.example/return",
        ["subscriptionStartTime"] = now.ToString("yyyy-MM-dd'T'HH:mm:sszzz"),
        ["periodRule"] = new JsonObject { ["periodType"] = "MONTH", ["periodCount"] = 1 },
        ["paymentMethod"] = new JsonObject { ["paymentMethodType"] = "GCASH" },
        ["subscriptionNotificationUrl"] = "http://127.0.0.1:9/antom/subscription",
        ["paymentNotificationUrl"] = "http://127.0.0.1:9/antom/payment",
        ["orderInfo"] = new JsonObject { ["orderAmount"] = Amount("PHP", "19900") },
        ["paymentAmount"] = Amount("PHP", "19900"),
        ["env"] = new JsonObject { ["terminalType"] = "WEB" },
    };

    public static JsonObject Change(string subscriptionId, string? requestId = null) => new()
    {
        ["subscriptionChangeRequestId"] = requestId ?? "chg-" + Guid.NewGuid().ToString("N"),
        ["subscriptionId"] = subscriptionId,
        ["paymentAmount"] = Amount("PHP", "29900"),
    };

    /// <summary>An update naming only the ids, and a new amount when <paramref name="amount"/> is given.</summary>
    public static JsonObject Update(string subscriptionId, string? requestId = null, string? amount = null)
    {
        var body = new JsonObject
        {
            ["subscriptionUpdateRequestId"] = requestId ?? "upd-" + Guid.NewGuid().ToString("N"),
            ["subscriptionId"] = subscriptionId,
        };
        if (amount is not null)
        {
            body["paymentAmount"] = Amount("PHP", amount);
        }

        return body;
    }

    public static JsonObject Refund(string paymentId, string value, string? requestId = null, string currency = "PHP") => new()
    {
        ["refundRequestId"] = requestId ?? "rfd-" + Guid.NewGuid().ToString("N"),
        ["paymentId"] = paymentId,
        ["refundAmount"] = Amount(currency, value),
    };

    public static JsonObject Cancel(string subscriptionId, string type = "CANCEL") => new()
    {
        ["subscriptionId"] = subscriptionId,
        ["cancellationType"] = type,
    };

    public static JsonObject Amount(string currency, string value) => new() { ["currency"] = currency, ["value"] = value };
}
