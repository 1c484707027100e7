using System.Globalization;
using System.Security.Cryptography;

namespace Emulator.Domain;

/// <summary>
/// Keys made of a counter that rises within a process (from a random start, in a fixed number of hex digits) followed
/// by random hex digits. A unique index then takes each new key beside the last one instead of on a random page (a
/// random key costs SQLite a page written to the WAL per row); the random part keeps keys unguessable and distinct
/// across instances that share a database.
/// </summary>
public sealed class RisingKeys(int counterDigits, int randomBytes)
{
    private readonly long mask = (1L << (4 * counterDigits)) - 1;
    private readonly string format = "x" + counterDigits.ToString(CultureInfo.InvariantCulture);
    private long counter = RandomNumberGenerator.GetInt32(int.MaxValue);

    public string Next() =>
        (Interlocked.Increment(ref counter) & mask).ToString(format, CultureInfo.InvariantCulture) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(randomBytes));
}
