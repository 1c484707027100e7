using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ContractTests.Support;

/// <summary>
/// A notification endpoint on HTTPS with a self-signed certificate, as a developer's local endpoint or a container's
/// often has: it acknowledges every notification and counts them.
/// </summary>
public sealed class HttpsReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private int requests;

    private HttpsReceiver(WebApplication app) => this.app = app;

    public string Url => app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
        .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.Single().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal);

    /// <summary>Notifications read and acknowledged.</summary>
    public int Requests => Volatile.Read(ref requests);

    public static async Task<HttpsReceiver> StartAsync()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var created = request.CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        // Kestrel needs the private key in a form SslStream can use on Linux: a PKCS#12 round trip gives it one.
        var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        var app = builder.Build();
        var receiver = new HttpsReceiver(app);
        app.MapPost("/{**path}", (HttpContext _) =>
        {
            Interlocked.Increment(ref receiver.requests);
            return Results.Text(Emulator.Testing.NotificationInbox.Acknowledgement, "application/json");
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
