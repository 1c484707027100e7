namespace Emulator.Testing;

/// <summary>
/// Sends a control call again when the emulator answers it 503 with a <c>Retry-After</c> (its database restarting, the
/// instance stopping behind a load balancer): such an answer says that nothing was committed and to send the call
/// again, which a test would otherwise fail on. Up to <see cref="Attempts"/> sends, waiting what the answer asks (at
/// most 5 s each). The emulated Antom API never answers 503: its calls, and everything else, pass through unchanged.
/// </summary>
internal sealed class RetryUnavailable(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public const int Attempts = 8;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var control = request.RequestUri?.AbsolutePath.StartsWith("/_emulator/", StringComparison.Ordinal) == true;
        for (var attempt = 1; ; attempt++)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (!control || attempt == Attempts || response.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable || response.Headers.RetryAfter?.Delta is not { } wait)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(wait.TotalSeconds, 0.1, 5)), TimeProvider.System, cancellationToken);
        }
    }
}
