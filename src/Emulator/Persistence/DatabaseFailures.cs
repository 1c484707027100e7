using System.Data.Common;

namespace Emulator.Persistence;

/// <summary>What a failure of the database is, for those who answer a call it broke.</summary>
public static class DatabaseFailures
{
    /// <summary>
    /// The failure the database itself calls transient (no connection, no slot, a restart), wherever it is in
    /// <paramref name="exception"/>'s chain; null for any other failure (a bug in a statement).
    /// </summary>
    public static DbException? Transient(Exception exception) => Find(exception, transientOnly: true);

    /// <summary>Any failure of the database in <paramref name="exception"/>'s chain (one that could not be opened at start, say); null when none.</summary>
    public static DbException? Any(Exception exception) => Find(exception, transientOnly: false);

    private static DbException? Find(Exception exception, bool transientOnly)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException database && (database.IsTransient || !transientOnly))
            {
                return database;
            }
        }

        return null;
    }
}
