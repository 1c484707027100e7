using System.Globalization;
using System.Text.Json.Nodes;
using Bogus;
using ContractTests.Support;
using CsvHelper;

namespace ContractTests.Protocol;

/// <summary>
/// A create as each market's merchants write one: the market's payment method and currency, an amount in that
/// currency's minor units, and a description in the market's language (made by Bogus from its locale, with the commas,
/// quotes and dashes product names carry). Each is followed through everything that gives the merchant something back:
/// the approval, a renewal, inquireSubscription, inquireSubscriptionPayment, notifyPayment, the day's transaction
/// report and the next day's settlement details, where the description and the amount must come back as sent. Bogus has
/// no Thai locale, so Thailand's descriptions end with a Thai phrase of their own.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class MarketsTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Start = new(2027, 4, 10, 3, 0, 0, TimeSpan.Zero);

    /// <summary>Payment method, currency, its minor-unit digits (ISO 4217), and the Bogus locale of its market's language.</summary>
    public static TheoryData<string, string, int, string> Markets => new()
    {
        { "ALIPAY_CN", "CNY", 2, "zh_CN" },
        { "ALIPAY_HK", "HKD", 2, "zh_TW" },
        { "DANA", "IDR", 2, "id_ID" },
        { "PAYPAY", "JPY", 0, "ja" },
        { "KAKAOPAY", "KRW", 0, "ko" },
        { "NAVERPAY", "KRW", 0, "ko" },
        { "ZALOPAY", "VND", 0, "vi" },
        { "GCASH", "PHP", 2, "en" },
        { "MAYA", "PHP", 2, "en" },
        { "GRABPAY_PH", "PHP", 2, "en" },
        { "TNG", "MYR", 2, "en" },
        { "BOOST", "MYR", 2, "en" },
        { "GRABPAY_MY", "MYR", 2, "en" },
        { "GRABPAY_SG", "SGD", 2, "en" },
        { "TRUEMONEY", "THB", 2, "en" },
        { "RABBIT_LINE_PAY", "THB", 2, "en" },
        { "BKASH", "BDT", 2, "en" },
        { "EASYPAISA", "PKR", 2, "en" },
        { "CARD", "USD", 2, "en_US" },
    };

    [Theory]
    [MemberData(nameof(Markets))]
    public async Task RealisticCreate_OfEachMarket_ComesBackAsSent_InInquiriesNotificationsAndTheReport(string method, string currency, int digits, string locale)
    {
        var faker = new Faker(locale) { Random = new Randomizer(Seed(method)) };
        var description = $"{faker.Commerce.ProductName()}, \"{faker.Commerce.ProductAdjective()}\" — {faker.Lorem.Sentence(6)} ({faker.Name.FullName()}, {faker.Address.City()})";
        description = description[..Math.Min(description.Length, 220)] + (currency == "THB" ? " แพ็กเกจรายเดือน ราคาพิเศษ" : "");
        // IDR is whole rupiah (a multiple of 100 minor units); the others any positive number of minor units.
        var value = (faker.Random.Int(1, 4_000) * (currency == "IDR" ? 10_000 : digits == 0 ? 10 : 100) + (currency == "IDR" ? 0 : faker.Random.Int(0, 99))).ToString(CultureInfo.InvariantCulture);
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Start);
        var body = MerchantHarness.Body(Start, currency, value);
        body["subscriptionDescription"] = description;
        body["paymentMethod"] = method == "CARD"
            ? new JsonObject { ["paymentMethodType"] = method, ["paymentMethodId"] = faker.Random.AlphaNumeric(32) }
            : new JsonObject { ["paymentMethodType"] = method };
        body["env"] = new JsonObject { ["terminalType"] = "APP", ["osType"] = faker.PickRandom("IOS", "ANDROID") };

        var subscriptionId = await m.CreateAndApproveAsync(body);
        await m.AdvanceAsync("P1M");
        var inquiry = await m.Client.CallAsync(m.Merchant, "inquireSubscription", new JsonObject { ["subscriptionId"] = subscriptionId });
        var payments = await m.Client.CallAsync(m.Merchant, "inquireSubscriptionPayment", new JsonObject { ["subscriptionId"] = subscriptionId });
        var notified = m.Payments(subscriptionId);
        var report = await ReportRowsAsync(m, $"transactions?date={Start.UtcDateTime:yyyy-MM-dd}");
        var settlement = await ReportRowsAsync(m, $"settlements?date={Start.UtcDateTime.AddDays(1):yyyy-MM-dd}");

        inquiry.ResultCode.Should().Be("SUCCESS", inquiry.ResultMessage);
        var subscription = inquiry.Json["subscription"]!;
        ((string)subscription["subscriptionDescription"]!).Should().Be(description);
        ((string)subscription["paymentMethod"]!["paymentMethodType"]!).Should().Be(method);
        ((string)subscription["paymentAmount"]!["value"]!, (string)subscription["paymentAmount"]!["currency"]!).Should().Be((value, currency));
        payments.Json["payments"]!.AsArray().Select(t => ((string)t!["paymentAmount"]!["value"]!, (string)t["paymentAmount"]!["currency"]!))
            .Should().Equal((value, currency), (value, currency));
        notified.Select(n => (n.PhaseNo, n.AmountValue, (string?)n.Json["paymentAmount"]!["currency"], n.SignatureValid))
            .Should().Equal((1, value, currency, true), (2, value, currency, true));
        var row = report.Should().ContainSingle(r => r["transactionId"] == notified[0].PaymentId).Subject;
        (row["paymentMethodType"], row["transactionCurrency"], row["orderDescription"]).Should().Be((method, currency, description));
        row["transactionAmountValue"].Should().Be(MajorUnits(value, digits), "the report writes amounts in major units");
        var settled = settlement.Should().ContainSingle(r => r["transactionId"] == notified[0].PaymentId, "the first day's payment settles the next day").Subject;
        (settled["settlementAmountValue"], settled["settlementCurrency"], settled["orderDescription"]).Should().Be((MajorUnits(value, digits), currency, description));
    }

    /// <summary>A report of the merchant's (<paramref name="report"/>: its path and query), read as a reconciliation job reads it.</summary>
    private static async Task<List<Dictionary<string, string>>> ReportRowsAsync(MerchantHarness m, string report)
    {
        var text = await m.Http.GetStringAsync($"{m.Control}/reports/{report}");
        using var csv = new CsvReader(new StringReader(text[..^"<END>\n".Length]), CultureInfo.InvariantCulture);
        await csv.ReadAsync();
        csv.ReadHeader();
        var rows = new List<Dictionary<string, string>>();
        while (await csv.ReadAsync())
        {
            rows.Add(csv.HeaderRecord!.ToDictionary(h => h, h => csv.GetField(h)!));
        }

        return rows;
    }

    private static string MajorUnits(string minorUnits, int digits) =>
        (decimal.Parse(minorUnits, CultureInfo.InvariantCulture) / (decimal)Math.Pow(10, digits)).ToString("F" + digits, CultureInfo.InvariantCulture);

    /// <summary>A seed of the method's name that is the same in every run (string.GetHashCode is not).</summary>
    private static int Seed(string method) => method.Aggregate(17, (seed, c) => unchecked((seed * 31) + c));
}
