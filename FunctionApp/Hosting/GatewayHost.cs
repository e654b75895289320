using System.Net;
using FunctionApp.Gateway.Backends;
using FunctionApp.Gateway.Configuration;
using FunctionApp.Gateway.Observability;
using FunctionApp.Gateway.Proxy;
using FunctionApp.Gateway.Routing;
using Telemetry.Configuration;
using Telemetry.Flush;
using Telemetry.Functions;
using Telemetry.Runtime;

namespace FunctionApp.Hosting;

/// <summary>Builds the Kestrel application that serves a <see cref="GatewayModel"/> in a <see cref="HostingMode"/>.</summary>
public static partial class GatewayHost
{
    /// <param name="model">The compiled config.</param>
    /// <param name="mode">Functions custom handler or standalone.</param>
    /// <param name="timeProvider">The clock (tests may fake it).</param>
    /// <param name="telemetrySettings">
    /// Telemetry settings besides the config (tests add in-memory exporters and a unique scope name); by default the
    /// process environment. Used only when the config has a <c>telemetry/opentelemetry</c> namespace.
    /// </param>
    public static WebApplication Build(GatewayModel model, HostingMode mode, TimeProvider? timeProvider = null, TelemetryRuntimeSettings? telemetrySettings = null)
    {
        timeProvider ??= TimeProvider.System;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        HostLogging.Configure(builder.Logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // The Functions host enforces its own request size limit; standalone, like KrakenD, we stream any size.
            kestrel.Limits.MaxRequestBodySize = null;
            var server = model.Server;
            if ((server.ReadHeaderTimeout ?? server.ReadTimeout) is { } headersTimeout)
            {
                kestrel.Limits.RequestHeadersTimeout = headersTimeout;
            }

            if (server.IdleTimeout is { } idle)
            {
                kestrel.Limits.KeepAliveTimeout = idle;
            }

            if (server.MaxHeaderBytes is { } maxHeaderBytes)
            {
                kestrel.Limits.MaxRequestHeadersTotalSize = maxHeaderBytes;
            }

            var endpoint = mode.ListenOn;
            if (endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                kestrel.ListenAnyIP(endpoint.Port);
            }
            else
            {
                kestrel.Listen(endpoint);
            }
        });

        var invoker = BackendHttpClient.Create(model.Client);
        builder.Services.AddSingleton(invoker);
        builder.Services.AddSingleton(timeProvider);

        var app = builder.Build();
        var loggerFactory = app.Services.GetRequiredService<ILoggerFactory>();
        var telemetry = CreateTelemetry(model, mode, telemetrySettings, loggerFactory, app.Lifetime);
        var router = new GatewayRouter(model, new ProxyFactory(invoker, timeProvider, loggerFactory.CreateLogger("Gateway.Proxy"), telemetry), timeProvider, telemetry);

        if (mode.AnswersHostProbe)
        {
            app.Use(static next => context => AnswerHostProbe(context, next));
        }

        if (telemetry?.Runtime.Flusher is { } flusher)
        {
            // Outermost after the probe: the client gets the complete response only once the invocation's spans and
            // metrics are exported (or the flush budget is spent).
            app.Use(InvocationFlushMiddleware.Create(flusher));
        }

        RequestDelegate handler = router.HandleAsync;
        if (telemetry is not null)
        {
            // KrakenD's global layer wraps the whole handler, outside the router (reference §1).
            handler = telemetry.Runtime.CreateGlobalLayer(static context => ClientInfo.From(context).Address, ClientInfo.Scheme).Wrap(handler);
        }

        app.Run(handler);

        var logger = loggerFactory.CreateLogger("Gateway");
        app.Lifetime.ApplicationStarted.Register(() => Log.Listening(logger, mode.Name, string.Join(", ", app.Urls), model.Endpoints.Count));
        foreach (var problem in model.Unsupported)
        {
            Log.Unsupported(logger, problem.Path, problem.Message);
        }

        return app;
    }

    private static GatewayTelemetry? CreateTelemetry(GatewayModel model, HostingMode mode, TelemetryRuntimeSettings? settings, ILoggerFactory loggerFactory, IHostApplicationLifetime lifetime)
    {
        if (model.Telemetry is not { } options)
        {
            return null;
        }

        settings ??= new TelemetryRuntimeSettings { Environment = TelemetryEnvironment.FromProcess() };
        var runtime = TelemetryRuntime.Create(options, settings with
        {
            FunctionsMode = mode.AnswersHostProbe,
            ConfigName = model.Name,
            GatewayVersion = model.Router.Version,
            LoggerFactory = settings.LoggerFactory ?? loggerFactory,
        });

        lifetime.ApplicationStarted.Register(() => runtime.StartAsync().GetAwaiter().GetResult());

        // Export what is left before the process goes away: traces first, then metrics (KrakenD's order).
        lifetime.ApplicationStopping.Register(() => runtime.ForceFlush(2000));
        lifetime.ApplicationStopped.Register(() => runtime.DisposeAsync().AsTask().GetAwaiter().GetResult());
        return new GatewayTelemetry(runtime);
    }

    /// <summary>
    /// The Functions host sends <c>GET /</c> without an invocation id to learn that we are up, at start-up and
    /// periodically. Requests with an invocation id carry it on to telemetry.
    /// </summary>
    private static Task AnswerHostProbe(HttpContext context, RequestDelegate next)
    {
        var headers = context.Request.Headers;
        var invocationId = FunctionsInvocation.SelectInvocationId(
            headers[FunctionsInvocation.ProxyInvocationIdHeader].ToString(),
            headers[FunctionsInvocation.InvocationIdHeader].ToString());
        if (invocationId is null)
        {
            if (context.Request.Path.Value is "/" or "" && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
            {
                context.Response.StatusCode = StatusCodes.Status200OK;
                return Task.CompletedTask;
            }
        }
        else
        {
            var invocation = new FunctionsInvocation(invocationId);
            context.Features.Set(invocation);
            FunctionsInvocation.Current = invocation;
        }

        return next(context);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Gateway ({Mode}) listening on {Urls} with {Count} endpoints")]
        public static partial void Listening(ILogger logger, string mode, string urls, int count);

        [LoggerMessage(2, LogLevel.Warning, "{Path}: {Message}")]
        public static partial void Unsupported(ILogger logger, string path, string message);
    }
}
