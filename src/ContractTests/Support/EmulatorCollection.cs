namespace ContractTests.Support;

[CollectionDefinition(Name)]
public sealed class EmulatorCollection : ICollectionFixture<EmulatorFactory>
{
    public const string Name = "emulator";
}
