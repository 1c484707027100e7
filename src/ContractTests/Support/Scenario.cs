using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ContractTests.Support;

/// <summary>Short paths through the lifecycle for tests that are about what comes after.</summary>
public sealed class Scenario(AntomTestClient client, EmulatorFactory factory)
{
    public DateTimeOffset Now => factory.Time.GetUtcNow();

    public async Task<(TestMerchant Merchant, string RequestId)> CreatePendingAsync(TestMerchant? merchant = null, DateTimeOffset? start = null)
    {
        merchant ??= await TestMerchant.CreateAsync(client.Http);
        var body = Bodies.Create(start ?? Now);
        var reply = await client.CallAsync(merchant, "create", body);
        reply.ResultCode.Should().Be("SUCCESS", reply.ResultMessage);
        return (merchant, (string)body["subscriptionRequestId"]!);
    }

    public async Task<(TestMerchant Merchant, string SubscriptionId)> CreateActiveAsync(TestMerchant? merchant = null, DateTimeOffset? start = null)
    {
        var (m, requestId) = await CreatePendingAsync(merchant, start);
        var approved = await client.Http.PostAsync($"/_emulator/v1/merchants/{m.ClientId}/subscription-requests/{requestId}/approve", null);
        approved.EnsureSuccessStatusCode();
        var subscription = await approved.Content.ReadFromJsonAsync<JsonObject>();
        return (m, (string)subscription!["subscriptionId"]!);
    }

    public async Task<JsonObject> GetAsync(TestMerchant merchant, string subscriptionId) =>
        (await client.Http.GetFromJsonAsync<JsonObject>($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions/{subscriptionId}"))!;

    public async Task<JsonObject> GetByRequestIdAsync(TestMerchant merchant, string requestId) =>
        (await client.Http.GetFromJsonAsync<JsonArray>($"/_emulator/v1/merchants/{merchant.ClientId}/subscriptions?subscriptionRequestId={requestId}"))!.Single()!.AsObject();

    public async Task<string> StatusAsync(TestMerchant merchant, string subscriptionId) => (string)(await GetAsync(merchant, subscriptionId))["status"]!;
}
