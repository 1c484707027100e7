using System.Globalization;

namespace Emulator.Domain;

/// <summary>
/// Makes <c>subscriptionId</c>s, <c>paymentId</c>s and <c>refundId</c>s as SPEC §10 says: 35 characters, digits only, starting with the
/// creation date <c>yyyyMMdd</c>. After the date and a two-digit kind come 16 digits of a counter seeded from the start
/// time (unique across restarts: no process issues a thousand ids a millisecond) and 9 digits chosen once per process,
/// so that instances sharing a database never make the same id.
/// </summary>
public sealed class SubscriptionIds
{
    private readonly string instance = Random.Shared.Next(0, 1_000_000_000).ToString("D9", CultureInfo.InvariantCulture);
    private long counter;

    public SubscriptionIds(TimeProvider time)
    {
        counter = time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000;
    }

    public string Next(DateTimeOffset now, string kind)
    {
        var n = Interlocked.Increment(ref counter);
        return now.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + kind + n.ToString("D16", CultureInfo.InvariantCulture) + instance;
    }

    public string NextSubscriptionId(DateTimeOffset now) => Next(now, "19");

    public string NextPaymentId(DateTimeOffset now) => Next(now, "11");

    public string NextRefundId(DateTimeOffset now) => Next(now, "12");
}
