using Emulator.Persistence;
using Npgsql;

namespace ContractTests.Persistence;

/// <summary>The Npgsql settings the emulator brings to a shared deployment, and the operator's word over them.</summary>
public sealed class PostgresSettingsTests
{
    [Fact]
    public void ConnectionString_WithoutThem_GetsStatementPreparationAndNoResetOnClose()
    {
        var settings = new NpgsqlConnectionStringBuilder(PostgresDatabase.WithDefaults("Host=db;Database=antom;Username=emulator"));

        settings.MaxAutoPrepare.Should().Be(64);
        settings.NoResetOnClose.Should().BeTrue();
        settings.Host.Should().Be("db");
        settings.Database.Should().Be("antom");
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("Host=db;maxautoprepare=0;noresetonclose=false")]
    public void ConnectionString_ThatSetsThem_IsKeptAsItIs(string connectionString)
    {
        var settings = new NpgsqlConnectionStringBuilder(PostgresDatabase.WithDefaults(connectionString));

        settings.MaxAutoPrepare.Should().Be(0);
        settings.NoResetOnClose.Should().BeFalse();
    }

    [Theory]
    [InlineData("Host=db", 32, 16)]
    [InlineData("Host=db;Maximum Pool Size=10", 7, 3)]
    [InlineData("Host=db;maxpoolsize=90", 74, 16)]
    public void Pools_NeverOpenMoreThanMaxPoolSizeInAll(string connectionString, int work, int turns)
    {
        var (workPool, lockPool) = PostgresDatabase.Pools(connectionString);

        new NpgsqlConnectionStringBuilder(workPool).MaxPoolSize.Should().Be(work);
        new NpgsqlConnectionStringBuilder(lockPool).MaxPoolSize.Should().Be(turns);
    }
}
