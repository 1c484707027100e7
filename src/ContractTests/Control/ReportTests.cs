using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;
using CsvHelper;

namespace ContractTests.Control;

/// <summary>
/// The transaction details report (SPEC §6; docs/emulation.md "Reconciliation reports"): what a merchant's reconciliation job reads
/// for a day, from the payments and refunds the wire and the time machine made.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class ReportTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Jan31 = new(2027, 1, 31, 10, 0, 0, TimeSpan.Zero);

    private static readonly string[] Header =
    [
        "customerId", "PSP", "transactionId", "originalTransactionId", "transactionRequestId", "referenceTransactionId",
        "paymentMethodType", "transactionType", "transactionTime", "transactionAmountValue", "transactionCurrency",
        "settlementAmountValue", "settlementCurrency", "orderDescription",
    ];

    private static async Task<(string FileName, List<string[]> Rows, string Text)> ReportAsync(MerchantHarness m, string? date)
    {
        using var response = await m.Http.GetAsync($"{m.Control}/reports/transactions" + (date is null ? "" : $"?date={date}"));
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/csv");
        text.Should().EndWith("\n<END>\n", "Antom's report files end with an <END> line (SPEC §6.2)");
        using var csv = new CsvReader(new StringReader(text[..^"<END>\n".Length]), CultureInfo.InvariantCulture);
        var rows = new List<string[]>();
        while (await csv.ReadAsync())
        {
            rows.Add([.. Enumerable.Range(0, csv.Parser.Count).Select(i => csv.GetField(i)!)]);
        }

        return (response.Content.Headers.ContentDisposition!.FileName!.Trim('"'), rows, text);
    }

    [Fact]
    public async Task TransactionDetails_OfADay_ListItsPaymentsAndRefunds_InMajorUnits_ThenEnd()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var body = MerchantHarness.Body(Jan31);
        body["subscriptionDescription"] = "Premium, \"family\" plan";
        var requestId = (string)body["subscriptionRequestId"]!;
        var subscriptionId = await m.CreateAndApproveAsync(body);
        var first = (string)((JsonArray)(await m.SubscriptionAsync(subscriptionId))["phases"]!)[0]!["paymentId"]!;
        await m.AdvanceAsync("PT2H");
        var refund = Bodies.Refund(first, "5050", "rfd-report-1");
        var refunded = await m.Client.CallAsync(m.Merchant, "refund", refund);
        refunded.ResultCode.Should().Be("SUCCESS", refunded.ResultMessage);
        await m.AdvanceToAsync(Jan31.AddMonths(1));
        var second = (string)((JsonArray)(await m.SubscriptionAsync(subscriptionId))["phases"]!)[1]!["paymentId"]!;

        var (name, rows, _) = await ReportAsync(m, "2027-01-31");
        var (_, quiet, quietText) = await ReportAsync(m, "2027-02-01");
        var (_, renewal, _) = await ReportAsync(m, "2027-02-27");

        name.Should().Be("transactionItems_20270131_000.csv");
        rows[0].Should().Equal(Header);
        rows.Skip(1).Select(r => string.Join("|", r)).Should().Equal(
        [
            $"{m.Merchant.ClientId}|GCASH|{first}||{subscriptionId}|{requestId}|GCASH|PAYMENT|2027-01-31T10:00:00+00:00|199.00|PHP|199.00|PHP|Premium, \"family\" plan",
            $"{m.Merchant.ClientId}|GCASH|{(string)refunded.Json["refundId"]!}|{first}|rfd-report-1||GCASH|REFUND|2027-01-31T12:00:00+00:00|50.50|PHP|-50.50|PHP|Premium, \"family\" plan",
        ], "the day's payment and its refund, in time order, the refund's settlement negative");
        quiet.Should().ContainSingle("a day without transactions has the header alone").Which.Should().Equal(Header);
        quietText.Should().NotContain("2027-01-31");
        renewal.Skip(1).Select(r => $"{r[2]} {r[7]} {r[8]} {r[9]}").Should().Equal([$"{second} PAYMENT 2027-02-27T10:00:00+00:00 199.00"],
            "phase 2 is charged 24 h before it starts");
    }

    [Fact]
    public async Task TransactionDetails_LeaveOutFailedPayments_AndWriteEachCurrencyWithItsOwnDigits()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31, "JPY", "1500"));
        await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31, "KWD", "12345"));
        var declined = MerchantHarness.Body(Jan31);
        var failed = await m.Client.CallAsync(m.Merchant, "create", declined);
        failed.ResultCode.Should().Be("SUCCESS");
        (await m.Http.PostAsJsonAsync($"{m.Control}/faults", new { target = "deduction", resultCode = "USER_BALANCE_NOT_ENOUGH" })).StatusCode.Should().Be(HttpStatusCode.Created);
        await m.Typed.ApproveSubscriptionRequestAsync(m.Merchant.ClientId, (string)declined["subscriptionRequestId"]!);

        var (_, rows, _) = await ReportAsync(m, null);

        rows.Skip(1).Select(r => $"{r[9]} {r[10]} {r[11]}").Should().BeEquivalentTo(["1500 JPY 1500", "12.345 KWD 12.345"],
            "a failed payment moved no money; yen have no minor unit and dinars three (SPEC §2.1)");
    }

    [Fact]
    public async Task Dashboard_MerchantPage_DownloadsTheReportOfTheMerchantsDay()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        var subscriptionId = await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));

        var page = await m.Http.GetStringAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}");

        var form = System.Text.RegularExpressions.Regex.Match(page, "<form id=\"report\" method=\"get\" action=\"([^\"]+)\"[^>]*>.*?name=\"date\" value=\"([^\"]+)\"");
        form.Success.Should().BeTrue("the merchant's page offers the day's report");
        form.Groups[2].Value.Should().Be("2027-01-31", "the day defaults to today on the merchant's clock");
        var csv = await m.Http.GetStringAsync($"{System.Net.WebUtility.HtmlDecode(form.Groups[1].Value)}?date={form.Groups[2].Value}");
        csv.Should().Contain($",PAYMENT,2027-01-31T10:00:00+00:00,199.00,PHP,").And.Contain(subscriptionId);
    }

    [Fact]
    public async Task TransactionDetails_RefuseADayNotWrittenAsOne_AndAnUnknownMerchant()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);

        var bad = await m.Http.GetAsync($"{m.Control}/reports/transactions?date=31-01-2027");
        var unknown = await m.Http.GetAsync("/_emulator/v1/merchants/NOBODY_REPORTS/reports/transactions?date=2027-01-31");

        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).Should().Contain("yyyy-MM-dd").And.Contain("31-01-2027");
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("transactions")]
    [InlineData("settlements")]
    [InlineData("settlement-summary")]
    public async Task Reports_OfTheCalendarsLastDay_AreTheHeaderAlone_NotA500(string report)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        (await m.Http.PutAsJsonAsync(m.Control, new { publicKey = Convert.ToBase64String(TestMerchant.SharedKey.ExportSubjectPublicKeyInfo()), subscriptionNotificationUrl = m.Receiver.SubscriptionUrl, paymentNotificationUrl = m.Receiver.PaymentUrl, settlement = new { cycleDays = 0 } })).EnsureSuccessStatusCode();
        await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));

        var response = await m.Http.GetAsync($"{m.Control}/reports/{report}?date=9999-12-31");
        var text = await response.Content.ReadAsStringAsync();

        response.StatusCode.Should().Be(HttpStatusCode.OK, "found by the control fuzz: the day after the last one cannot be made, and the report answered 500");
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCountLessThanOrEqualTo(3).And.EndWith("<END>");
    }
}
