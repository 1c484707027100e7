using Microsoft.Extensions.Options;

namespace Emulator.Hosting;

/// <summary>
/// Why the emulator could not start, in one line for the person or CI job that started it, for the failures a setting
/// or the database causes (anything else is a defect, and keeps its stack trace).
/// </summary>
public static class StartFailure
{
    public static string? Describe(Exception exception) => exception switch
    {
        OptionsValidationException settings => string.Join("; ", settings.Failures),
        InvalidDataException setting => setting.Message,
        _ when Persistence.DatabaseFailures.Any(exception) is { } database =>
            $"the database could not be opened ({database.Message}); check Emulator:PostgresConnectionString (host, port, database, user, password) or Emulator:DataDirectory, and that the database server is up",
        _ => null,
    };
}
