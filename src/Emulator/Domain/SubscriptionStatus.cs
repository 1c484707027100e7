using System.Text.Json.Serialization;

namespace Emulator.Domain;

/// <summary>The states of a subscription (SPEC §4.2); the wire names are the enum member names.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SubscriptionStatus>))]
public enum SubscriptionStatus
{
    [JsonStringEnumMemberName("AWAITING_AUTHORIZATION")]
    AwaitingAuthorization,

    [JsonStringEnumMemberName("ACTIVE")]
    Active,

    [JsonStringEnumMemberName("CANCELLED")]
    Cancelled,

    [JsonStringEnumMemberName("TERMINATED")]
    Terminated,
}
