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
/// <c>POST &lt;path of the merchant URL&gt;\n&lt;client-id&gt;.&lt;request-time&gt;.&lt;body&gt;</c> (SPEC §1.5) and counts as
/// acknowledged only on HTTP 200 whose JSON has <c>result.resultStatus</c> = <c>S</c> (SPEC §4.3, §10).
/// </summary>
public sealed class NotificationDispatcher(
    IHttpClientFactory httpClients,
    Outbox outbox,
    AntomSigningKey signingKey,
    IOptions<EmulatorOptions> options,
    ILogger<NotificationDispatcher> logger)
{
    public const string HttpClientName = "antom-notifications";
    public const string NotificationIdHeader = "emulator-notification-id";
    private const int KeptResponseChars = 2048;

    /// <summary>One attempt, recorded in the ledger at once (redeliveries, faults, the buyer's page).</summary>
    /// <param name="drop">The <c>drop</c> delivery fault: nothing is sent, and the attempt counts as unacknowledged.</param>
    public async Task<DeliveryAttempt> AttemptAsync(NotificationRecord notification, DateTimeOffset at, bool redelivery, CancellationToken cancellationToken, bool drop = false)
    {
        var pending = await SendAsync(notification, at, redelivery, drop, cancellationToken);
        return (await RecordAsync([pending]))[0];
    }

    /// <summary>
    /// Sends one attempt and works out the notification's new standing (acknowledged, next retry per SPEC §4.3, or
    /// exhausted) without recording it: the time machine records a whole step's attempts in one transaction.
    /// </summary>
    public async Task<PendingAttempt> SendAsync(NotificationRecord notification, DateTimeOffset at, bool redelivery, bool drop, CancellationToken cancellationToken)
    {
        var (httpStatus, responseBody, outcome, error) = drop
            ? (null, null, DeliveryOutcomes.Unreachable, "dropped by a delivery fault: not sent, as if the notification URL could not be reached")
            : await PostAsync(notification, at, cancellationToken);
        var sandbox = string.Equals(options.Value.NotificationRetries, "sandbox", StringComparison.OrdinalIgnoreCase);

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
            next = RetrySchedule.Next(at, count, sandbox);
            status = next is null ? "exhausted" : "pending";
        }

        return new PendingAttempt(notification, new AttemptRecord(0, at, httpStatus, responseBody, outcome, error, redelivery), status, next, count);
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
                "Delivered {Kind} {NotificationId} of {ClientId} to {Url}, attempt {Attempt}: {Outcome} {HttpStatus}",
                notification.Kind, notification.NotificationId, notification.ClientId, notification.Url, numbers[i], record.Outcome, record.HttpStatus);
            results.Add(new DeliveryAttempt(notification, numbers[i], record.At, record.Outcome, record.HttpStatus));
        }

        return results;
    }

    private async Task<(int? HttpStatus, string? Body, string Outcome, string? Error)> PostAsync(NotificationRecord notification, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(notification.Url, UriKind.Absolute, out var uri))
        {
            return (null, null, DeliveryOutcomes.Unreachable, $"'{notification.Url}' is not an absolute URL");
        }

        var requestTime = at.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
        var body = Encoding.UTF8.GetBytes(notification.Body);
        var signature = signingKey.Sign(AntomSignature.SignedContent(uri.PathAndQuery, notification.ClientId, requestTime, body));
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=UTF-8");
        request.Headers.TryAddWithoutValidation("client-id", notification.ClientId);
        request.Headers.TryAddWithoutValidation("request-time", requestTime);
        request.Headers.TryAddWithoutValidation("signature", AntomSignature.HeaderValue(signature, signingKey.KeyVersion));
        request.Headers.TryAddWithoutValidation(NotificationIdHeader, notification.NotificationId);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.NotificationTimeout);
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            var kept = text.Length > KeptResponseChars ? text[..KeptResponseChars] : text;
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
            return (null, null, DeliveryOutcomes.Unreachable, ex.Message);
        }
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
