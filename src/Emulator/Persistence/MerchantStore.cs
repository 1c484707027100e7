using System.Text.Json;
using Emulator.Merchants;

namespace Emulator.Persistence;

public sealed class MerchantStore(Database database)
{
    public async Task<Merchant?> FindAsync(string clientId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT doc FROM merchants WHERE client_id = @id";
        command.Bind("@id", clientId);
        return await command.ExecuteScalarAsync(cancellationToken) is string doc
            ? JsonSerializer.Deserialize<Merchant>(doc, PersistenceJson.Options)
            : null;
    }

    public async Task<IReadOnlyList<string>> ListIdsAsync(CancellationToken cancellationToken) =>
        await database.QueryAsync("SELECT client_id FROM merchants ORDER BY client_id", r => r.GetString(0), cancellationToken);

    public Task UpsertAsync(Merchant merchant, CancellationToken cancellationToken) =>
        database.WriteAsync(async work =>
        {
            var command = work.Command("INSERT INTO merchants (client_id, doc) VALUES (@id, @doc) ON CONFLICT (client_id) DO UPDATE SET doc = excluded.doc");
            command.Bind("@id", merchant.ClientId);
            command.Bind("@doc", JsonSerializer.Serialize(merchant, PersistenceJson.Options));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    /// <summary>Deletes the merchant and everything that belongs to it.</summary>
    public Task<bool> DeleteAsync(string clientId, CancellationToken cancellationToken) =>
        database.WriteAsync(work => DeleteInAsync(work, clientId, cancellationToken), cancellationToken);

    private static async Task<bool> DeleteInAsync(WriteTransaction work, string clientId, CancellationToken cancellationToken)
    {
        var command = work.Command("""
            DELETE FROM notification_attempts WHERE notification_id IN (SELECT notification_id FROM notifications WHERE client_id = @id);
            DELETE FROM notifications WHERE client_id = @id;
            DELETE FROM phases WHERE subscription_id IN (SELECT subscription_id FROM subscriptions WHERE client_id = @id);
            DELETE FROM timeline WHERE subscription_id IN (SELECT subscription_id FROM subscriptions WHERE client_id = @id);
            DELETE FROM clocks WHERE client_id = @id;
            DELETE FROM faults WHERE client_id = @id;
            DELETE FROM api_calls WHERE client_id = @id;
            DELETE FROM subscriptions WHERE client_id = @id;
            DELETE FROM idempotency WHERE client_id = @id;
            """);
        command.Bind("@id", clientId);
        await command.ExecuteNonQueryAsync(cancellationToken);
        var merchant = work.Command("DELETE FROM merchants WHERE client_id = @id");
        merchant.Bind("@id", clientId);
        return await merchant.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}
