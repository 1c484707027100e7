namespace Emulator.Hosting;

/// <summary>Settings under <c>Emulator:</c>; each is settable by environment variable (<c>Emulator__DataDirectory</c>).</summary>
public sealed class EmulatorOptions
{
    public const string SectionName = "Emulator";

    /// <summary>Where the SQLite database and the generated HTTPS certificate live.</summary>
    public string DataDirectory { get; set; } = ".emulator-data";

    /// <summary>The checked-in fixtures (default merchant, keys, catalogues); copied beside the binaries at build.</summary>
    public string FixturesDirectory { get; set; } = Path.Combine(AppContext.BaseDirectory, "fixtures");

    /// <summary>
    /// The emulator's Antom private key used to sign responses and notifications: PEM, base64 PKCS#8 DER, or a path to
    /// a file holding either. Empty means the test key in <c>fixtures/keys/antom-private.pem</c>.
    /// </summary>
    public string AntomPrivateKey { get; set; } = "";

    /// <summary>The key version announced in response signatures.</summary>
    public string AntomKeyVersion { get; set; } = "1";

    /// <summary>
    /// Base URL put in <c>normalUrl</c> and the other authorization links. Empty means the scheme and host of the
    /// request that created the subscription.
    /// </summary>
    public string PublicBaseUrl { get; set; } = "";

    /// <summary>
    /// Write every number of the API answers and notifications as a string (SPEC §10), for clients written from Antom's
    /// documents, which type every field as a string. Off by default: the official SDKs' models read <c>periodCount</c>,
    /// the trial periods, <c>currentPhaseNo</c>, <c>phaseNo</c> and the paginator as numbers and fail on strings.
    /// </summary>
    public bool NumbersAsStrings { get; set; }

    /// <summary>Load the default merchant from <c>fixtures/default-merchant.json</c> at start.</summary>
    public bool LoadDefaultMerchant { get; set; } = true;

    /// <summary>Largest request body accepted on the emulated API, in bytes; larger ones get PARAM_ILLEGAL.</summary>
    public int MaxRequestBodyBytes { get; set; } = 512 * 1024;

    /// <summary>
    /// When set, every <c>/_emulator</c> call needs <c>Authorization: Bearer &lt;token&gt;</c>; when empty, the control
    /// API answers only callers on loopback (CONTROL-API.md).
    /// </summary>
    public string AdminToken { get; set; } = "";

    /// <summary>How long before a later phase begins its deduction runs (SPEC §10 "Later phases").</summary>
    public TimeSpan DeductionLeadTime { get; set; } = TimeSpan.FromHours(24);

    /// <summary><c>antom</c>: 8 attempts over about a day (SPEC §4.3); <c>sandbox</c>: one attempt, no retries.</summary>
    public string NotificationRetries { get; set; } = "antom";

    /// <summary><see cref="NotificationRetries"/> is <c>sandbox</c>: one attempt, no retries.</summary>
    public bool SandboxRetries => string.Equals(NotificationRetries, "sandbox", StringComparison.OrdinalIgnoreCase);

    /// <summary>How long a merchant's endpoint has to answer a notification before the attempt counts as a timeout.</summary>
    public TimeSpan NotificationTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Deliver notifications to HTTPS endpoints whose certificate this machine does not trust (a self-signed certificate
    /// on a developer's endpoint, a container's own). Off by default: Antom requires a certificate it trusts, and an
    /// attempt to an untrusted one is <c>unreachable</c>, its <c>error</c> naming this setting.
    /// </summary>
    public bool AcceptAnyNotificationCertificate { get; set; }

    /// <summary>
    /// On a shared instance, how long a merchant may go unused (no API call, no control call or dashboard page naming
    /// it) before it is deleted with everything it has, so that merchants left behind by cancelled pipelines do not pile
    /// up. Null (the default): merchants are kept until deleted. The default merchant of <c>fixtures/</c> and those
    /// named by <see cref="StartupScenarios"/> are always kept.
    /// </summary>
    public TimeSpan? MerchantRetention { get; set; }

    /// <summary>How often the background loop runs due work on every merchant's clock.</summary>
    public TimeSpan SchedulerInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a <c>timeout</c> transport fault holds the connection when the client does not give up first.</summary>
    public TimeSpan TimeoutFaultHold { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Networks (CIDR, e.g. <c>172.16.0.0/12</c>) whose callers may use the control API and dashboard without a token
    /// when <see cref="AdminToken"/> is empty, besides loopback: in a container, the host's requests come from the
    /// bridge network's gateway, not from loopback. Empty (the default): loopback callers only.
    /// </summary>
    public List<string> ControlNetworks { get; set; } = [];

    /// <summary>Scenarios applied at start, each <c>clientId:scenarioName</c> (e.g. <c>Emulator__StartupScenarios__0</c>).</summary>
    public List<string> StartupScenarios { get; set; } = [];

    /// <summary>
    /// A <see cref="StartupScenarios"/> entry's client id and scenario name, split at its last colon (a client id may hold
    /// one); null when it has no client id before one.
    /// </summary>
    public static (string ClientId, string Scenario)? StartupScenario(string entry) =>
        entry.LastIndexOf(':') is > 0 and var separator ? (entry[..separator], entry[(separator + 1)..]) : null;

    /// <summary>
    /// A PostgreSQL (Npgsql) connection string. Empty (the default) keeps state in the SQLite file in
    /// <see cref="DataDirectory"/>; set, the emulator keeps it in that database, which several instances may share.
    /// </summary>
    public string PostgresConnectionString { get; set; } = "";

    /// <summary>
    /// Run each request on the thread that read it from its socket, instead of handing it to the thread pool (Kestrel's
    /// <c>UnsafePreferInlineScheduling</c>). On by default: a signed answer goes out one hand-off sooner, which cuts its
    /// p99 latency on a busy machine by about a quarter (bench/RESULTS.md). On Linux the socket engine itself runs on
    /// thread-pool threads, so a slow request holds one pool thread with the setting on or off (measured: no request of
    /// the emulator waits synchronously, and large pages slow other calls alike either way). Elsewhere the socket
    /// threads are dedicated, and a request that runs long without awaiting would hold up the others they serve.
    /// </summary>
    public bool InlineRequestScheduling { get; set; } = true;

    public string DatabasePath => Path.Combine(DataDirectory, "emulator.db");

    public string FixturePath(string relative) => Path.Combine(FixturesDirectory, relative);

    /// <summary>Where merchants reach this emulator: <see cref="PublicBaseUrl"/>, else the scheme and host <paramref name="request"/> came to.</summary>
    public string BaseUrlFor(HttpRequest request) =>
        PublicBaseUrl is { Length: > 0 } configured ? configured.TrimEnd('/') : $"{request.Scheme}://{request.Host}";
}
