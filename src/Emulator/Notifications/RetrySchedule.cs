namespace Emulator.Notifications;

/// <summary>
/// Antom re-sends an unacknowledged notification after 2 min, 10 min, 10 min, 1 h, 2 h, 6 h and 15 h: eight attempts
/// in all (SPEC §4.3, §10). Its list of intervals starts with 0 s, read here as the first attempt, which is how
/// Alipay's older notification documents count it (eight notifications within about 25 hours). The sandbox does not
/// re-send.
/// </summary>
public static class RetrySchedule
{
    public static readonly IReadOnlyList<TimeSpan> Intervals =
    [
        TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1),
        TimeSpan.FromHours(2), TimeSpan.FromHours(6), TimeSpan.FromHours(15),
    ];

    /// <summary>When to try again after scheduled attempt <paramref name="attempt"/> failed, or null when that was the last.</summary>
    public static DateTimeOffset? Next(DateTimeOffset failedAt, int attempt, bool sandbox) =>
        sandbox || attempt > Intervals.Count || DateTimeOffset.MaxValue - failedAt < Intervals[attempt - 1]
            ? null // No retry past the end of the calendar: the notification is exhausted (the run failed every second).
            : failedAt + Intervals[attempt - 1];
}
