using Emulator.Hosting;

if (HealthProbe.IsRequested(args))
{
    return await HealthProbe.RunAsync(args);
}

// Settings are read once: no file watcher over the content root (which is the working directory, often a whole
// repository), whose setup costs start time and whose events cost CPU while the database is written.
var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
builder.AddEmulator();

var app = builder.Build();
app.MapEmulator();
await app.RunAsync();
return 0;

/// <summary>Entry point, public so that <c>WebApplicationFactory&lt;Program&gt;</c> can host the emulator in tests.</summary>
public partial class Program;
