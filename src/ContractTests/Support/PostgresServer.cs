using Npgsql;

namespace ContractTests.Support;

/// <summary>
/// A throwaway PostgreSQL server from the machine's own binaries (Debian's <c>postgresql</c> package, which
/// <c>.ci/run</c> installs): a new cluster in a temporary folder, on a free loopback port, trusted local logins, no
/// fsync. Run as the <c>postgres</c> user when the tests run as root, as PostgreSQL refuses root.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string root;
    private readonly string binaries;

    private PostgresServer(string binaries, string root, int port)
    {
        this.binaries = binaries;
        this.root = root;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The folder holding <c>initdb</c> and <c>pg_ctl</c>, or null when PostgreSQL is not installed.</summary>
    public static string? FindBinaries() =>
        Environment.GetEnvironmentVariable("PG_BIN") is { Length: > 0 } configured
            ? configured
            : Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql")
                    .Select(d => Path.Combine(d, "bin"))
                    .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
                    .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                    .FirstOrDefault()
                : null;

    public static async Task<PostgresServer> StartAsync()
    {
        var binaries = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL is not installed: `apt-get install postgresql` (what .ci/run does), or set PG_BIN to the folder holding initdb and pg_ctl");
        var root = Directory.CreateTempSubdirectory("emulator-pg-").FullName;
        var server = new PostgresServer(binaries, root, Builds.FreePort());
        if (Environment.UserName == "root")
        {
            await server.RunAsync("chown", "-R", "postgres:postgres", root);
        }

        await server.RunPostgresAsync("initdb", "-D", server.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync");
        await server.StartServerAsync();
        return server;
    }

    /// <summary>Starts the server again after <see cref="StopAsync"/>, on the same port, with its data.</summary>
    public async Task StartAgainAsync()
    {
        await StartServerAsync();
        stopped = false;
    }

    private Task StartServerAsync() => RunPostgresAsync(
        "pg_ctl", "-D", DataDirectory, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60",
        "-o", $"-p {Port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=600",
        "start");

    private string DataDirectory => Path.Combine(root, "data");

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database, Pooling = true, MaxPoolSize = 20 }.ToString();

    /// <summary>Creates an empty database for one test, so tests sharing the server do not see each other.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE \"{name}\"";
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>Runs one statement on <paramref name="connectionString"/>'s database, outside the emulator, and gives its first value.</summary>
    public static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    private bool stopped;

    /// <summary>Stops the server at once, as a crash or a restart would (what clients see while it is down).</summary>
    public async Task StopAsync()
    {
        await RunPostgresAsync("pg_ctl", "-D", DataDirectory, "-m", "immediate", "-w", "stop");
        stopped = true;
    }

    /// <summary>
    /// Restarts the server as an operator does (<c>pg_ctl restart -m fast</c>): every session is ended, and connections
    /// a client kept idle in its pool fail on their next use.
    /// </summary>
    public Task RestartAsync() => RunPostgresAsync("pg_ctl", "-D", DataDirectory, "-l", Path.Combine(root, "server.log"), "-m", "fast", "-w", "-t", "60", "restart");

    /// <summary>
    /// Freezes every process of the server (SIGSTOP), or lets them go on (SIGCONT): a database that hangs, its
    /// connections neither refused nor answered, as a frozen VM's or a full disk's.
    /// </summary>
    public async Task SignalAllAsync(string signal)
    {
        var postmaster = File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).First().Trim();
        var children = (await Command.RunAsync("pgrep", ["-P", postmaster], root)).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        await RunAsync("kill", ["-" + signal, postmaster, .. children]);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            if (!stopped)
            {
                await RunPostgresAsync("pg_ctl", "-D", DataDirectory, "-m", "immediate", "-w", "stop");
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private Task RunPostgresAsync(string tool, params string[] arguments) =>
        Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(binaries, tool), .. arguments])
            : RunAsync(Path.Combine(binaries, tool), arguments);

    private async Task RunAsync(string file, params string[] arguments)
    {
        var (exitCode, output) = await Command.RunAsync(file, arguments, root).WaitAsync(TimeSpan.FromSeconds(120));
        if (exitCode != 0)
        {
            var log = Path.Combine(root, "server.log");
            throw new InvalidOperationException(
                $"{file} {string.Join(' ', arguments)} exited {exitCode}: {output}{(File.Exists(log) ? await File.ReadAllTextAsync(log) : "")}");
        }
    }
}
