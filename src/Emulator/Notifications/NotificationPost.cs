namespace Emulator.Notifications;

/// <summary>
/// One signed POST of a notification body, as the dispatcher sent it: the headers it set (besides <c>Host</c> and
/// <c>Content-Length</c>), the exact text it signed (SPEC §1.5), and what the endpoint did with it (SPEC §4.3).
/// </summary>
/// <param name="Headers">Empty, and <paramref name="SignedContent"/> null, when the URL could not be sent to.</param>
/// <param name="ResponseBody">The answer's first 2 KiB, as the ledger keeps it.</param>
public sealed record NotificationPost(
    IReadOnlyDictionary<string, string> Headers,
    string? SignedContent,
    int? HttpStatus,
    string? ResponseBody,
    string Outcome,
    string? Error)
{
    /// <summary>An attempt that sent nothing: <c>unreachable</c>, for the reason given.</summary>
    public static NotificationPost NotSent(string error) =>
        new(new Dictionary<string, string>(), null, null, null, DeliveryOutcomes.Unreachable, error);
}
