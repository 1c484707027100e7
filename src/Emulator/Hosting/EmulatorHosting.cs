using Emulator.Api;
using Emulator.Control;
using Emulator.Dashboard;
using Emulator.Domain;
using Emulator.Faults;
using Emulator.Lifecycle;
using Emulator.Merchants;
using Emulator.Notifications;
using Emulator.Scheduling;
using Emulator.Persistence;
using Emulator.Protocol;
using Microsoft.Extensions.Options;

namespace Emulator.Hosting;

/// <summary>The emulator's composition: what <c>Program.cs</c> calls.</summary>
public static class EmulatorHosting
{
    public static WebApplicationBuilder AddEmulator(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        // The slim builder sets the simple console format in code, over the configuration: with every format registered
        // and the configured name applied after it, Logging:Console:FormatterName (json, systemd) is honoured.
        builder.Logging.AddConsole();
        services.PostConfigure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(console =>
        {
            if (builder.Configuration["Logging:Console:FormatterName"] is { Length: > 0 } format)
            {
                console.FormatterName = format;
            }
        });
        // appsettings.json's timestamp format ends in a space that separates it from the simple format's level; in a
        // JSON log it would be part of the value.
        services.PostConfigure<Microsoft.Extensions.Logging.Console.JsonConsoleFormatterOptions>(json => json.TimestampFormat = json.TimestampFormat?.TrimEnd());
        services.AddOptions<EmulatorOptions>().BindConfiguration(EmulatorOptions.SectionName)
            .Validate(o => o.ControlNetworks.All(n => System.Net.IPNetwork.TryParse(n, out _)), "Emulator:ControlNetworks: each entry must be a network in CIDR notation, such as 172.16.0.0/12 or fd00::/8")
            .Validate(o => o.MerchantRetention is null || o.MerchantRetention >= MerchantRetention.SweepInterval, "Emulator:MerchantRetention: must be at least 00:01:00 (the sweep runs once a minute), or left empty to keep merchants until deleted")
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<Database>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<EmulatorOptions>>();
            return string.IsNullOrWhiteSpace(options.Value.PostgresConnectionString) ? new SqliteDatabase(options) : new PostgresDatabase(options);
        });
        services.AddSingleton<MerchantStore>();
        services.AddSingleton<SubscriptionStore>();
        services.AddSingleton<RefundStore>();
        services.AddSingleton<TimelineWrites>();
        services.AddSingleton<ApiCallJournal>();
        services.AddSingleton<MerchantRegistry>();
        services.AddSingleton<AntomSigningKey>();
        services.AddSingleton<AntomGateway>();
        services.AddSingleton<SubscriptionIds>();
        services.AddSingleton<SubscriptionService>();
        // Bodies that cannot be bound are thrown (not answered with an empty 400) and answered in problem details.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        services.AddExceptionHandler<UnreadableBodyProblems>();
        services.AddExceptionHandler<StorageUnavailableProblems>();
        services.AddExceptionHandler<StoppingProblems>();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new InstantJsonConverter()));
        services.AddSingleton<MerchantRuns>();
        services.AddSingleton<MerchantClocks>();
        services.AddSingleton<Outbox>();
        services.AddSingleton<NotificationDispatcher>();
        services.AddSingleton<TestNotifications>();
        services.AddSingleton<TimeMachine>();
        services.AddSingleton<MerchantActivity>();
        services.AddSingleton<MerchantRemoval>();
        services.AddSingleton<BuyerDecisions>();
        services.AddSingleton<PaymentSettlements>();
        services.AddSingleton<SubscriptionViews>();
        services.AddSingleton<Reports.TransactionReports>();
        services.AddSingleton<FaultStore>();
        services.AddSingleton<ResultCodeCatalogue>();
        services.AddSingleton<ScenarioLibrary>();
        // Two notification clients: pooled connections, and connections never reused (for receivers that close the
        // connection after each answer, HTTP/1.0).
        foreach (var (name, connectionLifetime) in new[] { (NotificationDispatcher.HttpClientName, TimeSpan.FromMinutes(2)), (NotificationDispatcher.NewConnectionClientName, TimeSpan.Zero) })
        {
            services.AddHttpClient(name, client => client.Timeout = Timeout.InfiniteTimeSpan)
                .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
                {
                    SslOptions = provider.GetRequiredService<IOptions<EmulatorOptions>>().Value.AcceptAnyNotificationCertificate
                        ? new System.Net.Security.SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true }
                        : new System.Net.Security.SslClientAuthenticationOptions(),
                    PooledConnectionLifetime = connectionLifetime,
                    MaxConnectionsPerServer = 256,
                    AllowAutoRedirect = false,
                    UseCookies = false,
                    // Antom sends client-id, request-time and signature, not .NET's trace context (traceparent).
                    ActivityHeadersPropagator = System.Diagnostics.DistributedContextPropagator.CreateNoOutputPropagator(),
                })
                // The dispatcher logs each attempt itself; the factory's own handlers would add a scope and three
                // filtered-out log calls to every notification.
                .RemoveAllLoggers();
        }
        // In this order: the schema exists before the loop's first tick.
        services.AddHostedService<StartupTasks>();
        services.AddHostedService<SchedulerLoop>();
        services.AddHostedService<MerchantRetention>();
        // The sign-in form: at most 10 tries a minute from one address, so that an admin token cannot be guessed there.
        services.AddRateLimiter(limits =>
        {
            limits.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limits.GlobalLimiter = System.Threading.RateLimiting.PartitionedRateLimiter.Create<HttpContext, string>(http =>
                System.Threading.RateLimiting.RateLimitPartition.GetFixedWindowLimiter(
                    http.Connection.RemoteIpAddress?.ToString() ?? "",
                    _ => new System.Threading.RateLimiting.FixedWindowRateLimiterOptions { PermitLimit = 10, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
        // What the framework answers without saying why (a body that is not JSON, a method the path does not take) says it.
        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = context =>
        {
            var request = context.HttpContext.Request;
            if (context.ProblemDetails.Status == StatusCodes.Status415UnsupportedMediaType)
            {
                // The framework's own detail, when it gives one, names no header ("Expected a supported JSON media type but got \"\"").
                context.ProblemDetails.Detail = null;
            }

            context.ProblemDetails.Detail ??= context.ProblemDetails.Status switch
            {
                StatusCodes.Status415UnsupportedMediaType => $"the body must be JSON, sent with Content-Type: application/json (got {(string.IsNullOrEmpty(request.ContentType) ? "no Content-Type" : $"'{request.ContentType}'")})",
                StatusCodes.Status405MethodNotAllowed => $"{request.Path} does not take {request.Method}",
                // A path no route matched (a known route's 404, an unknown merchant or subscription, says why itself).
                StatusCodes.Status404NotFound when context.HttpContext.GetEndpoint() is null && request.Path.StartsWithSegments(Control.ControlApi.Prefix) =>
                    $"no control route {request.Method} {request.Path}; GET {Control.ControlApi.Prefix}/openapi.json lists every route (and the README's Control API table)",
                _ => null,
            };
        });
        services.AddEndpointsApiExplorer();
        services.AddOpenApiDocument(document =>
        {
            document.DocumentName = "v1";
            document.Title = "Antom Subscription Pay emulator";
            document.Description = "The emulated Antom subscription API (signed requests and responses) and the emulator's control API under /_emulator/v1.";
            document.Version = "v1";
            // Amounts travel as Antom writes them: the value is a string of minor units (SPEC §2.1).
            document.SchemaSettings.TypeMappers.Add(new NJsonSchema.Generation.TypeMappers.ObjectTypeMapper(typeof(Amount), AntomOpenApi.AmountSchema()));
            var antom = new AntomOpenApi();
            document.OperationProcessors.Add(antom);
            document.DocumentProcessors.Add(antom);
        });
        // The control API writes every documented field, null ones too (CONTROL-API.md lists nextAttemptAt, httpStatus,
        // remaining…): a client reading it finds each field there, not sometimes absent. Fields it does not know are
        // ignored, so that a body read from a GET can be sent back as it is.

        if (builder.Configuration.GetValue($"{EmulatorOptions.SectionName}:{nameof(EmulatorOptions.InlineRequestScheduling)}", new EmulatorOptions().InlineRequestScheduling))
        {
            // Requests run where their socket's event is handled (on Linux a thread-pool work item) until their first
            // wait: no second queueing through the thread pool between the socket and the gateway. Nothing on the request
            // path blocks on another request (SQLite's statements run through, PostgreSQL's await).
            builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        }

        var dataDirectory = builder.Configuration[$"{EmulatorOptions.SectionName}:{nameof(EmulatorOptions.DataDirectory)}"] ?? new EmulatorOptions().DataDirectory;
        // A certificate of the operator's own (Kestrel:Certificates:Default:Path, e.g. for a shared instance) replaces the
        // self-signed one kept in the data directory.
        if (string.IsNullOrEmpty(builder.Configuration["Kestrel:Certificates:Default:Path"]))
        {
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
                https.ServerCertificate = HttpsCertificate.LoadOrCreate(dataDirectory, TimeProvider.System)));
        }

        return builder;
    }

    public static WebApplication MapEmulator(this WebApplication app)
    {
        app.UseExceptionHandler();
        // An error the framework answers without a body (415 for a body that is not JSON, 405, an unknown path) gets
        // problem details too; under the dashboard, a page that says why, as its own refusals are.
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            if (http.Request.Path.StartsWithSegments(Dashboard.DashboardPages.Root))
            {
                await Dashboard.DashboardPages.StatusPage(http).ExecuteAsync(http);
                return;
            }

            var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
            await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = { Status = http.Response.StatusCode } });
        });
        app.UseWhen(
            http => HttpMethods.IsPost(http.Request.Method) && http.Request.Path.Equals(ControlAccess.LoginPath, StringComparison.OrdinalIgnoreCase),
            login => login.UseRateLimiter());
        app.UseWhen(http => http.Request.Path.StartsWithSegments(ControlAccess.Root), control => control.UseMiddleware<ControlAccess>());
        app.UseWhen(SubscriptionsApi.IsGatewayPathAfterEmptySegments, gateway => gateway.Run(SubscriptionsApi.NoInterfaceAsync));
        app.UseOpenApi(settings => settings.Path = "/_emulator/v1/openapi.json");
        app.UseSwaggerUi(settings =>
        {
            settings.Path = "/_emulator/api-reference";
            settings.DocumentPath = "/_emulator/v1/openapi.json";
        });
        app.MapSubscriptionsApi();
        app.MapControlApi();
        app.MapAuthorizationPage();
        app.MapDashboard();
        app.MapEmulatorMetrics();
        app.Lifetime.ApplicationStarted.Register(() => LogWhereToPoint(app));
        return app;
    }

    /// <summary>
    /// Once listening, one line that says where to point an integration and a browser: the gateway URL (the first HTTP
    /// address, else the first), the dashboard, the API reference and the Antom public key. Nothing in a test server,
    /// which has no addresses.
    /// </summary>
    private static void LogWhereToPoint(WebApplication app)
    {
        var addresses = app.Services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>()?
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses;
        if (addresses is not { Count: > 0 })
        {
            return;
        }

        var gateway = (addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal)) ?? addresses.First()).TrimEnd('/');
        // Each placeholder once: the JSON console formatter writes one member per placeholder, and a name used twice
        // would be a JSON object with the same member four times, which strict parsers refuse.
        app.Logger.LogInformation(
            "Gateway URL for your Antom client: {Gateway}; dashboard: {Dashboard}; API reference: {ApiReference}; Antom's public key: fixtures/keys/antom-public.pem (or GET {Keys})",
            gateway, gateway + "/_emulator/ui", gateway + "/_emulator/api-reference", gateway + "/_emulator/v1/keys");
    }
}
