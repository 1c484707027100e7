using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ContractTests.Hosting;

/// <summary>The built emulator started as its own process, as <c>dotnet run</c> or the Docker image start it.</summary>
public sealed partial class EmulatorProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly TaskCompletionSource<(Uri Http, Uri Https)> listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> output = [];
    private Uri? http;
    private Uri? https;

    private EmulatorProcess(string dataDirectory, string urls, IReadOnlyDictionary<string, string>? environment)
    {
        var dll = Support.Builds.Output("Emulator", "Emulator.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(dll)! };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(urls);
        start.Environment["Emulator__DataDirectory"] = dataDirectory;
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        Stopwatch = Stopwatch.StartNew();
        process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + dll);
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("emulator exited before listening: " + Output));
    }

    public Stopwatch Stopwatch { get; }

    public string Output
    {
        get
        {
            lock (output)
            {
                return string.Join('\n', output);
            }
        }
    }

    /// <summary>Starts on free loopback ports for HTTP and HTTPS and waits until Kestrel says where it listens.</summary>
    public static async Task<(EmulatorProcess Process, Uri Http, Uri Https)> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var emulator = new EmulatorProcess(dataDirectory, "http://127.0.0.1:0;https://127.0.0.1:0", environment);
        var (http, https) = await emulator.listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return (emulator, http, https);
    }

    /// <summary>SIGKILL: no shutdown, no flushing, as a crash.</summary>
    public void Kill()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    /// <summary>SIGTERM: the host shuts down as it does when a container or a CI job is stopped.</summary>
    public async Task TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.Add(line);
        }

        if (Listening().Match(line) is { Success: true } match)
        {
            var uri = new Uri(match.Groups[1].Value);
            if (uri.Scheme == "https")
            {
                https = uri;
            }
            else
            {
                http = uri;
            }

            if (http is not null && https is not null)
            {
                listening.TrySetResult((http, https));
            }
        }
    }

    [GeneratedRegex(@"Now listening on: ([^\s'"",]+)")]
    private static partial Regex Listening();
}
