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
}
