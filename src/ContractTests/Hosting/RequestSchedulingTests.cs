using ContractTests.Support;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ContractTests.Hosting;

/// <summary>
/// <c>Emulator:InlineRequestScheduling</c>: requests run on their socket's thread by default (the latency figures of
/// bench/RESULTS.md rest on it), and the setting turns it off for an operator who sees one slow page hold up others.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class RequestSchedulingTests(EmulatorFactory factory)
{
    [Fact]
    public void ByDefault_RequestsRunOnTheirSocketsThread()
    {
        factory.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling.Should().BeTrue();
    }

    [Fact]
    public async Task InlineRequestSchedulingOff_RequestsGoThroughTheThreadPool()
    {
        await using var configured = factory.WithWebHostBuilder(b => b.UseSetting("Emulator:InlineRequestScheduling", "false"));

        configured.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling.Should().BeFalse();
    }
}
