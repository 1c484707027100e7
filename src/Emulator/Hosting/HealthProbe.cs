namespace Emulator.Hosting;

/// <summary>
/// <c>dotnet Emulator.dll --health-probe [url]</c>: asks a running emulator for its health at <c>/healthz</c> (open
/// without the admin token, however the emulator was given one) and exits 0 when it answers ok. The Docker image's
/// HEALTHCHECK uses it (the runtime image has no curl).
/// </summary>
public static class HealthProbe
{
    public const string Flag = "--health-probe";

    public static bool IsRequested(string[] args) => args.Length > 0 && args[0] == Flag;

    public static async Task<int> RunAsync(string[] args)
    {
        var baseUrl = args.Length > 1 ? args[1] : "http://127.0.0.1:8080";
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var response = await http.GetAsync(new Uri(new Uri(baseUrl), Control.ControlApi.LivenessPath));
            var body = await response.Content.ReadAsStringAsync();
            Console.WriteLine(body);
            return response.IsSuccessStatusCode && body.Contains("\"ok\"", StringComparison.Ordinal) ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            Console.Error.WriteLine($"health probe failed: {ex.Message}");
            return 1;
        }
    }
}
