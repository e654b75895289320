using System.Net;
using Telemetry.Aggregation;
using Telemetry.Aggregation.Persistence;

namespace FunctionApp.Companion;

/// <summary>
/// Builds the Kestrel application of the aggregating companion: standalone (<c>FunctionApp companion</c>) or, with
/// <c>GATEWAY_ROLE=companion</c>, as the custom handler of the companion function app (its <c>metrics</c> and
/// <c>otlp</c> functions). With a storage account (<see cref="CompanionOptions.StorageConnectionString"/>, or
/// <c>AzureWebJobsStorage</c> as a connection string) each instance keeps its own shard in Blob Storage and
/// <c>/metrics</c> merges every shard (<see cref="ShardPersistence"/>); without one the state is in memory and a restart
/// starts the sums again (a counter reset Prometheus handles).
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

        options = options.ReadEnvironment ? WithEnvironment(options, Environment.GetEnvironmentVariable) : options;
        var store = options.StorageConnectionString is { Length: > 0 } connectionString
            ? BlobShardStore.FromConnectionString(connectionString, options.StorageContainer)
            : options.ReadEnvironment ? BlobShardStore.FromSettings(Environment.GetEnvironmentVariable, CompanionOptions.StorageSetting, options.StorageContainer) : null;
        if (store is not null)
        {
            var instanceId = options.InstanceId ?? ReadOrCreateInstanceId(options.InstanceIdFile);
            builder.Services.AddSingleton(services => new ShardPersistence(
                store, instanceId, options.Aggregator, timeProvider, services.GetRequiredService<ILoggerFactory>().CreateLogger("Companion.Persistence"))
            {
                MergeCacheDuration = options.MergeCacheDuration,
            });
        }

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Companion");
        var persistence = store is not null ? app.Services.GetRequiredService<ShardPersistence>() : null;

        // Startup of a console host: no synchronization context to deadlock on.
        var aggregator = persistence is not null
            ? persistence.LoadAsync().GetAwaiter().GetResult()
            : new MetricAggregator(options.Aggregator, timeProvider);
        var endpoints = new CompanionEndpoints(options, aggregator, persistence is null ? null : persistence.CollectMergedAsync);
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

        if (persistence is not null)
        {
            // Durable: the shard is written every PersistInterval when it changed (and at least every heartbeat), and
            // on shutdown. Retirement runs on the merged state of every shard, by whichever companion holds the lease.
            var shard = persistence;
            var persistLoop = Task.CompletedTask;
            var loopStop = new CancellationTokenSource();
            app.Lifetime.ApplicationStarted.Register(() =>
            {
                Log.Listening(logger, string.Join(", ", app.Urls), options.IngestPath, options.MetricsPath);
                Log.Durable(logger, shard.InstanceId, options.StorageContainer);
                persistLoop = shard.RunAsync(options.PersistInterval, loopStop.Token);
            });
            app.Lifetime.ApplicationStopping.Register(() =>
            {
                loopStop.Cancel();
                try
                {
                    persistLoop.GetAwaiter().GetResult();
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                    shard.PersistNowAsync(timeout.Token).GetAwaiter().GetResult();
                }
                catch (OperationCanceledException)
                {
                    Log.FinalPersistTimedOut(logger, shard.InstanceId);
                }
            });
            app.Lifetime.ApplicationStopped.Register(() =>
            {
                loopStop.Dispose();
                shard.Dispose();
            });
            return app;
        }

        // Instances that went quiet are folded into the retired base, so bookkeeping stays bounded and totals stay.
        var retirement = new PeriodicTimer(TimeSpan.FromMinutes(1), timeProvider);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            Log.Listening(logger, string.Join(", ", app.Urls), options.IngestPath, options.MetricsPath);
            _ = FoldRetiredLoopAsync(retirement, aggregator);
        });
        app.Lifetime.ApplicationStopping.Register(retirement.Dispose);
        return app;
    }

    /// <summary>Runs a retirement round now when this companion gets the lease (tests; the host runs one every few minutes).</summary>
    public static Task<SharedRetirementResult?> RunRetirementRoundAsync(WebApplication app) =>
        app.Services.GetRequiredService<ShardPersistence>().RunRetirementRoundAsync();

    /// <summary>Writes the companion's shard now when it changed (tests; the host does it every PersistInterval).</summary>
    public static Task<bool> PersistNowAsync(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetService<ShardPersistence>() is { } persistence
            ? persistence.PersistNowAsync()
            : throw new InvalidOperationException("the companion has no storage");
    }

    /// <summary>The shard id left null, from the app settings (<c>COMPANION_INSTANCE_ID</c>, else <c>WEBSITE_INSTANCE_ID</c>).</summary>
    public static CompanionOptions WithEnvironment(CompanionOptions options, Func<string, string?> getSetting)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(getSetting);
        var instanceId = options.InstanceId
            ?? NonEmpty(getSetting(CompanionOptions.InstanceIdSetting))
            ?? NonEmpty(getSetting(CompanionOptions.WebsiteInstanceIdSetting));
        return options with { InstanceId = instanceId };
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>A standalone companion's shard id: the one in <paramref name="path"/>, else a new one written there.</summary>
    private static string ReadOrCreateInstanceId(string path)
    {
        if (File.Exists(path) && NonEmpty(File.ReadAllText(path)) is { } existing)
        {
            return existing;
        }

        var id = "companion-" + Guid.NewGuid().ToString("N");
        try
        {
            File.WriteAllText(path, id);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only app root: the id lives as long as the process (a restart starts a new shard; nothing is
            // counted twice, the old shard keeps counting in the merge).
        }

        return id;
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

        [LoggerMessage(2, LogLevel.Information, "Companion state is durable: shard {InstanceId} in container {Container}")]
        public static partial void Durable(ILogger logger, string instanceId, string container);

        [LoggerMessage(3, LogLevel.Warning, "Companion shard {InstanceId}: the final persist timed out")]
        public static partial void FinalPersistTimedOut(ILogger logger, string instanceId);
    }
}
