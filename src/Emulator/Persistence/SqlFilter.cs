namespace Emulator.Persistence;

/// <summary>
/// A <c>WHERE</c> clause of equalities for the filters a caller set, and only those. The catch-all form
/// <c>(@x IS NULL OR column = @x)</c> keeps the planner from using the column's index, which turned a subscription's
/// notifications into a scan of all of its merchant's.
/// </summary>
internal static class SqlFilter
{
    /// <param name="filters">Column names (constants of the caller, never input) and their wanted values; null means any.</param>
    public static (string Where, (string Name, object? Value)[] Parameters) Equal(params (string Column, object? Value)[] filters)
    {
        var set = filters.Where(f => f.Value is not null).ToArray();
        var where = string.Join(" AND ", set.Select(f => $"{f.Column} = @{f.Column}"));
        return (where.Length > 0 ? where : "1 = 1", [.. set.Select(f => ("@" + f.Column, f.Value))]);
    }

    /// <summary><c>column IN (@p0, @p1, …)</c> for a list of values (at most a few hundred: each is a parameter).</summary>
    public static (string Where, (string Name, object? Value)[] Parameters) In(string column, IReadOnlyCollection<string> values) =>
        values.Count == 0
            ? ("1 = 0", [])
            : ($"{column} IN ({string.Join(", ", values.Select((_, i) => "@in" + i))})", [.. values.Select((v, i) => ("@in" + i, (object?)v))]);
}
