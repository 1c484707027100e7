using System.Text.Json;
using System.Text.Json.Serialization;
using Emulator.Hosting;
using Microsoft.Extensions.Options;

namespace Emulator.Faults;

/// <summary>
/// Every (API, result code) the emulator can answer, read from <c>fixtures/result-codes.json</c>: the same file the
/// tests read (SPEC §3, §3.10, §3.14).
/// </summary>
public sealed class ResultCodeCatalogue
{
    public ResultCodeCatalogue(IOptions<EmulatorOptions> options)
    {
        var rows = JsonSerializer.Deserialize<List<Row>>(File.ReadAllText(options.Value.FixturePath("result-codes.json")), new JsonSerializerOptions(JsonSerializerDefaults.Web))
            ?? throw new InvalidDataException("result-codes.json is empty");
        All = [.. rows.Select(r => new ResultCode(r.Api, r.ResultCode, r.ResultStatus, r.Message, r.Action))];
    }

    public IReadOnlyList<ResultCode> All { get; }

    public ResultCode? Find(string api, string code) => All.FirstOrDefault(r => r.Api == api && r.Code == code);

    public IEnumerable<string> CodesOf(string api) => All.Where(r => r.Api == api).Select(r => r.Code);

    private sealed record Row(string Api, [property: JsonPropertyName("resultCode")] string ResultCode, string ResultStatus, string Message, string Action);
}
