using System.Globalization;
using System.Text.Json;
using Emulator.Domain;
using Microsoft.Data.Sqlite;

namespace Emulator.Persistence;

/// <summary>Subscriptions as JSON documents, indexed by id, merchant, request id and authorization token.</summary>
public sealed class SubscriptionStore(Database database)
{
    public async Task<Subscription?> FindAsync(string clientId, string subscriptionId, CancellationToken cancellationToken) =>
        await QueryOneAsync("client_id = $client AND subscription_id = $key", clientId, subscriptionId, cancellationToken);

    public async Task<Subscription?> FindByRequestIdAsync(string clientId, string subscriptionRequestId, CancellationToken cancellationToken) =>
        await QueryOneAsync("client_id = $client AND subscription_request_id = $key", clientId, subscriptionRequestId, cancellationToken);

    public async Task<Subscription?> FindByAuthorizationTokenAsync(string token, CancellationToken cancellationToken) =>
        await QueryOneAsync("authorization_token = $key", null, token, cancellationToken);

    public async Task<IReadOnlyList<Subscription>> ListAsync(string clientId, SubscriptionStatus? status, string? requestId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT doc FROM subscriptions
            WHERE client_id = $client AND ($status IS NULL OR status = $status) AND ($request IS NULL OR subscription_request_id = $request)
            ORDER BY created_at, subscription_id
            """;
        command.Parameters.AddWithValue("$client", clientId);
        command.Parameters.AddWithValue("$status", (object?)status?.ToWire() ?? DBNull.Value);
        command.Parameters.AddWithValue("$request", (object?)requestId ?? DBNull.Value);
        var list = new List<Subscription>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Deserialize(reader.GetString(0)));
        }

        return list;
    }

    public static async Task InsertAsync(SqliteConnection connection, Subscription subscription, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO subscriptions (subscription_id, client_id, subscription_request_id, authorization_token, status, created_at, doc)
            VALUES ($id, $client, $request, $token, $status, $created, $doc)
            """;
        command.Parameters.AddWithValue("$id", subscription.SubscriptionId);
        command.Parameters.AddWithValue("$client", subscription.ClientId);
        command.Parameters.AddWithValue("$request", subscription.SubscriptionRequestId);
        command.Parameters.AddWithValue("$token", subscription.AuthorizationToken);
        command.Parameters.AddWithValue("$status", subscription.Status.ToWire());
        command.Parameters.AddWithValue("$created", subscription.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$doc", JsonSerializer.Serialize(subscription, PersistenceJson.Options));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task UpdateAsync(SqliteConnection connection, Subscription subscription, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE subscriptions SET status = $status, doc = $doc WHERE subscription_id = $id";
        command.Parameters.AddWithValue("$id", subscription.SubscriptionId);
        command.Parameters.AddWithValue("$status", subscription.Status.ToWire());
        command.Parameters.AddWithValue("$doc", JsonSerializer.Serialize(subscription, PersistenceJson.Options));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<Subscription?> FindAsync(SqliteConnection connection, string clientId, string? subscriptionId, string? subscriptionRequestId, CancellationToken cancellationToken) =>
        subscriptionId is not null
            ? await QueryOneAsync(connection, "client_id = $client AND subscription_id = $key", clientId, subscriptionId, cancellationToken)
            : await QueryOneAsync(connection, "client_id = $client AND subscription_request_id = $key", clientId, subscriptionRequestId!, cancellationToken);

    private async Task<Subscription?> QueryOneAsync(string where, string? clientId, string key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await QueryOneAsync(connection, where, clientId, key, cancellationToken);
    }

    private static async Task<Subscription?> QueryOneAsync(SqliteConnection connection, string where, string? clientId, string key, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT doc FROM subscriptions WHERE {where}";
        command.Parameters.AddWithValue("$key", key);
        if (clientId is not null)
        {
            command.Parameters.AddWithValue("$client", clientId);
        }

        return await command.ExecuteScalarAsync(cancellationToken) is string doc ? Deserialize(doc) : null;
    }

    private static Subscription Deserialize(string doc) =>
        JsonSerializer.Deserialize<Subscription>(doc, PersistenceJson.Options) ?? throw new InvalidDataException("empty subscription document");
}
