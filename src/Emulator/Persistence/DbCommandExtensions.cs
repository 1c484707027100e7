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
}
