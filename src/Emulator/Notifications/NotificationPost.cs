namespace Emulator.Notifications;

/// <summary>
/// One signed POST of a notification body, as the dispatcher sent it: the headers it set (besides <c>Host</c> and
/// <c>Content-Length</c>), the exact text it signed (SPEC §1.5), and what the endpoint did with it (SPEC §4.3).
/// </summary>
/// <param name="Headers">Empty, and <paramref name="Signed"/> null, when the URL could not be sent to.</param>
/// <param name="Signed">The bytes signed; read as text only by those who show it (a ledger attempt does not).</param>
/// <param name="Sent">The body sent: the one signed, but for a <c>tamperedBody</c> test notification (<see cref="NotificationForgeries"/>).</param>
/// <param name="ResponseBody">The answer's first 2 KiB, as the ledger keeps it.</param>
public sealed record NotificationPost(
    IReadOnlyDictionary<string, string> Headers,
    byte[]? Signed,
    byte[]? Sent,
    int? HttpStatus,
    string? ResponseBody,
    string Outcome,
    string? Error)
{
    /// <summary>The exact text signed (UTF-8); null when nothing was.</summary>
    public string? SignedContent => Signed is null ? null : System.Text.Encoding.UTF8.GetString(Signed);

    /// <summary>The exact body sent (UTF-8); null when nothing was.</summary>
    public string? Body => Sent is null ? null : System.Text.Encoding.UTF8.GetString(Sent);

    /// <summary>An attempt that sent nothing: <c>unreachable</c>, for the reason given.</summary>
    public static NotificationPost NotSent(string error) =>
        new(new Dictionary<string, string>(), null, null, null, null, DeliveryOutcomes.Unreachable, error);
}
