using System.Text;
using System.Text.Json;

namespace Emulator.Testing.Conformance;

/// <summary>The suite's verdict on one integration, written as Markdown and JSON.</summary>
public sealed record Scorecard(string ClientId, DateTimeOffset At, IReadOnlyList<CheckResult> Checks)
{
    public bool Passed => Checks.All(c => c.Outcome != CheckResult.Fail);

    public IEnumerable<string> Failed => Checks.Where(c => c.Outcome == CheckResult.Fail).Select(c => c.Id);

    public string ToMarkdown()
    {
        var md = new StringBuilder($"# Antom integration conformance: {ClientId}\n\n");
        md.Append($"{Checks.Count(c => c.Outcome == CheckResult.Pass)} passed, {Checks.Count(c => c.Outcome == CheckResult.Fail)} failed, {Checks.Count(c => c.Outcome == CheckResult.Skipped)} skipped ({At:O})\n\n");
        md.Append("| Check | Result | Why |\n| --- | --- | --- |\n");
        foreach (var c in Checks)
        {
            md.Append($"| `{c.Id}` {c.Title} | {c.Outcome} | {c.Reason.Replace("|", "\\|", StringComparison.Ordinal)} |\n");
        }

        return md.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });

    public async Task WriteAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "conformance.md"), ToMarkdown());
        await File.WriteAllTextAsync(Path.Combine(directory, "conformance.json"), ToJson());
    }
}
