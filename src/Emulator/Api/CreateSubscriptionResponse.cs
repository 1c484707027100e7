using Emulator.Protocol;

namespace Emulator.Api;

/// <summary>create's answer: where to send the buyer (SPEC §3.1). No <c>subscriptionId</c>: notifications bring it.</summary>
public sealed record CreateSubscriptionResponse(
    AntomResult Result,
    string? SchemeUrl = null,
    string? ApplinkUrl = null,
    string? NormalUrl = null,
    string? AppIdentifier = null) : AntomResponse(Result);
