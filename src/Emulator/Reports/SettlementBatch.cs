using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Emulator.Reports;

/// <summary>
/// What settles for a merchant on one day in one currency (SPEC §6.1): the transactions of the UTC day its settlement
/// cycle before, settled in <see cref="Currency"/>. A day without any in that currency has the batch id
/// <see cref="NoBatchId"/> and no rows.
/// </summary>
public sealed record SettlementBatch(DateOnly SettlementDate, string Currency, string BatchId, IReadOnlyList<SettledTransaction> Rows)
{
    /// <summary>The batch id of a day without transactions (SPEC §6.1).</summary>
    public const string NoBatchId = "0000000000000000000";

    /// <summary>The currency code in a file name when a day has no batch and the caller named none: ISO 4217's "no currency".</summary>
    public const string NoCurrency = "XXX";

    /// <summary>
    /// A batch's id: 19 digits, the settlement date (<c>yyyyMMdd</c>) and 11 digits taken from a hash of the client id
    /// and the currency, so the same batch has the same id on every fetch, and other merchants' and currencies' differ.
    /// </summary>
    public static string IdOf(string clientId, DateOnly settlementDate, string currency)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{clientId}\n{currency}"));
        var digits = BinaryPrimitives.ReadUInt64BigEndian(hash) % 100_000_000_000UL;
        return settlementDate.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + digits.ToString("D11", CultureInfo.InvariantCulture);
    }

    /// <summary>When the batch settled, as the reports' <c>settlementTime</c> writes it: the start of its settlement date (UTC).</summary>
    public DateTimeOffset SettlementTime => new(SettlementDate.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>Antom's name of one of the batch's files (SPEC §6.1): <c>&lt;kind&gt;_&lt;currency&gt;_&lt;batchId&gt;_000.csv</c>.</summary>
    public string FileName(string kind) => $"{kind}_{Currency}_{BatchId}_000.csv";
}
