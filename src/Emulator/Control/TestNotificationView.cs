using Emulator.Notifications;

namespace Emulator.Control;

/// <summary>
/// What a test notification did (CONTROL-API.md "Notifications"): the request as sent (its headers, the exact body, and
/// <see cref="SignedContent"/>, the text a merchant's verifier must rebuild) and the endpoint's answer, as the ledger
/// shows an attempt.
/// </summary>
public sealed record TestNotificationView(
    string NotificationId,
    string Kind,
    string Url,
    DateTimeOffset At,
    IReadOnlyDictionary<string, string> Headers,
    string Body,
    string? SignedContent,
    int? HttpStatus,
    string? ResponseBody,
    string Outcome,
    string? Error)
{
    public static TestNotificationView From(TestNotificationSent sent) => new(
        sent.NotificationId, sent.Kind, sent.Url, sent.At, sent.Post.Headers, sent.Body, sent.Post.SignedContent,
        sent.Post.HttpStatus, sent.Post.ResponseBody, sent.Post.Outcome, sent.Post.Error);
}
