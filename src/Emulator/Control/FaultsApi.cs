using Emulator.Faults;
using Emulator.Merchants;
using Emulator.Scheduling;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Emulator.Control;

/// <summary>Fault rules, scenarios and the result-code catalogue (CONTROL-API.md "Faults", "Server").</summary>
public static class FaultsApi
{
    public static RouteGroupBuilder MapFaultsApi(this RouteGroupBuilder root, RouteGroupBuilder merchant)
    {
        root.MapGet("/result-codes", ListResultCodes).WithName("ListResultCodes");
        root.MapGet("/scenarios", ListScenarios).WithName("ListScenarios");
        merchant.MapPost("/faults", AddFaultAsync).WithName("AddFault");
        merchant.MapGet("/faults", ListFaultsAsync).WithName("ListFaults");
        merchant.MapDelete("/faults/{faultId}", DeleteFaultAsync).WithName("DeleteFault");
        merchant.MapDelete("/faults", DeleteAllFaultsAsync).WithName("DeleteAllFaults");
        merchant.MapPost("/scenarios/{name}", ApplyScenarioAsync).WithName("ApplyScenario");
        return root;
    }

    public static Ok<List<ResultCodeView>> ListResultCodes(ResultCodeCatalogue catalogue) =>
        TypedResults.Ok(catalogue.All.Select(r => new ResultCodeView(r.Api, r.Code, r.ResultStatus, r.Message, r.Action)).ToList());

    public static Ok<List<ScenarioView>> ListScenarios(ScenarioLibrary scenarios) =>
        TypedResults.Ok(scenarios.All().Select(s => new ScenarioView(s.Name, s.Description, s.Faults.Count, s.Problem)).ToList());

    public static async Task<Results<Created<FaultRule>, ProblemHttpResult>> AddFaultAsync(
        string clientId, FaultBody body, ResultCodeCatalogue catalogue, FaultStore faults, MerchantClocks clocks, CancellationToken cancellationToken)
    {
        if (body.Validate(catalogue) is { } error)
        {
            return ControlProblems.BadRequest(error);
        }

        var rule = await faults.AddAsync(clientId, body, await clocks.NowAsync(clientId, cancellationToken), cancellationToken);
        return TypedResults.Created($"{ControlApi.Prefix}/merchants/{clientId}/faults/{rule.FaultId}", rule);
    }

    public static async Task<Ok<IReadOnlyList<FaultRule>>> ListFaultsAsync(string clientId, FaultStore faults, CancellationToken cancellationToken) =>
        TypedResults.Ok(await faults.ListAsync(clientId, cancellationToken));

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteFaultAsync(string clientId, string faultId, FaultStore faults, CancellationToken cancellationToken) =>
        await faults.DeleteAsync(clientId, faultId, cancellationToken)
            ? TypedResults.NoContent()
            : ControlProblems.NotFound($"merchant {clientId} has no fault {faultId}");

    public static async Task<NoContent> DeleteAllFaultsAsync(string clientId, FaultStore faults, CancellationToken cancellationToken)
    {
        await faults.DeleteAsync(clientId, null, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<IReadOnlyList<FaultRule>>, ProblemHttpResult>> ApplyScenarioAsync(
        string clientId, string name, ScenarioLibrary scenarios, CancellationToken cancellationToken)
    {
        if (scenarios.Find(name) is not { } scenario)
        {
            return ControlProblems.NotFound($"no scenario '{name}'; GET {ControlApi.Prefix}/scenarios lists them");
        }

        if (scenario.Problem is { } problem)
        {
            return ControlProblems.BadRequest(problem);
        }

        return TypedResults.Ok(await scenarios.ApplyAsync(clientId, scenario, cancellationToken));
    }
}
