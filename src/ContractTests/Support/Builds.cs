using System.Net;
using System.Net.Sockets;

namespace ContractTests.Support;

/// <summary>Where the solution's other projects were built, and a free loopback port: what process-level tests need.</summary>
public static class Builds
{
    /// <summary>A file in the output folder of project <paramref name="project"/>, built in the same configuration as the tests.</summary>
    public static string Output(string project, string file) => Path.Combine(
        AppContext.BaseDirectory.Replace(
            $"{Path.DirectorySeparatorChar}ContractTests{Path.DirectorySeparatorChar}", $"{Path.DirectorySeparatorChar}{project}{Path.DirectorySeparatorChar}", StringComparison.Ordinal),
        file);

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
