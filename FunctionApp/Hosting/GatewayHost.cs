using System.Net;
using FunctionApp.Gateway.Backends;
using FunctionApp.Gateway.Configuration;
using FunctionApp.Gateway.Proxy;
using FunctionApp.Gateway.Routing;
using Telemetry.Functions;

namespace FunctionApp.Hosting;

/// <summary>Builds the Kestrel application that serves a <see cref="GatewayModel"/> in a <see cref="HostingMode"/>.</summary>
public static partial class GatewayHost
{
    public static WebApplication Build(GatewayModel model, HostingMode mode, TimeProvider? timeProvider = null)
    {
        timeProvider ??= TimeProvider.System;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        // One line per event: the Functions host captures stdout/stderr line by line into its own logs.
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
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
        var router = new GatewayRouter(model, new ProxyFactory(invoker, timeProvider, loggerFactory.CreateLogger("Gateway.Proxy")), timeProvider);

        if (mode.AnswersHostProbe)
        {
            app.Use(static next => context => AnswerHostProbe(context, next));
        }

        app.Run(router.HandleAsync);

        var logger = loggerFactory.CreateLogger("Gateway");
        app.Lifetime.ApplicationStarted.Register(() => Log.Listening(logger, mode.Name, string.Join(", ", app.Urls), model.Endpoints.Count));
        foreach (var problem in model.Unsupported)
        {
            Log.Unsupported(logger, problem.Path, problem.Message);
        }

        return app;
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
            context.Features.Set(new FunctionsInvocation(invocationId));
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
