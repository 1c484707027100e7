namespace ContractTests.Support;

/// <summary>Tests that change process-wide state (environment variables) run in this collection, after the others and alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process environment";
}
