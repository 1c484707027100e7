using System.Data.Common;

namespace Emulator.Persistence;

/// <summary>Where queries run: the database (a connection each) or one <see cref="ReadSnapshot"/>.</summary>
public interface IReads
{
    /// <summary>Runs a query and reads every row with <paramref name="read"/>.</summary>
    Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters);
}
