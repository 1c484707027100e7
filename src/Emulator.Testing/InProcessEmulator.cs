using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Emulator.Testing;

/// <summary>The emulator hosted in the test process on Kestrel (a real loopback port) with its own temporary SQLite data.</summary>
internal sealed class InProcessEmulator(string dataDirectory, IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
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
