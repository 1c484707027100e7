using System.Data.Common;

namespace Emulator.Persistence;

public static class DbCommandExtensions
{
    /// <summary>Adds the parameter <paramref name="name"/> (written <c>@name</c>, which SQLite and Npgsql both read); null is SQL NULL.</summary>
    public static void Bind(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>Runs the query and reads every row with <paramref name="read"/>.</summary>
    public static async Task<List<T>> ReadAllAsync<T>(this DbCommand command, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
