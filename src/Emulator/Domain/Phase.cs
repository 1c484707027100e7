namespace Emulator.Domain;

/// <summary>One billing period's payment (SPEC §3.10, §4.4): the record behind a notifyPayment.</summary>
public sealed record Phase(
    int PhaseNo,
    DateTimeOffset PeriodStartTime,
    DateTimeOffset PeriodEndTime,
    Amount Amount,
    string PaymentId,
    DateTimeOffset PaymentCreateTime,
    string ResultStatus,
    string ResultCode,
    string ResultMessage,
    DateTimeOffset? PaymentTime)
{
    public bool Succeeded => ResultStatus == "S";

    /// <summary>Taken and not done yet (a deduction fault left it processing): no notifyPayment, not listed by inquireSubscriptionPayment.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool UnderWay => ResultStatus == "U";
}
