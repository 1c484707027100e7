using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContractTests.Support;
using CsvHelper;

namespace ContractTests.Control;

/// <summary>
/// The settlement details and summary reports (SPEC §6.1, §6.3, §6.4; docs/emulation.md "Reconciliation reports"): the batches a
/// merchant's payments and refunds settle in, per settlement day and currency, under the merchant's settlement cycle,
/// fee rate and quotes, from calls made on the wire and time moved by the time machine.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class SettlementReportTests(EmulatorFactory factory)
{
    private static readonly DateTimeOffset Jan31 = new(2027, 1, 31, 10, 0, 0, TimeSpan.Zero);

    private static readonly string[] DetailsHeader =
    [
        "settlementBatchId", "customerId", "PSP", "transactionId", "originalTransactionId", "transactionRequestId",
        "referenceTransactionId", "paymentMethodType", "transactionType", "transactionTime", "settlementTime",
        "transactionAmountValue", "transactionCurrency", "settlementAmountValue", "settlementCurrency", "quoteCurrencyPair",
        "quotePrice", "feeAmountValue", "feeCurrency", "taxFeeAmountValue", "taxFeeCurrency", "processingFeeAmountValue",
        "processingFeeCurrency", "nonGuaranteeCouponValue", "nonGuaranteeCouponCurrency", "disputeHandlingFee",
        "disputeHandlingFeeCurrency", "disputeReverseFee", "disputeReverseFeeCurrency", "interchangeFeeAmountValue",
        "interchangeFeeCurrency", "schemeFeeAmountValue", "schemeFeeCurrency", "acquirerMarkupAmountValue",
        "acquirerMarkupCurrency", "orderDescription",
    ];

    private static readonly string[] SummaryHeader =
    [
        "settlementBatchId", "customerId", "PSP", "summaryType", "settlementTime", "count", "settlementAmountValue",
        "settlementCurrency", "feeAmountValue", "feeCurrency", "taxFeeAmountValue", "taxFeeCurrency",
        "processingFeeAmountValue", "processingFeeCurrency", "nonGuaranteeCouponValue", "nonGuaranteeCouponCurrency",
        "disputeHandlingFee", "disputeHandlingFeeCurrency", "disputeReverseFee", "disputeReverseFeeCurrency",
        "interchangeFeeAmountValue", "interchangeFeeCurrency", "schemeFeeAmountValue", "schemeFeeCurrency",
        "acquirerMarkupAmountValue", "acquirerMarkupCurrency",
    ];

    private sealed record Report(string FileName, string[] Header, List<string[]> Rows, string Text);

    private static async Task<Report> FetchAsync(MerchantHarness m, string report, string query)
    {
        using var response = await m.Http.GetAsync($"{m.Control}/reports/{report}?{query}");
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

        return new Report(response.Content.Headers.ContentDisposition!.FileName!.Trim('"'), rows[0], rows.Skip(1).ToList(), text);
    }

    private static Task<HttpResponseMessage> PutSettlementAsync(MerchantHarness m, object settlement) =>
        m.Http.PutAsJsonAsync(m.Control, new
        {
            publicKey = Convert.ToBase64String(TestMerchant.SharedKey.ExportSubjectPublicKeyInfo()),
            subscriptionNotificationUrl = m.Receiver.SubscriptionUrl,
            paymentNotificationUrl = m.Receiver.PaymentUrl,
            settlement,
        });

    private static async Task SettleWithAsync(MerchantHarness m, object settlement)
    {
        using var response = await PutSettlementAsync(m, settlement);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private static async Task<string> FirstPaymentAsync(MerchantHarness m, string subscriptionId) =>
        (string)((JsonArray)(await m.SubscriptionAsync(subscriptionId))["phases"]!)[0]!["paymentId"]!;

    private static async Task<string> RefundAsync(MerchantHarness m, string paymentId, string value, string requestId)
    {
        var refunded = await m.Client.CallAsync(m.Merchant, "refund", Bodies.Refund(paymentId, value, requestId));
        refunded.ResultCode.Should().Be("SUCCESS", refunded.ResultMessage);
        return (string)refunded.Json["refundId"]!;
    }

    private static string Zeros(string zero, string currency) => string.Join("|", Enumerable.Repeat($"{zero}|{currency}", 8));

    [Fact]
    public async Task SettlementReports_OfTheDayTheCycleSettles_ListTheBatch_WithFeesChargedAndReturned()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        await SettleWithAsync(m, new { cycleDays = 2, feeRate = "0.029" });
        var body = MerchantHarness.Body(Jan31);
        var requestId = (string)body["subscriptionRequestId"]!;
        var subscriptionId = await m.CreateAndApproveAsync(body);
        var payment = await FirstPaymentAsync(m, subscriptionId);
        await m.AdvanceAsync("PT2H");
        var refund = await RefundAsync(m, payment, "5050", "rfd-settle-1");
        var client = m.Merchant.ClientId;

        var details = await FetchAsync(m, "settlements", "date=2027-02-02");
        var summary = await FetchAsync(m, "settlement-summary", "date=2027-02-02");
        var again = await FetchAsync(m, "settlements", "date=2027-02-02&currency=PHP");
        var dayBefore = await FetchAsync(m, "settlements", "date=2027-02-01");
        var summaryBefore = await FetchAsync(m, "settlement-summary", "date=2027-02-01");

        var batch = details.Rows[0][0];
        batch.Should().MatchRegex("^20270202[0-9]{11}$", "a batch id is 19 digits, here the settlement date and 11 more");
        details.FileName.Should().Be($"settlementItems_PHP_{batch}_000.csv");
        summary.FileName.Should().Be($"settlementSummary_PHP_{batch}_000.csv");
        details.Header.Should().Equal(DetailsHeader);
        summary.Header.Should().Equal(SummaryHeader);
        details.Rows.Select(r => string.Join("|", r)).Should().Equal(
        [
            $"{batch}|{client}|GCASH|{payment}||{subscriptionId}|{requestId}|GCASH|PAYMENT|2027-01-31T10:00:00+00:00|2027-02-02T00:00:00+00:00|199.00|PHP|199.00|PHP|||-5.77|PHP|{Zeros("0.00", "PHP")}|Emulator Premium, monthly",
            $"{batch}|{client}|GCASH|{refund}|{payment}|rfd-settle-1||GCASH|REFUND|2027-01-31T12:00:00+00:00|2027-02-02T00:00:00+00:00|50.50|PHP|-50.50|PHP|||1.46|PHP|{Zeros("0.00", "PHP")}|Emulator Premium, monthly",
        ], "Jan 31's transactions settle 2 days later; the fee is 2.9 % of 199.00 = 5.771, charged as -5.77, and the refund returns its share of it, 5.77 × 50.50 / 199.00 = 1.464");
        summary.Rows.Select(r => string.Join("|", r)).Should().Equal(
        [
            $"{batch}|{client}|GCASH|TOTAL|2027-02-02T00:00:00+00:00|2|148.50|PHP|-4.31|PHP|{Zeros("0.00", "PHP")}",
            $"{batch}|{client}|GCASH|PAYMENT|2027-02-02T00:00:00+00:00|1|199.00|PHP|-5.77|PHP|{Zeros("0.00", "PHP")}",
            $"{batch}|{client}|GCASH|REFUND|2027-02-02T00:00:00+00:00|1|-50.50|PHP|1.46|PHP|{Zeros("0.00", "PHP")}",
        ], "the TOTAL row sums settlement and fee apart, then one row per transaction type (SPEC §6.3)");
        again.Text.Should().Be(details.Text, "the same batch has the same bytes on every fetch");
        dayBefore.Rows.Should().BeEmpty("with a 2-day cycle nothing of Jan 30 or before settles on Feb 1");
        dayBefore.FileName.Should().Be("settlementItems_XXX_0000000000000000000_000.csv", "a day without transactions has the zero batch id (SPEC §6.1)");
        dayBefore.Header.Should().Equal(DetailsHeader);
        summaryBefore.Rows.Should().BeEmpty();
        summaryBefore.Text.Should().Be(string.Join(",", SummaryHeader) + "\n<END>\n", "a day without a batch gives the header alone");
    }

    [Fact]
    public async Task SettlementReports_OfADayWithSeveralCurrencies_WantTheCurrency_AndRoundFeesHalfAwayFromZero()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        await SettleWithAsync(m, new { feeRate = "0.025" });
        await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31, "JPY", "1700"));
        await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31, "KWD", "12340"));
        await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31, "PHP", "19700"));

        using var unnamed = await m.Http.GetAsync($"{m.Control}/reports/settlements?date=2027-02-01");
        using var unnamedSummary = await m.Http.GetAsync($"{m.Control}/reports/settlement-summary?date=2027-02-01");
        var yen = await FetchAsync(m, "settlement-summary", "date=2027-02-01&currency=JPY");
        var dinars = await FetchAsync(m, "settlement-summary", "date=2027-02-01&currency=KWD");
        var pesos = await FetchAsync(m, "settlements", "date=2027-02-01&currency=PHP");
        var euros = await FetchAsync(m, "settlements", "date=2027-02-01&currency=EUR");

        unnamed.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await unnamed.Content.ReadAsStringAsync()).Should().Contain("JPY, KWD, PHP").And.Contain("currency=");
        unnamedSummary.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        yen.Rows.Select(r => $"{r[3]} {r[5]} {r[6]} {r[7]} {r[8]} {r[9]} {r[10]}").Should().Equal(
            ["TOTAL 1 1700 JPY -43 JPY 0", "PAYMENT 1 1700 JPY -43 JPY 0"], "2.5 % of 1700 yen is 42.5, rounded away from zero; yen have no minor unit");
        dinars.Rows[0][6..9].Should().Equal(["12.340", "KWD", "-0.309"], "2.5 % of 12.340 dinars is 0.3085, to three digits");
        pesos.Rows.Should().ContainSingle().Which[13..19].Should().Equal(["197.00", "PHP", "", "", "-4.93", "PHP"], "2.5 % of 197.00 is 4.925");
        new[] { yen.Rows[0][0], dinars.Rows[0][0], pesos.Rows[0][0] }.Should().OnlyHaveUniqueItems("each currency's batch has its own id")
            .And.OnlyContain(id => id.StartsWith("20270201", StringComparison.Ordinal));
        euros.FileName.Should().Be("settlementItems_EUR_0000000000000000000_000.csv", "no batch settles in euros that day");
        euros.Rows.Should().BeEmpty();
    }

    [Fact]
    public async Task SettlementReports_ConvertWithTheMerchantsQuote_AndSettleInTheTransactionCurrencyWithoutOne()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        await SettleWithAsync(m, new { feeRate = "0.03", quotes = new Dictionary<string, string> { ["PHP/USD"] = "0.0171" } });
        JsonObject InDollars(string currency, string value)
        {
            var body = MerchantHarness.Body(Jan31, currency, value);
            body["settlementStrategy"] = new JsonObject { ["settlementCurrency"] = "USD" };
            return body;
        }

        var monthly = await m.CreateAndApproveAsync(InDollars("PHP", "19900"));
        var payment = await FirstPaymentAsync(m, monthly);
        var other = await FirstPaymentAsync(m, await m.CreateAndApproveAsync(InDollars("PHP", "15000")));
        var yenPayment = await FirstPaymentAsync(m, await m.CreateAndApproveAsync(InDollars("JPY", "1500")));
        await m.AdvanceAsync("PT2H");
        var refund = await RefundAsync(m, payment, "5050", "rfd-settle-usd");

        var dollars = await FetchAsync(m, "settlements", "date=2027-02-01&currency=USD");
        var dollarSummary = await FetchAsync(m, "settlement-summary", "date=2027-02-01&currency=USD");
        var yen = await FetchAsync(m, "settlement-summary", "date=2027-02-01&currency=JPY");
        using var transactions = await m.Http.GetAsync($"{m.Control}/reports/transactions?date=2027-01-31");
        var transactionText = await transactions.Content.ReadAsStringAsync();

        dollars.Rows.Select(r => $"{r[3]} {r[11]} {r[12]} {r[13]} {r[14]} {r[15]} {r[16]} {r[17]} {r[18]}").Should().BeEquivalentTo(
        [
            $"{payment} 199.00 PHP 3.40 USD PHP/USD 0.0171 -0.10 USD",
            $"{other} 150.00 PHP 2.57 USD PHP/USD 0.0171 -0.08 USD",
            $"{refund} 50.50 PHP -0.86 USD PHP/USD 0.0171 0.03 USD",
        ], "199.00 × 0.0171 = 3.4029; 150.00 × 0.0171 = 2.565, rounded away from zero; fees 3 % of the dollars; the refund settles and returns its share of the payment's 3.40 and 0.10");
        dollarSummary.Rows.Select(r => $"{r[3]} {r[5]} {r[6]} {r[7]} {r[8]}").Should().Equal(
            ["TOTAL 3 5.11 USD -0.15", "PAYMENT 2 5.97 USD -0.18", "REFUND 1 -0.86 USD 0.03"]);
        yen.Rows.Select(r => $"{r[3]} {r[5]} {r[6]} {r[7]} {r[8]}").Should().Equal(
            ["TOTAL 1 1500 JPY -45", "PAYMENT 1 1500 JPY -45"], "without a JPY/USD quote yen settle as yen");
        var lines = transactionText.Split('\n');
        lines.Should().Contain(l => l.Contains($"{payment},,", StringComparison.Ordinal) && l.Contains(",199.00,PHP,3.40,USD,", StringComparison.Ordinal),
            "the transaction details settle as the settlement details do");
        lines.Should().Contain(l => l.Contains($"{yenPayment},,", StringComparison.Ordinal) && l.Contains(",1500,JPY,1500,JPY,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SettlementReports_APaymentRefundedInParts_GivesBackExactlyItsSettlementAndFee()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        await SettleWithAsync(m, new { feeRate = "0.029" });
        var payment = await FirstPaymentAsync(m, await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31)));
        await m.AdvanceAsync("PT1H");
        var first = await RefundAsync(m, payment, "9950", "rfd-half-1");
        await m.AdvanceAsync("PT1H");
        var second = await RefundAsync(m, payment, "9950", "rfd-half-2");

        var details = await FetchAsync(m, "settlements", "date=2027-02-01");
        var summary = await FetchAsync(m, "settlement-summary", "date=2027-02-01");

        details.Rows.Select(r => $"{r[3]} {r[8]} {r[13]} {r[17]}").Should().Equal(
        [
            $"{payment} PAYMENT 199.00 -5.77",
            $"{first} REFUND -99.50 2.89",
            $"{second} REFUND -99.50 2.88",
        ], "half of the 5.77 fee is 2.885: the first half rounds up, the second gets what is left, not 2.89 again");
        summary.Rows[0][3..9].Should().Equal(["TOTAL", "2027-02-01T00:00:00+00:00", "3", "0.00", "PHP", "0.00"], "a payment refunded in full nets to nothing");
    }

    [Fact]
    public async Task SettlementReports_RefuseABadDayOrCurrency()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);

        using var day = await m.Http.GetAsync($"{m.Control}/reports/settlements?date=2027-2-1");
        using var lower = await m.Http.GetAsync($"{m.Control}/reports/settlement-summary?currency=usd");
        using var unknown = await m.Http.GetAsync($"{m.Control}/reports/settlements?currency=ABC");
        using var nobody = await m.Http.GetAsync("/_emulator/v1/merchants/NOBODY_SETTLES/reports/settlement-summary");

        day.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await day.Content.ReadAsStringAsync()).Should().Contain("yyyy-MM-dd").And.Contain("2027-2-1");
        lower.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await lower.Content.ReadAsStringAsync()).Should().Contain("ISO 4217").And.Contain("'usd'");
        unknown.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        nobody.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("""{"feeRate":"-0.01"}""", "settlement.feeRate")]
    [InlineData("""{"feeRate":"1.5"}""", "settlement.feeRate")]
    [InlineData("""{"feeRate":"2.9%"}""", "settlement.feeRate")]
    [InlineData("""{"cycleDays":-1}""", "settlement.cycleDays")]
    [InlineData("""{"cycleDays":31}""", "settlement.cycleDays")]
    [InlineData("""{"quotes":{"PHP/XYZ":"1"}}""", "PHP/XYZ")]
    [InlineData("""{"quotes":{"PHPUSD":"1"}}""", "PHPUSD")]
    [InlineData("""{"quotes":{"PHP/PHP":"1"}}""", "two different")]
    [InlineData("""{"quotes":{"PHP/USD":"0"}}""", "positive")]
    [InlineData("""{"quotes":{"PHP/USD":"-0.0171"}}""", "positive")]
    public async Task MerchantSettlementSettings_OutOfRange_AreRefusedSayingWhatToFix(string settlement, string named)
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);

        using var response = await PutSettlementAsync(m, JsonNode.Parse(settlement)!);
        var merchant = await m.Http.GetFromJsonAsync<JsonObject>(m.Control);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await response.Content.ReadAsStringAsync()).Should().Contain(named);
        merchant!["settlement"]!.ToJsonString().Should().Be("""{"cycleDays":1,"feeRate":"0","quotes":{}}""", "a refused PUT changes nothing");
    }

    [Fact]
    public async Task MerchantSettlementSettings_AreShownAsSet_AndADefaultWhenLeftOut()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);

        await SettleWithAsync(m, new { cycleDays = 0, feeRate = "0.0290", quotes = new Dictionary<string, string> { ["PHP/USD"] = "0.0171", ["JPY/USD"] = "0.0064" } });
        var set = await m.Http.GetFromJsonAsync<JsonObject>(m.Control);
        await SettleWithAsync(m, new { feeRate = "0.01" });
        var partial = await m.Http.GetFromJsonAsync<JsonObject>(m.Control);

        set!["settlement"]!.ToJsonString().Should().Be("""{"cycleDays":0,"feeRate":"0.0290","quotes":{"JPY/USD":"0.0064","PHP/USD":"0.0171"}}""");
        partial!["settlement"]!.ToJsonString().Should().Be("""{"cycleDays":1,"feeRate":"0.01","quotes":{}}""", "a PUT replaces the merchant: what it leaves out is the default");
    }

    [Fact]
    public async Task SettlementReports_WithASameDayCycle_ListOnlyWhatHappenedByNowOnTheMerchantsClock()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        await SettleWithAsync(m, new { cycleDays = 0 });
        var payment = await FirstPaymentAsync(m, await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31)));
        var before = await FetchAsync(m, "settlements", "");
        await m.AdvanceAsync("PT1H");
        await RefundAsync(m, payment, "100", "rfd-same-day");

        var after = await FetchAsync(m, "settlements", "");

        before.Rows.Select(r => r[8]).Should().Equal(["PAYMENT"], "without a date it is today's batch on the merchant's clock");
        after.Rows.Select(r => $"{r[8]} {r[10]}").Should().Equal(["PAYMENT 2027-01-31T00:00:00+00:00", "REFUND 2027-01-31T00:00:00+00:00"]);
        after.Rows[0][0].Should().Be(before.Rows[0][0], "the batch of a day keeps its id as it grows");
    }

    [Fact]
    public async Task Dashboard_MerchantPage_OffersTheSettlementReportsOfTheDay()
    {
        await using var m = await MerchantHarness.StartAsync(factory.CreateClient(), Jan31);
        await m.CreateAndApproveAsync(MerchantHarness.Body(Jan31));
        await m.AdvanceAsync("P1D");

        var page = await m.Http.GetStringAsync($"/_emulator/ui/merchants/{m.Merchant.ClientId}");

        var actions = System.Text.RegularExpressions.Regex.Matches(page, "formaction=\"([^\"]+)\"").Select(x => System.Net.WebUtility.HtmlDecode(x.Groups[1].Value)).ToList();
        actions.Should().Equal($"{m.Control}/reports/settlements", $"{m.Control}/reports/settlement-summary");
        page.Should().MatchRegex("<form id=\"report\"[^>]*>.*name=\"currency\"");
        (await m.Http.GetStringAsync($"{actions[1]}?date=2027-02-01&currency=")).Should().Contain(",TOTAL,2027-02-01T00:00:00+00:00,1,199.00,PHP,0.00,PHP,",
            "the form sends an empty currency when none is typed in");
    }
}
