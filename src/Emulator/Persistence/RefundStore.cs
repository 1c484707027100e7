using System.Data.Common;
using System.Text.Json;
using Emulator.Domain;

namespace Emulator.Persistence;

/// <summary>Refunds as JSON documents, by refund id, by the merchant's request id and by payment.</summary>
public sealed class RefundStore(Database database)
{
    /// <summary>The merchant's period payment with <paramref name="paymentId"/> and its subscription, read in the unit of work.</summary>
    public static async Task<(string SubscriptionId, Phase Phase)?> FindPaymentAsync(WriteTransaction work, string clientId, string paymentId, CancellationToken cancellationToken)
    {
        var command = work.Command("SELECT subscription_id, doc FROM phases WHERE client_id = @client AND payment_id = @payment");
        command.Bind("@client", clientId);
        command.Bind("@payment", paymentId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetString(0), JsonSerializer.Deserialize<Phase>(reader.GetString(1), PersistenceJson.Options)!)
            : null;
    }

    /// <summary>The refunds of one payment so far, read in the unit of work.</summary>
    public static async Task<IReadOnlyList<Refund>> OfPaymentAsync(WriteTransaction work, string paymentId, CancellationToken cancellationToken)
    {
        var command = work.Command("SELECT doc FROM refunds WHERE payment_id = @payment");
        command.Bind("@payment", paymentId);
        return await command.ReadAllAsync(Read, cancellationToken);
    }

    public static async Task InsertAsync(WriteTransaction work, string clientId, Refund refund, CancellationToken cancellationToken)
    {
        var command = work.Command("INSERT INTO refunds (refund_id, client_id, refund_request_id, payment_id, doc) VALUES (@id, @client, @request, @payment, @doc)");
        command.Bind("@id", refund.RefundId);
        command.Bind("@client", clientId);
        command.Bind("@request", refund.RefundRequestId);
        command.Bind("@payment", refund.PaymentId);
        command.Bind("@doc", JsonSerializer.Serialize(refund, PersistenceJson.Options));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The merchant's refund with <paramref name="refundId"/>, read in the unit of work.</summary>
    public static async Task<Refund?> FindAsync(WriteTransaction work, string clientId, string refundId, CancellationToken cancellationToken)
    {
        var command = work.Command("SELECT doc FROM refunds WHERE client_id = @client AND refund_id = @id");
        command.Bind("@client", clientId);
        command.Bind("@id", refundId);
        return (await command.ReadAllAsync(Read, cancellationToken)) is [var found] ? found : null;
    }

    /// <summary>A refund's new status, written over its document (its ids and amount never change).</summary>
    public static async Task UpdateAsync(WriteTransaction work, Refund refund, CancellationToken cancellationToken)
    {
        var command = work.Command("UPDATE refunds SET doc = @doc WHERE refund_id = @id");
        command.Bind("@id", refund.RefundId);
        command.Bind("@doc", JsonSerializer.Serialize(refund, PersistenceJson.Options));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The merchant's refund by its id, or else by the merchant's request id (SPEC §3.11: the refund id wins).</summary>
    public async Task<Refund?> FindAsync(string clientId, string? refundId, string? refundRequestId, CancellationToken cancellationToken)
    {
        var found = refundId is not null
            ? await database.QueryAsync("SELECT doc FROM refunds WHERE client_id = @client AND refund_id = @key", Read, cancellationToken, ("@client", clientId), ("@key", refundId))
            : await database.QueryAsync("SELECT doc FROM refunds WHERE client_id = @client AND refund_request_id = @key", Read, cancellationToken, ("@client", clientId), ("@key", refundRequestId));
        return found.Count > 0 ? found[0] : null;
    }

    /// <summary>The refunds of some payments, in the order they were made (the control API's views).</summary>
    public static async Task<IReadOnlyList<Refund>> OfPaymentsAsync(IReads reads, IReadOnlyCollection<string> paymentIds, CancellationToken cancellationToken)
    {
        if (paymentIds.Count == 0)
        {
            return [];
        }

        var (where, parameters) = SqlFilter.In("payment_id", paymentIds);
        return [.. (await reads.QueryAsync($"SELECT doc FROM refunds WHERE {where}", Read, cancellationToken, parameters))
            .OrderBy(r => r.RefundTime).ThenBy(r => r.RefundId, StringComparer.Ordinal)];
    }

    private static Refund Read(DbDataReader reader) => JsonSerializer.Deserialize<Refund>(reader.GetString(0), PersistenceJson.Options)!;
}
