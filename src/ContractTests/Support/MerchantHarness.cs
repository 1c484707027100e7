using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ContractTests.Support;

/// <summary>
/// A merchant with its own frozen clock and a receiver for its notifications: what time and notification tests
/// stand on. Time moves only through <c>clock/advance</c>.
/// </summary>
public sealed class MerchantHarness : IAsyncDisposable
{
    private MerchantHarness(AntomTestClient client, NotificationInbox receiver, TestMerchant merchant)
    {
        Client = client;
        Receiver = receiver;
        Merchant = merchant;
    }

    public AntomTestClient Client { get; }

    public HttpClient Http => Client.Http;

    public NotificationInbox Receiver { get; }

    public TestMerchant Merchant { get; }

    public string Control => $"/_emulator/v1/merchants/{Merchant.ClientId}";

    /// <summary>The typed control client generated from the committed OpenAPI document.</summary>
    public Generated.EmulatorControlClient Typed => new(Http);

    public static async Task<MerchantHarness> StartAsync(HttpClient http, DateTimeOffset frozenAt)
    {
        var receiver = await NotificationInbox.StartAsync(Fixtures.AntomPublicKey);
        var merchant = await TestMerchant.CreateAsync(http, receiver, frozenAt);
        return new MerchantHarness(new AntomTestClient(http), receiver, merchant);
    }

    /// <summary>A valid create body starting at <paramref name="start"/>, notifications going to the merchant's defaults.</summary>
    public static JsonObject Body(DateTimeOffset start, string currency = "PHP", string value = "19900")
    {
        var body = Bodies.Create(start);
        body.Remove("subscriptionNotificationUrl");
        body.Remove("paymentNotificationUrl");
        body["paymentAmount"] = Bodies.Amount(currency, value);
        body["orderInfo"] = new JsonObject { ["orderAmount"] = Bodies.Amount(currency, value) };
        return body;
    }

    public async Task<string> CreateAsync(JsonObject body)
    {
        var reply = await Client.CallAsync(Merchant, "create", body);
        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        return (string)body["subscriptionRequestId"]!;
    }

    public async Task<string> CreateAndApproveAsync(JsonObject body)
    {
        var requestId = await CreateAsync(body);
        return (await Typed.ApproveSubscriptionRequestAsync(Merchant.ClientId, requestId)).SubscriptionId!;
    }

    public async Task<JsonArray> AdvanceAsync(string by) => await AdvanceAsync(new { by });

    public async Task<JsonArray> AdvanceToAsync(DateTimeOffset to) => await AdvanceAsync(new { to });

    public async Task<JsonObject> SubscriptionAsync(string subscriptionId) =>
        (await Http.GetFromJsonAsync<JsonObject>($"{Control}/subscriptions/{subscriptionId}"))!;

    public async Task<JsonArray> NotificationsAsync(string query = "") =>
        (await Http.GetFromJsonAsync<JsonArray>($"{Control}/notifications{query}"))!;

    public async Task<DateTimeOffset> NowAsync() => (await Typed.GetClockAsync(Merchant.ClientId)).Now!.Value;

    public IReadOnlyList<ReceivedNotification> Payments(string subscriptionId) =>
        [.. Receiver.Received.Where(r => r.IsPayment && r.SubscriptionId == subscriptionId)];

    /// <summary>
    /// Holds every acknowledgement until <c>Release</c> is called, keeping the merchant's time machine busy:
    /// <c>Arrived</c> completes when the first notification reaches the receiver.
    /// </summary>
    public (Task Arrived, Action Release) HoldAnswers()
    {
        var arrived = new TaskCompletionSource();
        var held = new TaskCompletionSource();
        Receiver.Handler = _ =>
        {
            arrived.TrySetResult();
            return Task.CompletedTask;
        };
        Receiver.Answer = async _ =>
        {
            await held.Task;
            return (200, Emulator.Testing.NotificationInbox.Acknowledgement);
        };
        return (arrived.Task, () => held.TrySetResult());
    }

    public ValueTask DisposeAsync() => Receiver.DisposeAsync();

    private async Task<JsonArray> AdvanceAsync(object body)
    {
        var response = await Http.PostAsJsonAsync($"{Control}/clock/advance", body);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.Should().BeTrue(text);
        return JsonNode.Parse(text)!["events"]!.AsArray();
    }
}
