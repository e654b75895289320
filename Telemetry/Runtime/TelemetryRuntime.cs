using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Telemetry.Configuration;
using Telemetry.Export.Companion;
using Telemetry.Flush;
using Telemetry.Functions;
using Telemetry.Instrumentation;
using Telemetry.Layers.Global;
using Telemetry.Prometheus;
using Telemetry.Tracing;

namespace Telemetry.Runtime;

/// <summary>
/// Everything the gateway's telemetry needs at run time, built once from the parsed <c>telemetry/opentelemetry</c>
/// namespace (KrakenD's <c>Register</c>, §1): one TracerProvider and one MeterProvider shared by every layer, the
/// exporters, the sampler, the propagator and, in Functions mode, the per-invocation flush. The gateway calls the
/// layers (<see cref="CreateGlobalLayer"/>, <c>StageTelemetry</c>, <c>BackendRequestTelemetry</c>) at its boundaries.
/// </summary>
public sealed partial class TelemetryRuntime : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly List<IAsyncDisposable> _servers = [];
    private readonly List<PrometheusMetricsServer> _prometheusServers = [];
    private bool _usesMeterProvider;
    private Export.AzureMonitor.AppServiceManagedIdentityCredential? _credential;

    private TelemetryRuntime(TelemetryOptions options, TelemetryRuntimeSettings settings, TelemetrySources sources, ILogger logger)
    {
        Options = options;
        Settings = settings;
        Sources = sources;
        _logger = logger;
        Propagator = PropagatorFactory.Create(settings.Environment.Propagators);
    }

    public TelemetryOptions Options { get; }

    public TelemetryRuntimeSettings Settings { get; }

    public TelemetrySources Sources { get; }

    public TracerProvider? TracerProvider { get; private set; }

    public MeterProvider? MeterProvider { get; private set; }

    /// <summary>True when some exporter takes traces: otherwise no span is ever started.</summary>
    public bool TracesExported { get; private set; }

    /// <summary>True when some exporter takes metrics: otherwise no instrument is recorded.</summary>
    public bool MetricsExported { get; private set; }

    /// <summary>The propagator <c>OTEL_PROPAGATORS</c> selects (W3C trace context + baggage by default).</summary>
    public TextMapPropagator Propagator { get; private set; }

    /// <summary>The flush mode in force.</summary>
    public FlushMode FlushMode { get; private set; }

    /// <summary>The standalone <c>/metrics</c> servers of the <c>prometheus</c> exporters (none in Functions mode).</summary>
    public IReadOnlyList<PrometheusMetricsServer> PrometheusServers => _prometheusServers;

    /// <summary>How long one push to the companion may take (the OTLP exporters' default).</summary>
    private static readonly TimeSpan CompanionPushTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Where metrics are pushed for the aggregating companion (Functions mode), if anywhere.</summary>
    public Uri? CompanionEndpoint { get; private set; }

    /// <summary>The per-invocation flusher; null in background mode or when nothing is exported.</summary>
    public InvocationFlusher? Flusher { get; private set; }

    /// <summary>What a request waits for its flush at most (per-invocation mode).</summary>
    public TimeSpan FlushBudget { get; private set; }

    /// <summary>The least time between the starts of two flush rounds (per-invocation mode).</summary>
    public TimeSpan FlushMinimumInterval { get; private set; }

    /// <summary>The resource attributes (service, deployment, Azure Functions context), as strings for the Prometheus <c>target_info</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ResourceAttributes { get; private set; } = [];

    /// <summary>What went wrong while building exporters (each also logged once); the gateway runs without them.</summary>
    public IReadOnlyList<string> Problems => _problems;

    private readonly List<string> _problems = [];

    public static TelemetryRuntime Create(TelemetryOptions options, TelemetryRuntimeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        var logger = (settings.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Gateway.Telemetry");
        var runtime = new TelemetryRuntime(options, settings, new TelemetrySources(options.Histograms, settings.SourcesName), logger);
        runtime.Build();
        return runtime;
    }

    /// <summary>The global layer, wrapping the whole request handler.</summary>
    public GlobalTelemetryLayer CreateGlobalLayer(Func<HttpContext, string>? clientAddress = null, Func<HttpContext, string>? clientScheme = null) =>
        new(Sources, Options.Layers.Global, Options.SkipPaths, Propagator, TracesExported, MetricsExported, clientAddress, clientScheme);

    /// <summary>
    /// Exports what is pending, traces first and then metrics (KrakenD's shutdown order), waiting at most
    /// <paramref name="timeoutMilliseconds"/> for each.
    /// </summary>
    public bool ForceFlush(int timeoutMilliseconds)
    {
        var tracesFlushed = TracerProvider?.ForceFlush(timeoutMilliseconds) ?? true;
        var metricsFlushed = MeterProvider?.ForceFlush(timeoutMilliseconds) ?? true;
        return tracesFlushed && metricsFlushed;
    }

    /// <summary>Starts the standalone <c>/metrics</c> servers. A port that cannot be opened is logged, never fatal (as in KrakenD).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        foreach (var server in _prometheusServers)
        {
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }

        TracerProvider?.Dispose();
        MeterProvider?.Dispose();
        _credential?.Dispose();
        Sources.Dispose();
    }

    private void Build()
    {
        var getSetting = Settings.GetSetting ?? System.Environment.GetEnvironmentVariable;
        FlushMode = Settings.FlushMode ?? ParseFlushMode(getSetting(TelemetryRuntimeSettings.FlushModeVariable)) ?? (Settings.FunctionsMode ? FlushMode.Invocation : FlushMode.Background);
        FlushBudget = Settings.FlushBudget ?? ParseBudget(getSetting(TelemetryRuntimeSettings.FlushBudgetVariable)) ?? TelemetryRuntimeSettings.DefaultFlushBudget;
        FlushMinimumInterval = Settings.FlushMinimumInterval
            ?? ParseDuration(getSetting(TelemetryRuntimeSettings.FlushMinimumIntervalVariable), allowZero: true)
            ?? TelemetryRuntimeSettings.DefaultFlushMinimumInterval;
        if (FlushMinimumInterval > FlushBudget)
        {
            FlushMinimumInterval = FlushBudget;
        }
        foreach (var problem in Settings.Environment.Problems)
        {
            Problem(problem.ToString());
        }

        var resource = BuildResource();
        var tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .SetSampler(new KrakenDSampler(Options))
            .AddSource(Sources.Name);
        if (Settings.FunctionsMode)
        {
            // faas.invocation_id on every span of an invocation, not only the global one.
            tracing.AddProcessor(new InvocationSpanProcessor());
        }

        var metering = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(Sources.Name);

        var traceExporters = 0;
        var metricReaders = 0;
        AddExporters(tracing, metering, ref traceExporters, ref metricReaders);
        if (Settings.ConfigureTracing is { } configureTracing)
        {
            configureTracing(tracing);
            traceExporters++;
        }

        if (Settings.ConfigureMetrics is { } configureMetrics)
        {
            configureMetrics(metering);
            metricReaders++;
        }

        TracesExported = traceExporters > 0;
        MetricsExported = metricReaders > 0;
        if (TracesExported)
        {
            TracerProvider = tracing.Build();
        }

        if (MetricsExported || _usesMeterProvider)
        {
            MeterProvider = metering.Build();
        }

        if (FlushMode == FlushMode.Invocation && (TracerProvider is not null || MeterProvider is not null))
        {
            // Traces first, then metrics: the spans of the request have ended by then, and its measurements are in.
            var tracerProvider = TracerProvider;
            var meterProvider = MeterProvider;
            Flusher = new InvocationFlusher(
                [ms => tracerProvider is null || FlushInSlices(tracerProvider.ForceFlush, ms), ms => meterProvider?.ForceFlush(ms) ?? true],
                FlushBudget,
                TimeProvider.System,
                _logger,
                minimumInterval: FlushMinimumInterval);
        }
    }

    private ResourceBuilder BuildResource()
    {
        var resolved = Options.ResolveResource(Settings.Environment, Settings.ConfigName, Settings.GatewayVersion);
        var attributes = new List<KeyValuePair<string, object>>();
        foreach (var (key, value) in resolved.Attributes)
        {
            // Each process is its own instance: an OTEL_RESOURCE_ATTRIBUTES service.instance.id would merge the
            // series of every instance of the app into one (the companion's sums rely on them being apart).
            if (key != TelemetryAttributes.ServiceInstanceId)
            {
                attributes.Add(new(key, value));
            }
        }

        attributes.AddRange(FunctionsResource.CreateAttributes(Settings.FunctionsMode, resolved.ServiceName, Settings.GetSetting ?? System.Environment.GetEnvironmentVariable));
        ResourceAttributes = [.. attributes.Select(static a => new KeyValuePair<string, string>(a.Key, Convert.ToString(a.Value, System.Globalization.CultureInfo.InvariantCulture) ?? ""))];
        return ResourceBuilder.CreateEmpty().AddAttributes(attributes);
    }

    private void AddExporters(TracerProviderBuilder tracing, MeterProviderBuilder metering, ref int traceExporters, ref int metricReaders)
    {
        foreach (var otlp in Options.Exporters.Otlp)
        {
            var connection = otlp.ResolveConnection(Settings.Environment);
            if (!otlp.DisableTraces)
            {
                tracing.AddProcessor(Export.Otlp.OtlpExporterFactory.CreateTraceProcessor(connection));
                traceExporters++;
            }

            if (!otlp.DisableMetrics)
            {
                var period = otlp.ResolveMetricReportingPeriod(Options.MetricReportingPeriod);
                metering.AddReader(Export.Otlp.OtlpExporterFactory.CreateMetricReader(connection, Settings.Environment.TemporalityPreference, period));
                metricReaders++;
            }
        }

        var runtimeMetrics = false;
        foreach (var prometheus in Options.Exporters.Prometheus)
        {
            if (Settings.FunctionsMode)
            {
                // No port can be served from a function: the same metrics go to the aggregating companion instead,
                // pushed with the per-invocation flush (or periodically in background mode).
                if (!prometheus.DisableMetrics && AddCompanionPush(prometheus, metering))
                {
                    metricReaders++;
                }

                continue;
            }

            var exporterOptions = PrometheusMetricsExporterOptions.From(prometheus, Sources.Name);
            var exporter = new PrometheusMetricsExporter(exporterOptions, ResourceAttributes);
            if (exporterOptions.UsesMeterProvider)
            {
                metering.AddReader(exporter.Reader);
                _usesMeterProvider = true;
            }

            if (exporterOptions.IncludeGatewayMeter)
            {
                metricReaders++;
            }

            runtimeMetrics |= exporterOptions.RuntimeMetrics;
            var server = new PrometheusMetricsServer(exporter, prometheus.ListenIp, prometheus.Port, _logger);
            _prometheusServers.Add(server);
            _servers.Add(server);
        }

        if (runtimeMetrics)
        {
            // KrakenD's go_metrics: here the .NET runtime's own meter (GC, JIT, thread pool, exceptions).
            metering.AddMeter(PrometheusMetricsExporterOptions.RuntimeMeterName);
        }

        Export.AzureMonitor.AppServiceManagedIdentityCredential? credential = null;
        if (Options.Exporters.AzureMonitor.Count > 0)
        {
            // Application Insights with local authentication off (as infra/ deploys it) takes Entra ID tokens only.
            credential = Export.AzureMonitor.AppServiceManagedIdentityCredential.FromSettings(Settings.GetSetting ?? System.Environment.GetEnvironmentVariable, out var credentialError);
            if (credentialError is not null)
            {
                Problem(credentialError);
            }

            _credential = credential;
        }

        foreach (var azureMonitor in Options.Exporters.AzureMonitor)
        {
            var export = Export.AzureMonitor.AzureMonitorExport.Create(azureMonitor, Settings.Environment, new Export.AzureMonitor.AzureMonitorExportSettings
            {
                Credential = credential,
                MetricExportInterval = Options.MetricReportingPeriod,
                SamplingRatio = Options.TraceSampling == TraceSampling.ParentBasedTraceIdRatio ? (float)Options.TraceSampleRate : 1.0f,
            });
            if (export.Error is { } error)
            {
                Problem($"exporter \"{azureMonitor.Name}\": {error}");
                continue;
            }

            if (export.TraceProcessor is { } processor)
            {
                tracing.AddProcessor(processor);
                traceExporters++;
            }

            if (export.MetricReader is { } reader)
            {
                metering.AddReader(reader);
                metricReaders++;
            }
        }
    }

    /// <summary>
    /// The seam to the aggregating companion (Functions mode): OTLP/HTTP pushes (<see cref="CompanionPushExporter"/>) to the
    /// exporter's <c>companion_url</c> (else <c>METRICS_COMPANION_URL</c>), authenticated with its function key.
    /// </summary>
    private bool AddCompanionPush(PrometheusExporterOptions prometheus, MeterProviderBuilder metering)
    {
        var getSetting = Settings.GetSetting ?? System.Environment.GetEnvironmentVariable;
        var url = prometheus.CompanionUrl?.ToString() ?? getSetting(TelemetryRuntimeSettings.CompanionUrlVariable);
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var companion) || (companion.Scheme != Uri.UriSchemeHttp && companion.Scheme != Uri.UriSchemeHttps))
        {
            Problem($"exporter \"{prometheus.Name}\": a function cannot serve /metrics; set companion_url or {TelemetryRuntimeSettings.CompanionUrlVariable} to an http(s) URL to push to the aggregating companion (metrics of this exporter are not exported)");
            return false;
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if ((prometheus.CompanionKey ?? getSetting(TelemetryRuntimeSettings.CompanionKeyVariable)) is { Length: > 0 } key)
        {
            headers["x-functions-key"] = key;
        }

        // The URL is the companion's ingest URL as is; a bare host gets the OTLP default path.
        if (companion.AbsolutePath is "" or "/")
        {
            companion = new Uri(companion, "/v1/metrics");
        }

        var period = (int)Options.MetricReportingPeriod.TotalMilliseconds;
        var exporter = new CompanionPushExporter(companion, headers, CompanionPushTimeout);
        metering.AddReader(new PeriodicExportingMetricReader(exporter, period, (int)CompanionPushTimeout.TotalMilliseconds)
        {
            // Cumulative values per instance, of the series that changed since the companion last acknowledged
            // them: it keeps the newest per (instance, series), so a lost, repeated or reordered push never changes
            // a total, and the next push repairs a lost one.
            TemporalityPreference = MetricReaderTemporalityPreference.Cumulative,
        });
        CompanionEndpoint = companion;
        return true;
    }

    private void Problem(string message)
    {
        _problems.Add(message);
        Log.Problem(_logger, message);
    }

    /// <summary>
    /// Calls a provider's ForceFlush in short slices until it reports done or the time is up. The SDK's batch span
    /// processor signals "exported" with an event it sets and resets at once; a flusher that starts waiting a moment
    /// too late misses it and sleeps until its one-second polling fallback (or the whole budget). Each short call
    /// re-checks what has been exported, so such a miss costs a slice, not a second.
    /// </summary>
    internal static bool FlushInSlices(Func<int, bool> flush, int timeoutMilliseconds)
    {
        const int Slice = 10;
        var deadline = Environment.TickCount64 + Math.Max(0, timeoutMilliseconds);
        while (true)
        {
            var remaining = deadline - Environment.TickCount64;
            if (flush((int)Math.Clamp(remaining, 0, Slice)))
            {
                return true;
            }

            if (remaining <= 0)
            {
                return false;
            }
        }
    }

    internal static FlushMode? ParseFlushMode(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        "INVOCATION" => Runtime.FlushMode.Invocation,
        "BACKGROUND" => Runtime.FlushMode.Background,
        _ => null,
    };

    internal static TimeSpan? ParseBudget(string? value) => ParseDuration(value, allowZero: false);

    /// <summary><c>250ms</c>, <c>2s</c> or a bare number of milliseconds; null when absent, malformed or out of range.</summary>
    internal static TimeSpan? ParseDuration(string? value, bool allowZero)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var text = value.Trim();
        var (number, scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1.0)
            : text.EndsWith('s') ? (text[..^1], 1000.0)
            : (text, 1.0);
        return double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var amount)
            && (amount > 0 || (allowZero && amount == 0)) && amount * scale <= int.MaxValue
            ? TimeSpan.FromMilliseconds(amount * scale)
            : null;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "[SERVICE: OpenTelemetry] {Message}")]
        public static partial void Problem(ILogger logger, string message);
    }
}
