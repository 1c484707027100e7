using Emulator.Hosting;

if (HealthProbe.IsRequested(args))
{
    return await HealthProbe.RunAsync(args);
}

// Settings are read once: no file watcher over the content root (which is the working directory, often a whole
// repository), whose setup costs start time and whose events cost CPU while the database is written.
// The slim builder (about 30 ms sooner to the first answer): none of what it leaves out is used here but HTTPS
// endpoints from configuration (`Kestrel:Endpoints`, `Kestrel:Certificates:Default`), which are added back.
var builder = WebApplication.CreateSlimBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
builder.WebHost.UseKestrelHttpsConfiguration();
builder.AddEmulator();

var app = builder.Build();
app.MapEmulator();
try
{
    await app.RunAsync();
}
catch (Exception ex) when (StartFailure.Describe(ex) is { } why)
{
    // A setting or the database stopped the start: one line that says which, and exit code 1, rather than an
    // unhandled exception's abort (134) and its stack trace.
    await Console.Error.WriteLineAsync($"The emulator did not start: {why}");
    return 1;
}

return 0;

/// <summary>Entry point, public so that <c>WebApplicationFactory&lt;Program&gt;</c> can host the emulator in tests.</summary>
public partial class Program;
