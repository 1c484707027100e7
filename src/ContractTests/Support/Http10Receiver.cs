using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ContractTests.Support;

/// <summary>
/// A notification receiver written on a socket, that speaks HTTP/1.0 as Python's stock <c>http.server</c> does: one
/// request per connection, an <c>HTTP/1.0 200</c> answer with the acknowledgement, then the connection closed. It can
/// also answer what a framework would not let a test write: any Content-Type, or a body that never ends. It keeps each
/// request as it came on the wire (<see cref="Received"/>): its request target is not decoded or normalized by a server.
/// </summary>
public sealed class Http10Receiver : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;
    private readonly string contentType;
    private readonly bool endless;
    private readonly bool dropUnverified;
    private readonly List<WireRequest> received = [];
    private int requests;

    private Http10Receiver(string contentType, bool endless, bool dropUnverified)
    {
        this.contentType = contentType;
        this.endless = endless;
        this.dropUnverified = dropUnverified;
        listener.Start();
        accepting = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    /// <summary>Requests read whole and acknowledged.</summary>
    public int Requests => Volatile.Read(ref requests);

    /// <summary>The requests read whole, in the order they were read.</summary>
    public IReadOnlyList<WireRequest> Received
    {
        get
        {
            lock (received)
            {
                return [.. received];
            }
        }
    }

    /// <param name="contentType">The answer's Content-Type (<c>application/json; charset=bogus</c>, say).</param>
    /// <param name="endless">Answer 200 with a body of spaces that goes on until the client closes the connection.</param>
    /// <param name="dropUnverified">Close the connection without an answer when the request's signature does not verify with the Antom test key over its raw target.</param>
    public static Http10Receiver Start(string contentType = "application/json", bool endless = false, bool dropUnverified = false) => new(contentType, endless, dropUnverified);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await accepting;
        }
        catch (OperationCanceledException)
        {
        }

        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            var socket = await listener.AcceptSocketAsync(stop.Token);
            _ = Task.Run(() => AnswerAsync(socket));
        }
    }

    private async Task AnswerAsync(Socket socket)
    {
        using (socket)
        {
            var buffer = new byte[64 * 1024];
            var length = 0;
            int headerEnd;
            while ((headerEnd = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8)) < 0)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(length));
                if (read == 0)
                {
                    return;
                }

                length += read;
            }

            // Latin-1 keeps every byte of the head as one character: a target is compared byte for byte.
            var lines = Encoding.Latin1.GetString(buffer, 0, headerEnd).Split("\r\n");
            var headers = lines.Skip(1).Select(h => h.Split(':', 2)).ToDictionary(h => h[0].Trim().ToLowerInvariant(), h => h[1].Trim());
            var contentLength = int.Parse(headers["content-length"], System.Globalization.CultureInfo.InvariantCulture);
            while (length < headerEnd + 4 + contentLength)
            {
                length += await socket.ReceiveAsync(buffer.AsMemory(length));
            }

            var requestLine = lines[0].Split(' ');
            var request = new WireRequest(requestLine[0], requestLine[1], headers, buffer[(headerEnd + 4)..(headerEnd + 4 + contentLength)]);
            lock (received)
            {
                received.Add(request);
            }

            if (dropUnverified && !request.SignedOver(request.Target))
            {
                return;
            }

            Interlocked.Increment(ref requests);
            if (endless)
            {
                await SendEndlessAsync(socket);
                return;
            }

            var body = Encoding.UTF8.GetBytes(NotificationInbox.Acknowledgement);
            var head = Encoding.ASCII.GetBytes($"HTTP/1.0 200 OK\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\n\r\n");
            await socket.SendAsync((byte[])[.. head, .. body]);
            socket.Shutdown(SocketShutdown.Both);
        }
    }

    /// <summary>An HTTP/1.0 body without a length ends when the connection does: spaces until the client goes away.</summary>
    private async Task SendEndlessAsync(Socket socket)
    {
        await socket.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.0 200 OK\r\nContent-Type: {contentType}\r\n\r\n"));
        var chunk = Encoding.ASCII.GetBytes(new string(' ', 16 * 1024));
        try
        {
            while (true)
            {
                await socket.SendAsync(chunk);
            }
        }
        catch (SocketException)
        {
            // The emulator read what it wanted and closed the connection.
        }
    }
}
