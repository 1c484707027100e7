using System.Data.Common;

namespace Emulator.Persistence;

/// <summary>
/// The first final (S or F) answer to each (client id, API, request id), with a hash of the request body, so that a
/// repeat gets the same bytes back and a different body is recognised (SPEC §10 Idempotency).
/// </summary>
public static class IdempotencyStore
{
    private const string Select = "SELECT request_hash, response FROM idempotency WHERE client_id = @client AND api = @api AND request_id = @id";

    public static async Task<(string RequestHash, string Response)?> FindAsync(DbConnection connection, string clientId, string api, string requestId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Select;
        return await FindAsync(command, clientId, api, requestId, cancellationToken);
    }

    /// <summary>The first answer as the unit of work sees it (also one written earlier in the same group of units).</summary>
    public static Task<(string RequestHash, string Response)?> FindAsync(WriteTransaction work, string clientId, string api, string requestId, CancellationToken cancellationToken) =>
        FindAsync(work.Command(Select), clientId, api, requestId, cancellationToken);

    private static async Task<(string RequestHash, string Response)?> FindAsync(DbCommand command, string clientId, string api, string requestId, CancellationToken cancellationToken)
    {
        command.Bind("@client", clientId);
        command.Bind("@api", api);
        command.Bind("@id", requestId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.GetString(1)) : null;
    }

    public static async Task<bool> TryInsertAsync(WriteTransaction work, string clientId, string api, string requestId, string requestHash, string response, CancellationToken cancellationToken)
    {
        var command = work.Command("""
            INSERT INTO idempotency (client_id, api, request_id, request_hash, response) VALUES (@client, @api, @id, @hash, @response)
            ON CONFLICT DO NOTHING
            """);
        command.Bind("@client", clientId);
        command.Bind("@api", api);
        command.Bind("@id", requestId);
        command.Bind("@hash", requestHash);
        command.Bind("@response", response);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}
