using Emulator.Notifications;

namespace Emulator.Control;

/// <summary>
/// What a test notification did (CONTROL-API.md "Notifications"): the request as sent (its headers, the exact body, and
/// <see cref="SignedContent"/>, the text a merchant's verifier must rebuild) and the endpoint's answer, as the ledger
/// shows an attempt. <see cref="Forgery"/> is how it was forged (null: signed as Antom signs), <see cref="Expected"/> what
/// Antom's rules expect of the endpoint (<c>acknowledged</c>, or <c>notAcknowledged</c> for a forged one) and
/// <see cref="Passed"/> whether it did: a forged one passes only when <c>rejected</c>, as an endpoint unreachable or
/// silent says nothing of its verifier.
/// </summary>
/// <param name="Body">The exact body sent; for a <c>tamperedBody</c> forgery, not the one <see cref="SignedContent"/> ends with.</param>
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
    string? Error,
    string? Forgery,
    string Expected,
    bool Passed)
{
    public static TestNotificationView From(TestNotificationSent sent) => new(
        sent.NotificationId, sent.Kind, sent.Url, sent.At, sent.Post.Headers, sent.Body, sent.Post.SignedContent,
        sent.Post.HttpStatus, sent.Post.ResponseBody, sent.Post.Outcome, sent.Post.Error, sent.Forgery, sent.Expected, sent.Passed);
}
