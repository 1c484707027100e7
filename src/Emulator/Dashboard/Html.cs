using System.Net;
using System.Text;

namespace Emulator.Dashboard;

/// <summary>The pages' shared frame and escaping. Server-rendered, no scripts from elsewhere (the machines are offline).</summary>
public static class Html
{
    private const string Style =
        "body{font-family:system-ui,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;color:#1d2330}"
        + "table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #dde}"
        + "th{background:#f3f4f8}form{display:inline-block;margin:.2rem .4rem .2rem 0}button{padding:.3rem .9rem;cursor:pointer}"
        + ".closed{color:#a00}.S,.acknowledged,.ACTIVE,.passed{color:#16733a}.F,.rejected,.unreachable,.timeout,.exhausted,.TERMINATED,.failed{color:#a00}.U,.pending{color:#8a5a00}"
        + ".CANCELLED,.pending,.AWAITING_AUTHORIZATION{color:#9a6700}nav a{margin-right:1rem}code{background:#f3f4f8;padding:0 .2rem;overflow-wrap:anywhere}"
        + "pre{background:#f7f7fa;padding:.5rem;white-space:pre-wrap;word-break:break-all;max-width:60rem;font-size:.8rem}";

    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string U(string text) => Uri.EscapeDataString(text);

    public static IResult Page(string title, string body, int status = StatusCodes.Status200OK, string? nav = null) => Results.Content(
        $"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>{E(title)} · Antom emulator</title>
        <style>{Style}</style></head>
        <body>{nav}<h1>{E(title)}</h1>{body}</body></html>
        """,
        "text/html; charset=utf-8",
        Encoding.UTF8,
        status);

    public static void Row(StringBuilder body, params string[] cells)
    {
        body.Append("<tr>");
        foreach (var cell in cells)
        {
            body.Append("<td>").Append(cell).Append("</td>");
        }

        body.Append("</tr>");
    }

    public static string Header(params string[] names) => "<tr>" + string.Concat(names.Select(n => $"<th>{E(n)}</th>")) + "</tr>";

    public static string Button(string action, string label, string id, params (string Name, string Value)[] fields) =>
        $"<form method=\"post\" action=\"{E(action)}\">"
        + string.Concat(fields.Select(f => $"<input type=\"hidden\" name=\"{E(f.Name)}\" value=\"{E(f.Value)}\">"))
        + $"<button id=\"{E(id)}\" type=\"submit\">{E(label)}</button></form>";

    public static string Time(DateTimeOffset? time) => time?.ToString("yyyy-MM-dd HH:mm:ss zzz") ?? "";

    /// <summary>In <paramref name="offset"/> (a subscription's own, that of its start time), where the calendar allows it.</summary>
    public static string Time(DateTimeOffset? time, TimeSpan offset) =>
        Time(time is { } t ? Notifications.NotificationBodies.InOffset(t, offset) : null);
}
