using Emulator.Hosting;

if (HealthProbe.IsRequested(args))
{
    return await HealthProbe.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddEmulator();

var app = builder.Build();
app.MapEmulator();
await app.RunAsync();
return 0;

/// <summary>Entry point, public so that <c>WebApplicationFactory&lt;Program&gt;</c> can host the emulator in tests.</summary>
public partial class Program;
