using System.Text.Json;
using Emulator.Hosting;
using Emulator.Scheduling;
using Microsoft.Extensions.Options;

namespace Emulator.Faults;

/// <summary>The scenarios of <c>fixtures/scenarios/</c>, and applying one to a merchant.</summary>
public sealed class ScenarioLibrary(IOptions<EmulatorOptions> options, ResultCodeCatalogue catalogue, FaultStore faults, MerchantClocks clocks)
{
    // Instants with their offset, as in the control API (a frozenAt without one would be read in the server's zone).
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new Control.InstantJsonConverter() } };

    public IReadOnlyList<Scenario> All()
    {
        var folder = options.Value.FixturePath("scenarios");
        return !Directory.Exists(folder)
            ? []
            : [.. Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal).Select(Load)];
    }

    public Scenario? Find(string name) => All().FirstOrDefault(s => s.Name == name);

    /// <summary>Adds the scenario's faults (each checked when the file was read) and sets its clock.</summary>
    public async Task<IReadOnlyList<FaultRule>> ApplyAsync(string clientId, Scenario scenario, CancellationToken cancellationToken)
    {
        if (scenario.Problem is { } problem)
        {
            throw new InvalidDataException(problem);
        }

        if (scenario.Clock is { } clock)
        {
            if (clock.FrozenAt is { } at)
            {
                await clocks.FreezeAsync(clientId, at, cancellationToken);
            }
            else if (clock.Freeze == true)
            {
                await clocks.FreezeAsync(clientId, await clocks.NowAsync(clientId, cancellationToken), cancellationToken);
            }
            else if (clock.Rate is { } rate)
            {
                await clocks.ResumeAsync(clientId, rate, cancellationToken);
            }
        }

        var now = await clocks.NowAsync(clientId, cancellationToken);
        var added = new List<FaultRule>();
        foreach (var fault in scenario.Faults)
        {
            added.Add(await faults.AddAsync(clientId, fault, now, cancellationToken));
        }

        return added;
    }

    private Scenario Load(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        try
        {
            var file = JsonSerializer.Deserialize<ScenarioFile>(File.ReadAllText(path), Json) ?? throw new JsonException("the file holds null");
            var faults = file.Faults ?? [];
            var invalid = file.Clock?.Problem()
                ?? faults.Select((fault, i) => (fault is null ? "null is not a fault rule" : fault.Validate(catalogue)) is { } error ? $"fault {i + 1}: {error}" : null).FirstOrDefault(e => e is not null);
            return new Scenario(name, file.Description ?? "", file.Clock, faults, invalid is null ? null : $"scenario {name} ({path}) cannot be applied: {invalid}");
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            var why = e is JsonException json && (FaultBody.UnknownField(json) ?? UnknownField(json)) is { } unknown ? unknown : e.Message;
            return new Scenario(name, "", null, [], $"scenario {name} ({path}) cannot be read: {why}");
        }
    }

    /// <summary>A field a scenario file does not have ("fault" for "faults"): refused, since ignoring it would apply less than the file says.</summary>
    private static string? UnknownField(JsonException problem) =>
        Protocol.UnmappedMember.Of(problem, typeof(ScenarioFile)) is { } field
            ? $"{field} is not a field of a scenario file, which takes description, clock and faults"
            : null;

    [System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
    private sealed record ScenarioFile(string? Description, ScenarioClock? Clock, List<FaultBody>? Faults);
}
