using Emulator.Domain;
using ContractTests.Support;

namespace ContractTests.Lifecycle;

/// <summary>The committed lifecycle diagram is the machine's own export (Stateless → Mermaid).</summary>
public sealed class DiagramTests
{
    private static string DocPath => Path.Combine(Path.GetDirectoryName(Fixtures.Directory)!, "docs", "subscription-lifecycle.md");

    public static string Document(string mermaid) =>
        "# Subscription lifecycle\n\n"
        + "Generated from the Stateless machine in `src/Emulator/Domain/Subscription.cs` by `DiagramTests`; do not edit by hand.\n"
        + "Regenerate with `UPDATE_DIAGRAM=1 dotnet test Emulator.sln --filter DiagramTests`.\n\n"
        + "```mermaid\n" + mermaid.Trim() + "\n```\n";

    [Fact]
    public void CommittedDiagram_MatchesTheMachine()
    {
        var expected = Document(Subscription.MermaidDiagram());
        if (Environment.GetEnvironmentVariable("UPDATE_DIAGRAM") == "1")
        {
            File.WriteAllText(DocPath, expected);
        }

        File.ReadAllText(DocPath).ReplaceLineEndings("\n").Should().Be(expected, "docs/subscription-lifecycle.md must be regenerated when the machine changes");
    }

    [Fact]
    public void Diagram_ShowsEveryStateAndTrigger()
    {
        var mermaid = Subscription.MermaidDiagram();

        mermaid.Should().Contain("AwaitingAuthorization").And.Contain("Active").And.Contain("Cancelled").And.Contain("Terminated");
        foreach (var trigger in new[] { "Approve", "Decline", "ExpireAuthorization", "Change", "Cancel", "Terminate", "ReachEndTime", "EndServedPeriod" })
        {
            mermaid.Should().Contain(trigger);
        }
    }
}
