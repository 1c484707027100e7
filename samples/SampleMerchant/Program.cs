namespace SampleMerchant;

/// <summary>
/// Run: <c>dotnet run --project samples/SampleMerchant -- --urls http://127.0.0.1:8081 --Merchant:ClientId=…
/// --Merchant:PrivateKey=… --Merchant:AntomPublicKey=… [--Merchant:Careless=true]</c>.
/// </summary>
public static class Program
{
    public static void Main(string[] args) => MerchantApp.Build(args).Run();
}
