using System.Net;
using Telemetry.Aggregation;

namespace FunctionApp.Companion;

/// <summary>
/// Builds the Kestrel application of the aggregating companion: standalone (<c>FunctionApp companion</c>) or, with
/// <c>GATEWAY_ROLE=companion</c>, as the custom handler of the companion function app (its <c>metrics</c> and
/// <c>otlp</c> functions). State is in memory in this version: a restart starts the sums again (a counter reset
/// Prometheus handles); durable shards in Blob Storage come next.
/// </summary>
public static partial class CompanionHost
{
    public static WebApplication Build(CompanionOptions options, IPEndPoint listenOn, bool answersHostProbe, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(listenOn);
        timeProvider ??= TimeProvider.System;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        Hosting.HostLogging.Configure(builder.Logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes + 1;
            if (listenOn.Address.Equals(IPAddress.Any) || listenOn.Address.Equals(IPAddress.IPv6Any))
            {
                kestrel.ListenAnyIP(listenOn.Port);
            }
            else
            {
                kestrel.Listen(listenOn);
            }
        });

        var app = builder.Build();
        var aggregator = new MetricAggregator(options.Aggregator, timeProvider);
        var endpoints = new CompanionEndpoints(options, aggregator);
        app.Run(context =>
        {
            if (endpoints.TryHandle(context, out var handled))
            {
                return handled;
            }

            // The Functions host's readiness probe, and anything else.
            context.Response.StatusCode = answersHostProbe && context.Request.Path.Value is "/" or "" ? StatusCodes.Status200OK : StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });

        // Instances that went quiet are folded into the retired base, so bookkeeping stays bounded and totals stay.
        var retirement = new PeriodicTimer(TimeSpan.FromMinutes(1), timeProvider);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Companion");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            Log.Listening(logger, string.Join(", ", app.Urls), options.IngestPath, options.MetricsPath);
            _ = FoldRetiredLoopAsync(retirement, aggregator);
        });
        app.Lifetime.ApplicationStopping.Register(retirement.Dispose);
        return app;
    }

    private static async Task FoldRetiredLoopAsync(PeriodicTimer timer, MetricAggregator aggregator)
    {
        while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            aggregator.FoldRetiredInstances();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Companion listening on {Urls}: OTLP pushes at {IngestPath}, Prometheus at {MetricsPath}")]
        public static partial void Listening(ILogger logger, string urls, string ingestPath, string metricsPath);
    }
}
