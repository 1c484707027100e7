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

    /// <summary>
    /// The README is the front door and the pages under docs/ hold the reference: a link between them that leads nowhere
    /// (a page renamed, a heading reworded) leaves a reader at a dead end. Anchors are GitHub's: the heading in lower
    /// case, its punctuation dropped, its spaces turned into hyphens.
    /// </summary>
    [Fact]
    public void ReadmeAndDocs_RelativeLinks_LeadToPagesAndHeadingsThatExist()
    {
        var root = Path.GetDirectoryName(Fixtures.Directory)!;
        var pages = Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md").Append(Path.Combine(root, "README.md")).ToList();

        var links = pages.SelectMany(page => MarkdownLink().Matches(File.ReadAllText(page))
                .Select(link => (Page: page, Target: link.Groups[1].Value)))
            .Where(link => !link.Target.Contains("://", StringComparison.Ordinal))
            .ToList();
        var broken = links.Where(link =>
        {
            var (path, anchor) = link.Target.Split('#', 2) is [var p, var a] ? (p, a) : (link.Target, null);
            var target = path.Length == 0 ? link.Page : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(link.Page)!, path));
            if (!File.Exists(target) && !Directory.Exists(target))
            {
                return true;
            }

            return anchor is not null && !File.ReadAllLines(target).Where(line => line.StartsWith('#')).Select(Slug).Contains(anchor);
        }).Select(link => $"{Path.GetRelativePath(root, link.Page)}: {link.Target}");

        links.Should().Contain(link => link.Target.Contains('#'), "the pages link to each other's headings");
        broken.Should().BeEmpty();
    }

    private static string Slug(string heading) =>
        new string(heading.TrimStart('#').Trim().ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_').ToArray()).Replace(' ', '-');

    [GeneratedRegex(@"\[[^\]\n]*\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();

    /// <summary>
    /// The kit's package source, added as the README says, belongs to the merchant's test project: `dotnet nuget add
    /// source` run in a folder without a nuget.config writes to the user-wide NuGet settings, which CI does not have.
    /// </summary>
    [Fact]
    public async Task ReadmeKitPackageSource_AddedAsWritten_LandsInTheTestProjectsOwnConfig()
    {
        var root = Path.GetDirectoryName(Fixtures.Directory)!;
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var commands = ShellBlock().Matches(readme).SelectMany(block => block.Groups[1].Value.Split('\n'))
            .Concat(InlineCode().Matches(readme).Select(span => span.Groups[1].Value))
            .Select(line => line.Split(" #")[0].Trim())
            .Where(line => line.StartsWith("dotnet new nugetconfig", StringComparison.Ordinal)
                || (line.StartsWith("dotnet nuget add source", StringComparison.Ordinal) && line.Contains("/path/to/packages", StringComparison.Ordinal)))
            .Distinct()
            .ToList();
        var work = Directory.CreateTempSubdirectory("readme-nuget-source-").FullName;
        try
        {
            var project = Directory.CreateDirectory(Path.Combine(work, "MerchantTests")).FullName;
            var home = Directory.CreateDirectory(Path.Combine(work, "home")).FullName;
            var feed = Directory.CreateDirectory(Path.Combine(work, "packages")).FullName;
            var environment = new Dictionary<string, string> { ["HOME"] = home, ["DOTNET_CLI_HOME"] = home };

            var runs = new List<(int ExitCode, string Output)>();
            foreach (var command in commands)
            {
                var words = command.Replace("/path/to/packages", feed, StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                runs.Add(await Command.RunAsync(words[0], words[1..], project, environment));
            }

            commands.Should().Contain(c => c.StartsWith("dotnet nuget add source", StringComparison.Ordinal));
            runs.Should().OnlyContain(run => run.ExitCode == 0, string.Join('\n', runs.Select(run => run.Output)));
            File.Exists(Path.Combine(project, "nuget.config")).Should().BeTrue("the source belongs in the test project's own nuget.config");
            File.ReadAllText(Path.Combine(project, "nuget.config")).Should().Contain(feed);
            Directory.EnumerateFiles(home, "*", SearchOption.AllDirectories)
                .Where(file => Path.GetFileName(file).Equals("nuget.config", StringComparison.OrdinalIgnoreCase))
                .Should().NotContain(file => File.ReadAllText(file).Contains(feed, StringComparison.Ordinal), "the user-wide NuGet settings are left alone");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [GeneratedRegex("```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    private static string Strip(string code) => string.Join('\n', code.ReplaceLineEndings("\n").Split('\n')
        .Where(l => !l.StartsWith("namespace ", StringComparison.Ordinal) && !l.StartsWith("//", StringComparison.Ordinal) && l.Trim().Length > 0)
        .Select(l => l.Replace("ReadmeExampleTests", "SubscriptionTests", StringComparison.Ordinal)));

    [GeneratedRegex("`([^`\n]+)`")]
    private static partial Regex InlineCode();

    [GeneratedRegex("```csharp\n(using Emulator.Testing;\n.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
