using System.Text;
using System.Text.Json;

namespace Emulator.Notifications;

/// <summary>
/// The ways a test notification can be forged (CONTROL-API.md "POST …/notifications/test"), so that a merchant whose
/// stack has no conformance tool can see its endpoint refuse a notification Antom did not sign (SPEC §1.5): each one a
/// notification its verifier must not accept.
/// </summary>
public static class NotificationForgeries
{
    /// <summary>Signed as Antom signs, in form and over the right content, but with an RSA-2048 key that is not Antom's.</summary>
    public const string WrongKey = "wrongKey";

    /// <summary>Antom's signature over the body, but the body sent is <see cref="Tamper"/>'s change of it.</summary>
    public const string TamperedBody = "tamperedBody";

    /// <summary>Without the <c>signature</c> header.</summary>
    public const string NoSignature = "noSignature";

    public static readonly IReadOnlyList<string> All = [WrongKey, TamperedBody, NoSignature];

    /// <summary>
    /// The body a <see cref="TamperedBody"/> notification sends instead of <paramref name="body"/>, which was signed: the
    /// same bytes with one value changed where a handler that trusted it would act on it: notifyPayment's
    /// <c>paymentAmount.value</c> gets a <c>0</c> appended (ten times the amount), notifySubscription's
    /// <c>subscriptionStatus</c> goes from <c>ACTIVE</c> to <c>TERMINATED</c> (any other status to <c>ACTIVE</c>). A body
    /// without that field (a caller's own) gets a space before its last <c>}</c> (at its end when it has none): the same
    /// JSON, other bytes. Deterministic, so that a caller can tell what the endpoint received.
    /// </summary>
    public static string Tamper(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        if (Find(bytes, "paymentAmount", "value") is { } amount)
        {
            return Splice(bytes, amount.Start + amount.Length, 0, "0");
        }

        if (Find(bytes, null, "subscriptionStatus") is { String: true } status)
        {
            var now = Encoding.UTF8.GetString(bytes, status.Start, status.Length);
            return Splice(bytes, status.Start, status.Length, now == "ACTIVE" ? "TERMINATED" : "ACTIVE");
        }

        var last = body.LastIndexOf('}');
        return last < 0 ? body + " " : body.Insert(last, " ");
    }

    /// <summary>
    /// Where the value of <paramref name="name"/> is (inside <paramref name="parent"/>, a member of the top-level object,
    /// or in that object itself when null), when it is a string (its bytes between the quotes) or a number.
    /// </summary>
    private static (int Start, int Length, bool String)? Find(byte[] json, string? parent, string name)
    {
        var reader = new Utf8JsonReader(json);
        string? member = null;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }

                var property = reader.GetString();
                var depth = reader.CurrentDepth;
                if (depth == 1)
                {
                    member = property;
                }

                if (property == name && (parent is null ? depth == 1 : depth == 2 && member == parent) && reader.Read())
                {
                    return reader.TokenType switch
                    {
                        JsonTokenType.String => ((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length, true),
                        JsonTokenType.Number => ((int)reader.TokenStartIndex, reader.ValueSpan.Length, false),
                        _ => null,
                    };
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON (the caller's body is checked to be before it is sent): no such value.
        }

        return null;
    }

    private static string Splice(byte[] bytes, int start, int length, string text) =>
        Encoding.UTF8.GetString(bytes, 0, start) + text + Encoding.UTF8.GetString(bytes, start + length, bytes.Length - start - length);
}
