using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Emulator.Testing;

/// <summary>The emulator hosted in the test process on Kestrel (a real loopback port) with its own temporary SQLite data.</summary>
internal sealed class InProcessEmulator(string dataDirectory, IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    static InProcessEmulator()
    {
        // WebApplicationFactory looks for the app's content root before any of the factory's own settings apply: in
        // this setting, else beside the sources of a referenced project, else above a solution file. A test project
        // that references the kit's package has neither of the last two; the emulator's files are beside the test's
        // binaries (Emulator.dll, its fixtures, its deps file), where the package puts them.
        const string ContentRoot = "ASPNETCORE_TEST_CONTENTROOT_EMULATOR";
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ContentRoot)))
        {
            Environment.SetEnvironmentVariable(ContentRoot, AppContext.BaseDirectory);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(AppContext.BaseDirectory);
        builder.UseSetting("Emulator:DataDirectory", dataDirectory);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
