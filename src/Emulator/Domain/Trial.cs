namespace Emulator.Domain;

/// <summary>Periods <c>StartPeriod..EndPeriod</c> (1-based) are charged <c>Amount</c> instead of the plan amount (SPEC §2.4).</summary>
public sealed record Trial(int StartPeriod, int EndPeriod, Amount Amount)
{
    public bool Covers(int phaseNo) => phaseNo >= StartPeriod && phaseNo <= EndPeriod;
}
