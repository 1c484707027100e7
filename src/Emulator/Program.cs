using Emulator.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddEmulator();

var app = builder.Build();
app.MapEmulator();
app.Run();

/// <summary>Entry point, public so that <c>WebApplicationFactory&lt;Program&gt;</c> can host the emulator in tests.</summary>
public partial class Program;
