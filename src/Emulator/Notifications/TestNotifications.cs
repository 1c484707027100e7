using System.Security.Cryptography;
using Emulator.Domain;
using Emulator.Faults;
using Emulator.Hosting;
using Emulator.Scheduling;
using Microsoft.Extensions.Options;

namespace Emulator.Notifications;

/// <summary>
/// Test notifications, the emulator's counterpart of the Test tab of Antom Dashboard's notification URL settings: one
/// simulated notification, signed as every notification is (SPEC §1.5), sent once now to a URL the merchant picks,
/// so that a webhook handler can be worked on without living a whole subscription. Not in the ledger, never retried
/// and out of reach of the delivery fault rules: the endpoint's answer is told to the caller instead.
/// </summary>
public sealed class TestNotifications(
    NotificationDispatcher dispatcher,
    MerchantClocks clocks,
    SubscriptionIds ids,
    ResultCodeCatalogue catalogue,
    IOptions<EmulatorOptions> options,
    ILogger<TestNotifications> logger)
{
    /// <summary>
    /// Begins the <c>emulator-notification-id</c> of a test notification: a handler that keeps the ids it processed
    /// (Antom sends a notification again until acknowledged) can tell these from real ones.
    /// </summary>
    public const string IdPrefix = "ntf_test_";

    /// <summary>Begins the sample's <c>subscriptionRequestId</c>: no request of the merchant has it.</summary>
    public const string SampleRequestIdPrefix = "sample-";

    private static readonly DateTimeOffset EarliestStart = new(1, 1, 2, 0, 0, 0, TimeSpan.Zero);

    private static readonly DateTimeOffset LatestStart = new(9999, 9, 30, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The deduction codes a sample failed payment can have: the <c>F</c> codes of <c>deduction</c>.</summary>
    public IEnumerable<string> FailureCodes =>
        catalogue.All.Where(r => r.Api == FaultTargets.Deduction && r.ResultStatus == "F").Select(r => r.Code);

    /// <summary>
    /// The body the emulator sends for the event, of a fresh subscription (ids in the emulator's format) that starts,
    /// and whose buyer decides, at <paramref name="now"/>: notifySubscription of <paramref name="subscriptionNotificationType"/>
    /// (<paramref name="declined"/>: the CREATE of a declined request), or the notifyPayment of its first period, a success or
    /// a failure with <paramref name="resultCode"/>.
    /// </summary>
    public string Sample(string clientId, DateTimeOffset now, string kind, string? subscriptionNotificationType, bool declined, string? resultCode)
    {
        // A clock at the calendar's ends (a test may freeze one there) has no room for a sample's first period and its
        // authorization window: the sample then starts as near to it as the calendar allows.
        var start = now < EarliestStart ? EarliestStart.ToOffset(now.Offset) : now > LatestStart ? LatestStart.ToOffset(now.Offset) : now;
        var samples = new SampleNotifications(clientId, start, SampleRequestIdPrefix, options.Value.DeductionLeadTime, catalogue);
        var subscriptionId = ids.NextSubscriptionId(now);
        var body = kind == NotificationKinds.Payment
            ? samples.Payment(subscriptionId, ids.NextPaymentId(now), 1, failureCode: resultCode is null or "SUCCESS" ? null : resultCode)
            : samples.Subscription(subscriptionId, subscriptionNotificationType ?? "CREATE", declined);

        // As the outbox stores a body: as it will be sent.
        return options.Value.NumbersAsStrings ? Protocol.WireNumbers.AsStrings(body) : body;
    }

    /// <summary>
    /// Sends <paramref name="body"/> (or, when null, the <see cref="Sample"/> those arguments choose) to
    /// <paramref name="url"/> once, signed at the merchant's time now (or forged as <paramref name="forgery"/>, one of
    /// <see cref="NotificationForgeries"/>, says), and tells what the endpoint did.
    /// </summary>
    public async Task<TestNotificationSent> SendAsync(
        string clientId, string kind, string url, string? body, string? subscriptionNotificationType, bool declined, string? resultCode, string? forgery,
        CancellationToken cancellationToken)
    {
        var now = await clocks.NowAsync(clientId, cancellationToken);
        body ??= Sample(clientId, now, kind, subscriptionNotificationType, declined, resultCode);
        var notificationId = IdPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var post = await dispatcher.PostAsync(clientId, notificationId, url, body, now, forgery, cancellationToken);
        var sent = new TestNotificationSent(notificationId, kind, url, now, post.Body ?? body, forgery, post);
        logger.LogInformation(
            "Test notification {Kind} {NotificationId} of {ClientId} to {Url}, {Forgery}: {Outcome} ({Detail}), {Verdict}",
            kind, notificationId, clientId, url, forgery ?? "signed by Antom", post.Outcome, post.HttpStatus is { } status ? $"HTTP {status}" : post.Error ?? "no answer",
            sent.Passed ? "as expected" : $"expected {sent.Expected}");
        return sent;
    }
}
