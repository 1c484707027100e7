using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Emulator.Hosting;
using Emulator.Protocol;
using Microsoft.Extensions.Options;

namespace Emulator.Notifications;

/// <summary>
/// The only thing that sends notifications. Each attempt is signed with the Antom key over
/// <c>POST &lt;path and query of the merchant URL&gt;\n&lt;client-id&gt;.&lt;request-time&gt;.&lt;body&gt;</c> (SPEC §1.5) and counts as
/// acknowledged only on HTTP 200 whose JSON has <c>result.resultStatus</c> = <c>S</c> (SPEC §4.3, §10). The path and query
/// are the request target as sent (<see cref="Uri.PathAndQuery"/>, which the HTTP client writes on the request line):
/// escaped, without the fragment, so that a receiver verifies over the raw target it was called at.
/// </summary>
public sealed class NotificationDispatcher(
    IHttpClientFactory httpClients,
    Outbox outbox,
    AntomSigningKey signingKey,
    IOptions<EmulatorOptions> options,
    ILogger<NotificationDispatcher> logger)
{
    public const string HttpClientName = "antom-notifications";

    /// <summary>The client for receivers that close the connection after each answer: it opens a new one per request.</summary>
    public const string NewConnectionClientName = "antom-notifications-new-connection";
    public const string NotificationIdHeader = "emulator-notification-id";
    private const int KeptResponseChars = 2048;

    // Receivers (scheme, host and port) known to close the connection after each answer.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> closingOrigins = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>One attempt, recorded in the ledger at once (redeliveries, faults, the buyer's page).</summary>
    /// <param name="drop">The <c>drop</c> delivery fault: nothing is sent, and the attempt counts as unacknowledged.</param>
    /// <param name="fault">The delivery fault rules chosen for the attempt: used by the write that records it.</param>
    public async Task<DeliveryAttempt> AttemptAsync(
        NotificationRecord notification, DateTimeOffset at, bool redelivery, CancellationToken cancellationToken, bool drop = false, Faults.DeliveryFaultUse? fault = null)
    {
        var pending = await SendAsync(notification, at, redelivery, drop, cancellationToken) with { Fault = fault };
        return (await RecordAsync([pending]))[0];
    }

    /// <summary>
    /// Sends one attempt and works out the notification's new standing (acknowledged, next retry per SPEC §4.3, or
    /// exhausted) without recording it: the time machine records a whole step's attempts in one transaction.
    /// </summary>
    public async Task<PendingAttempt> SendAsync(NotificationRecord notification, DateTimeOffset at, bool redelivery, bool drop, CancellationToken cancellationToken)
    {
        var (_, _, _, httpStatus, responseBody, outcome, error) = drop
            ? NotificationPost.NotSent("dropped by a delivery fault: not sent, as if the notification URL could not be reached")
            : await PostAsync(notification.ClientId, notification.NotificationId, notification.Url, notification.Body, at, cancellationToken);

        var status = notification.Status;
        var next = notification.NextAttemptAt;
        var count = notification.AttemptCount;
        if (status == "acknowledged")
        {
            // A redelivery of an acknowledged notification changes nothing about it.
        }
        else if (outcome == DeliveryOutcomes.Acknowledged)
        {
            status = "acknowledged";
            next = null;
            count += redelivery ? 0 : 1;
        }
        else if (!redelivery)
        {
            count++;
            next = RetrySchedule.Next(at, count, options.Value.SandboxRetries);
            status = next is null ? "exhausted" : "pending";
        }

        return new PendingAttempt(notification, new AttemptRecord(0, at, httpStatus, responseBody, outcome, error, redelivery, notification.TimelineMark), status, next, count);
    }

    /// <summary>Writes attempts to the ledger in one transaction, in order.</summary>
    public async Task<IReadOnlyList<DeliveryAttempt>> RecordAsync(IReadOnlyList<PendingAttempt> attempts)
    {
        var numbers = await outbox.RecordAttemptsAsync(attempts, CancellationToken.None);
        var results = new List<DeliveryAttempt>(attempts.Count);
        for (var i = 0; i < attempts.Count; i++)
        {
            var (notification, record, _, _, _) = attempts[i];
            Hosting.EmulatorMetrics.NotificationAttempts.WithLabels(notification.Kind, record.Outcome).Inc();
            logger.LogInformation(
                "Notification {Kind} {NotificationId} of {ClientId} to {Url}, attempt {Attempt}: {Outcome} ({Detail})",
                notification.Kind, notification.NotificationId, notification.ClientId, notification.Url, numbers[i], record.Outcome,
                record.HttpStatus is { } status ? $"HTTP {status}" : record.Error ?? "no answer");
            results.Add(new DeliveryAttempt(notification, numbers[i], record.At, record.Outcome, record.HttpStatus));
        }

        return results;
    }

    /// <summary>
    /// Signs <paramref name="body"/> for <paramref name="url"/> at <paramref name="at"/> (the merchant's clock) and sends
    /// it once, with the notification timeout: how every attempt goes out, a ledger notification's or a test
    /// notification's. Whatever the endpoint does is the result's outcome, never an exception.
    /// </summary>
    public Task<NotificationPost> PostAsync(string clientId, string notificationId, string url, string body, DateTimeOffset at, CancellationToken cancellationToken) =>
        PostAsync(clientId, notificationId, url, body, at, forgery: null, cancellationToken);

    /// <summary>
    /// As <see cref="PostAsync(string, string, string, string, DateTimeOffset, CancellationToken)"/>, forged as
    /// <paramref name="forgery"/> says (one of <see cref="NotificationForgeries"/>, for a test notification the endpoint
    /// must refuse; null: signed as Antom signs): <c>wrongKey</c> signs with another key, <c>tamperedBody</c> sends
    /// <see cref="NotificationForgeries.Tamper"/>'s change of the body signed, <c>noSignature</c> leaves the
    /// <c>signature</c> header out (what was signed is still told, as the content a verifier would rebuild).
    /// </summary>
    public async Task<NotificationPost> PostAsync(
        string clientId, string notificationId, string url, string body, DateTimeOffset at, string? forgery, CancellationToken cancellationToken)
    {
        if (!JsonFields.IsHttpUrl(url, out var uri))
        {
            // Stored before URLs were checked this way: an attempt that fails, never a failure of the time machine.
            return NotificationPost.NotSent($"'{url}' is not an absolute http or https URL");
        }

        var requestTime = at.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
        var bytes = Encoding.UTF8.GetBytes(body);
        var signed = AntomSignature.SignedContent(uri.PathAndQuery, clientId, requestTime, bytes);
        var sent = forgery == NotificationForgeries.TamperedBody ? Encoding.UTF8.GetBytes(NotificationForgeries.Tamper(body)) : bytes;
        var headers = new Dictionary<string, string>
        {
            ["Content-Type"] = "application/json; charset=UTF-8",
            ["client-id"] = clientId,
            ["request-time"] = requestTime,
        };
        if (forgery != NotificationForgeries.NoSignature)
        {
            var signature = forgery == NotificationForgeries.WrongKey ? signingKey.SignWithWrongKey(signed) : signingKey.Sign(signed);
            headers["signature"] = AntomSignature.HeaderValue(signature, signingKey.KeyVersion);
        }

        headers[NotificationIdHeader] = notificationId;
        var (httpStatus, responseBody, outcome, error) = await SendOnceAsync(uri, sent, headers, cancellationToken);
        return new NotificationPost(headers, signed, sent, httpStatus, responseBody, outcome, error);
    }

    private async Task<(int? HttpStatus, string? Body, string Outcome, string? Error)> SendOnceAsync(
        Uri uri, byte[] body, IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken)
    {
        HttpRequestMessage NewRequest()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
            foreach (var (name, value) in headers)
            {
                if (name == "Content-Type")
                {
                    request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
                }
                else
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }
            }

            return request;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.NotificationTimeout);
        var origin = uri.GetLeftPart(UriPartial.Authority);
        var pooled = !closingOrigins.ContainsKey(origin);
        try
        {
            using var response = await SendAsync(NewRequest, pooled, origin, timeout.Token);
            var text = Decode(await ReadAtMostAsync(response.Content, MaxReadResponseBytes, timeout.Token), response.Content.Headers.ContentType?.CharSet);
            // NUL cannot be stored in a PostgreSQL text column (the attempt could not be recorded, and the run failed
            // again every second): kept as U+FFFD, as the ledger shows an answer, not its bytes.
            var kept = (text.Length > KeptResponseChars ? text[..KeptResponseChars] : text).Replace('\0', '\uFFFD');
            var acknowledged = (int)response.StatusCode == 200 && IsAcknowledgement(text);
            return ((int)response.StatusCode, kept, acknowledged ? DeliveryOutcomes.Acknowledged : DeliveryOutcomes.Rejected,
                acknowledged ? null : "the answer was not HTTP 200 with result.resultStatus S");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, null, DeliveryOutcomes.Timeout, $"no answer within {options.Value.NotificationTimeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            return (null, null, DeliveryOutcomes.Unreachable, Describe(ex));
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever else a receiver's answer does to the client is this attempt's failure, recorded as such: it
            // must not stop the run that carries every other subscription's notifications.
            return (null, null, DeliveryOutcomes.Unreachable, $"the answer could not be read ({ex.GetType().Name}: {ex.Message})");
        }
    }

    /// <summary>
    /// How much of a receiver's answer is read: far more than the acknowledgement takes, and a bound on what a receiver
    /// that answers with hundreds of megabytes costs (the whole answer was read, however large).
    /// </summary>
    private const int MaxReadResponseBytes = 64 * 1024;

    /// <summary>The answer's first <paramref name="limit"/> bytes (the rest is not read; the connection is not reused).</summary>
    private static async Task<byte[]> ReadAtMostAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(limit);
        try
        {
            var length = 0;
            int read;
            while (length < limit && (read = await stream.ReadAsync(buffer.AsMemory(length, limit - length), cancellationToken)) > 0)
            {
                length += read;
            }

            return buffer[..length];
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>An answer's text in the charset it declares, or UTF-8 when it declares none or one that does not exist.</summary>
    private static string Decode(byte[] body, string? charset)
    {
        var encoding = Encoding.UTF8;
        if (charset is { Length: > 0 })
        {
            try
            {
                encoding = Encoding.GetEncoding(charset.Trim('"'));
            }
            catch (ArgumentException)
            {
                // An unknown charset (charset=bogus): read as UTF-8, as the acknowledgement is JSON.
            }
        }

        return encoding.GetString(body);
    }

    /// <summary>
    /// Sends on a pooled connection, or on a new one to a receiver known to close after each answer. A request that
    /// took a pooled connection such a receiver had already closed (it chose the pooled client before the receiver was
    /// known) never reached it, and goes again on a new connection.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> newRequest, bool pooled, string origin, CancellationToken cancellationToken)
    {
        using (var request = newRequest())
        {
            try
            {
                var response = await httpClients.CreateClient(pooled ? HttpClientName : NewConnectionClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (ClosesAfterEachAnswer(response))
                {
                    // Known before the answer is read, so before its connection goes back to the pool.
                    closingOrigins.TryAdd(origin, true);
                }

                return response;
            }
            catch (HttpRequestException ex) when (pooled && ex.HttpRequestError == HttpRequestError.ResponseEnded && closingOrigins.ContainsKey(origin))
            {
                // Below: on a new connection.
            }
        }

        using var again = newRequest();
        return await httpClients.CreateClient(NewConnectionClientName).SendAsync(again, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>
    /// An HTTP/1.0 answer without <c>Connection: keep-alive</c> (Python's <c>http.server</c> by default) means the
    /// receiver closes the connection after it. .NET would keep such a connection for the next request anyway and
    /// fail it when the receiver's close wins the race; the emulator sends that receiver's later notifications on new
    /// connections instead, as Antom's own sender does.
    /// </summary>
    private static bool ClosesAfterEachAnswer(HttpResponseMessage response) =>
        response.Version < System.Net.HttpVersion.Version11
        && !response.Headers.Connection.Contains("keep-alive", StringComparer.OrdinalIgnoreCase);

    /// <summary>The failure with its causes ("An error occurred while sending the request" alone says nothing).</summary>
    private static string Describe(Exception ex)
    {
        var parts = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            parts.Add(e.Message.TrimEnd('.'));
        }

        var described = string.Join(": ", parts.Distinct());
        return ex.GetBaseException() is System.Security.Authentication.AuthenticationException
            ? described + " (Antom delivers only to an endpoint whose certificate it trusts; for a self-signed certificate in testing, start the emulator with Emulator:AcceptAnyNotificationCertificate=true)"
            : described;
    }

    private static bool IsAcknowledgement(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("result", out var result)
                && result.ValueKind == JsonValueKind.Object
                && result.TryGetProperty("resultStatus", out var status)
                && status.ValueKind == JsonValueKind.String
                && status.GetString() == "S";
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
