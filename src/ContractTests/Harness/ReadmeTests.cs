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

    [Fact]
    public void ReadmeShellCommands_BuildAndTestOneProjectAtATime()
    {
        // `dotnet build a b` stops with MSB1008 ("Only one project can be specified"): a walkthrough pasted as it is
        // would build nothing and run on.
        var root = Path.GetDirectoryName(Fixtures.Directory)!;
        var commands = ShellBlock().Matches(File.ReadAllText(Path.Combine(root, "README.md")))
            .SelectMany(block => block.Groups[1].Value.Split('\n'))
            .Select(line => line.Split(" #")[0])
            .SelectMany(line => line.Split("&&"))
            .Select(command => command.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(words => words is ["dotnet", "build" or "test" or "pack" or "publish", ..])
            .ToList();

        commands.Should().NotBeEmpty();
        foreach (var words in commands)
        {
            var optionsWithValues = new HashSet<string> { "-c", "-o", "--configuration", "--output", "-v", "--filter", "--os", "-r" };
            var projects = words.Skip(2).Where((word, i) => !word.StartsWith('-') && !(i > 0 && optionsWithValues.Contains(words[i + 1])));
            projects.Should().HaveCountLessThanOrEqualTo(1, $"`{string.Join(' ', words)}` names one project or solution");
        }
    }

    [GeneratedRegex("```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    private static string Strip(string code) => string.Join('\n', code.ReplaceLineEndings("\n").Split('\n')
        .Where(l => !l.StartsWith("namespace ", StringComparison.Ordinal) && !l.StartsWith("//", StringComparison.Ordinal) && l.Trim().Length > 0)
        .Select(l => l.Replace("ReadmeExampleTests", "SubscriptionTests", StringComparison.Ordinal)));

    [GeneratedRegex("```csharp\n(using Emulator.Testing;\n.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
