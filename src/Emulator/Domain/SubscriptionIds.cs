using System.Globalization;

namespace Emulator.Domain;

/// <summary>
/// Makes <c>subscriptionId</c>s and <c>paymentId</c>s as SPEC §10 says: 35 characters, digits only, starting with the
/// creation date <c>yyyyMMdd</c>. A counter seeded from the start time (and a random offset, so two instances started
/// together differ) keeps them unique across restarts.
/// </summary>
public sealed class SubscriptionIds
{
    private long counter;

    public SubscriptionIds(TimeProvider time)
    {
        counter = time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000 + Random.Shared.Next(0, 1_000) * 1_000;
    }

    public string Next(DateTimeOffset now, string kind)
    {
        var n = Interlocked.Increment(ref counter);
        return now.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + kind + n.ToString("D25", CultureInfo.InvariantCulture);
    }

    public string NextSubscriptionId(DateTimeOffset now) => Next(now, "19");

    public string NextPaymentId(DateTimeOffset now) => Next(now, "11");
}
