using System.Text.Json.Serialization;

namespace Emulator.Protocol;

/// <summary>The <c>result</c> object of every Antom response and notification (SPEC §2.2).</summary>
public sealed record AntomResult(
    [property: JsonPropertyName("resultCode")] string ResultCode,
    [property: JsonPropertyName("resultStatus")] string ResultStatus,
    [property: JsonPropertyName("resultMessage")] string ResultMessage)
{
    public static AntomResult Success { get; } = new("SUCCESS", "S", "success");

    public static AntomResult ParamIllegal(string message) => new("PARAM_ILLEGAL", "F", message);

    public static AntomResult InvalidSignature(string message) => new("INVALID_SIGNATURE", "F", message);

    public static AntomResult UnknownClient(string clientId) =>
        new("UNKNOWN_CLIENT", "F", $"client id '{clientId}' is not registered with this emulator");

    public static AntomResult ProcessFail(string message) => new("PROCESS_FAIL", "F", message);

    public static AntomResult SubscriptionNotExist(string message) => new("SUBSCRIPTION_NOT_EXIST", "F", message);

    public static AntomResult UnknownException(string message) => new("UNKNOWN_EXCEPTION", "U", message);

    public static AntomResult NoInterfaceDefinition(string path) =>
        path.Split('?')[0] is var route && route.Contains("//", StringComparison.Ordinal)
            ? new("NO_INTERFACE_DEF", "F", $"no API is defined at '{path}': it has an empty path segment (a gateway URL ending in '/' joined to a path that starts with one?); send it to '{string.Join('/', route.Split('/', StringSplitOptions.RemoveEmptyEntries).Prepend(""))}'")
            : NotEmulated.FirstOrDefault(api => route.EndsWith(api.Path, StringComparison.Ordinal)) is { Path: not null } known
                ? new("NO_INTERFACE_DEF", "F", $"'{path}' is an Antom API that this emulator does not emulate ({known.Instead})")
                : new("NO_INTERFACE_DEF", "F", $"no API is defined at '{path}'");

    /// <summary>Antom APIs a subscription merchant may call that the emulator answers with NO_INTERFACE_DEF (SPEC §1.2).</summary>
    private static readonly (string Path, string Instead)[] NotEmulated =
    [
        ("/v1/subscriptions/inquiry", "read a subscription with /v1/subscriptions/inquireSubscription"),
        ("/v1/payments/inquiryPayment", "read a subscription's payments with /v1/subscriptions/inquireSubscriptionPayment"),
    ];
}
