using System.Text.RegularExpressions;
using ContractTests.Support;

namespace ContractTests.Harness;

/// <summary>The README's merchant test is the one <see cref="ReadmeExampleTests"/> runs, word for word.</summary>
public sealed partial class ReadmeTests
{
    [Fact]
    public void ReadmeExample_IsTheTestThatRuns()
    {
        var root = Path.GetDirectoryName(Fixtures.Directory)!;
        var readme = CodeBlock().Match(File.ReadAllText(Path.Combine(root, "README.md"))).Groups[1].Value;
        var test = File.ReadAllText(Path.Combine(root, "src", "ContractTests", "Harness", "ReadmeExampleTests.cs"));

        Strip(test).Should().Be(Strip(readme));
    }

    private static string Strip(string code) => string.Join('\n', code.ReplaceLineEndings("\n").Split('\n')
        .Where(l => !l.StartsWith("namespace ", StringComparison.Ordinal) && !l.StartsWith("//", StringComparison.Ordinal) && l.Trim().Length > 0)
        .Select(l => l.Replace("ReadmeExampleTests", "SubscriptionTests", StringComparison.Ordinal)));

    [GeneratedRegex("```csharp\n(using Emulator.Testing;\n.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
