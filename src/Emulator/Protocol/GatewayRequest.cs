using System.Text.Json;
using Emulator.Merchants;

namespace Emulator.Protocol;

/// <summary>An authenticated, parsed call to the emulated API, handed to the API handler.</summary>
public sealed record GatewayRequest(
    Merchant Merchant,
    JsonElement Body,
    string CanonicalBodyHash,
    string BaseUrl,
    DateTimeOffset Now)
{
    /// <summary>
    /// The result code the caller is answered with instead of the outcome: a <c>U</c> fault whose effect is applied
    /// (the change takes place, the caller sees <c>U</c>). The subscription's timeline says both.
    /// </summary>
    public string? AnsweredWith { get; init; }

    /// <summary>
    /// Set when a refund answered <c>U</c> is taken as <c>PROCESSING</c> (a fault whose effect is <c>processing</c>):
    /// until when on the merchant's clock, or null until it is settled through the control API.
    /// </summary>
    public RefundProcessing? Processing { get; init; }

    /// <summary>
    /// Set when a fault answers the call with a business <c>F</c>: the handler keeps that answer under the request id
    /// once the body passes its field rules (SPEC §3.12: a final answer is given again for the same request), and
    /// changes nothing else.
    /// </summary>
    public AntomResult? Injected { get; init; }

    /// <summary>
    /// The fault rule chosen for the call, used up by the handler's write in the transaction that stores the call's
    /// effect and its kept answer (<see cref="Faults.FaultUse.UseAsync"/>); null when no rule concerns the call.
    /// </summary>
    public Faults.FaultUse? Fault { get; init; }

    /// <summary>Set once the call is in its subscription's timeline (shared by the copies <c>with</c> makes).</summary>
    public CallInTimeline InTimeline { get; init; } = new();

    /// <summary>Whether a request stored under the same request id with <paramref name="storedHash"/> was this one (see <see cref="BodyHashes"/>).</summary>
    public bool IsSameBody(string storedHash) =>
        storedHash == CanonicalBodyHash || BodyHashes.IsEarlierHashOf(storedHash, Body);
}

/// <summary>A refund a fault leaves processing: it succeeds by itself at <paramref name="Until"/>, or (null) only when settled.</summary>
public sealed record RefundProcessing(DateTimeOffset? Until);
