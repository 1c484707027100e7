using Emulator.Scheduling;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Emulator.Control;

/// <summary>The merchant's clock (CONTROL-API.md "Clock"): read, freeze, resume, advance.</summary>
public static class ClockApi
{
    public static RouteGroupBuilder MapClockApi(this RouteGroupBuilder merchant)
    {
        merchant.MapGet("/clock", GetClockAsync).WithName("GetClock");
        merchant.MapPost("/clock/freeze", FreezeAsync).WithName("FreezeClock");
        merchant.MapPost("/clock/resume", ResumeAsync).WithName("ResumeClock");
        merchant.MapPost("/clock/advance", AdvanceAsync).WithName("AdvanceClock");
        return merchant;
    }

    /// <summary>During an advance, the time its run has reached.</summary>
    public static async Task<Ok<ClockView>> GetClockAsync(string clientId, MerchantClocks clocks, CancellationToken cancellationToken)
    {
        var state = await clocks.GetAsync(clientId, cancellationToken);
        return TypedResults.Ok(new ClockView(await clocks.NowAsync(clientId, cancellationToken), state.FrozenAt is not null, state.Rate));
    }

    public static async Task<Ok<ClockView>> FreezeAsync(string clientId, FreezeBody? body, MerchantClocks clocks, TimeProvider wall, CancellationToken cancellationToken)
    {
        var at = body?.At ?? await clocks.NowAsync(clientId, cancellationToken);
        return TypedResults.Ok(View(await clocks.FreezeAsync(clientId, at, cancellationToken), wall));
    }

    /// <summary>
    /// Ticks again from the clock's current reading: with the wall, or <c>rate</c> times as fast, for people who watch
    /// renewals happen (a staging instance, the dashboard) rather than advance the clock.
    /// </summary>
    public static async Task<Results<Ok<ClockView>, ProblemHttpResult>> ResumeAsync(
        string clientId, ResumeBody? body, MerchantClocks clocks, TimeProvider wall, CancellationToken cancellationToken)
    {
        var rate = body?.Rate ?? 1;
        if (!ClockState.IsRate(rate))
        {
            return ControlProblems.BadRequest(RateRule("rate", rate));
        }

        return TypedResults.Ok(View(await clocks.ResumeAsync(clientId, rate, cancellationToken), wall));
    }

    /// <summary>
    /// Moves the clock forward and runs everything that falls due on the way, in time order; answers once every
    /// delivery attempt that fell due has been made.
    /// </summary>
    public static async Task<Results<Ok<AdvanceView>, ProblemHttpResult>> AdvanceAsync(
        string clientId, AdvanceBody body, MerchantClocks clocks, TimeMachine machine, CancellationToken cancellationToken)
    {
        var now = await clocks.NowAsync(clientId, cancellationToken);
        DateTimeOffset target;
        if (body.By is not null && body.To is not null)
        {
            return ControlProblems.BadRequest("give either by (an ISO-8601 duration) or to (an instant), not both");
        }

        if (body.By is { } by)
        {
            if (!IsoDuration.TryAdd(now, by, out target))
            {
                return ControlProblems.BadRequest(IsoDuration.IsDuration(by)
                    ? PastTheCalendar($"{by} after its current time {now:O}")
                    : $"by must be an ISO-8601 duration such as P1M, P1Y2M, P3D or PT90M (got '{by}')");
            }
        }
        else if (body.To is { } to)
        {
            target = to;
        }
        else
        {
            return ControlProblems.BadRequest("give either by (an ISO-8601 duration) or to (an instant)");
        }

        if (target < now)
        {
            // Only a to can lie behind the clock (a by is never negative): the detail names it.
            return ControlProblems.BadRequest($"to must not be before the clock's current time {now:O} (got {target:O}): the clock moves forward only; to set it back, freeze it at the earlier instant");
        }

        // "by" counts from the clock when this advance has its turn: overlapping advances add up.
        var (after, events, there) = await machine.AdvanceAsync(
            clientId, turn => body.By is { } step && IsoDuration.TryAdd(turn, step, out var later) ? later : Max(target, turn), cancellationToken);
        return !there
            ? ControlProblems.NotFound($"merchant '{clientId}' was deleted while this advance waited for its turn: nothing was run, and no clock was kept")
            : TypedResults.Ok(new AdvanceView(after, events));
    }

    /// <summary>What a clock's rate must be, for the control API's answer to <paramref name="field"/> set to <paramref name="rate"/>.</summary>
    public static string RateRule(string field, long rate) =>
        $"{field} must be a whole number from 1 (the wall's pace) to {ClockState.MaxRate}, such as 14400 for a 30-day month in 3 minutes (got {rate})";

    /// <summary>Why an advance to <paramref name="where"/> is refused: the calendar ends with the year 9999.</summary>
    public static string PastTheCalendar(string where) =>
        $"the clock cannot go past the end of the calendar ({DateTimeOffset.MaxValue:O}), and {where} would; advance to {DateTimeOffset.MaxValue:O} at most";

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static ClockView View(ClockState state, TimeProvider wall) => new(state.Now(wall.GetUtcNow()), state.FrozenAt is not null, state.Rate);
}
