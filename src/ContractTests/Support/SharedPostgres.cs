namespace ContractTests.Support;

/// <summary>One PostgreSQL server for a whole test run on PostgreSQL, started at first use and stopped at exit.</summary>
public static class SharedPostgres
{
    private static readonly Lazy<Task<PostgresServer>> Server = new(StartAsync);
    private static int databases;

    public static async Task<string> CreateDatabaseAsync() =>
        await (await Server.Value).CreateDatabaseAsync($"emulator_{Environment.ProcessId}_{Interlocked.Increment(ref databases)}");

    private static async Task<PostgresServer> StartAsync()
    {
        var server = await PostgresServer.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }
}
