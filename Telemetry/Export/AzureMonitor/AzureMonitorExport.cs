using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Telemetry.Configuration;
using AzureMonitorMetricExporter = Azure.Monitor.OpenTelemetry.Exporter.AzureMonitorMetricExporter;
using AzureMonitorTraceExporter = Azure.Monitor.OpenTelemetry.Exporter.AzureMonitorTraceExporter;
using SdkAzureMonitorExporterOptions = Azure.Monitor.OpenTelemetry.Exporter.AzureMonitorExporterOptions;

namespace Telemetry.Export.AzureMonitor;

/// <summary>
/// One <c>exporters.azure_monitor[]</c> entry turned into what the providers take: a span processor for
/// <c>TracerProviderBuilder.AddProcessor</c> and a metric reader for <c>MeterProviderBuilder.AddReader</c>.
/// <para>
/// Built from the SDK's public <see cref="AzureMonitorTraceExporter"/> and <see cref="AzureMonitorMetricExporter"/>
/// rather than <c>AddAzureMonitorTraceExporter</c>/<c>UseAzureMonitorExporter</c>: those call <c>SetSampler</c> on the
/// provider, which would replace the gateway's <c>trace_sample_rate</c> sampler with the SDK's default of 5 traces per
/// second. The exporters themselves never sample; <see cref="SdkAzureMonitorExporterOptions.SamplingRatio"/> only
/// stamps the envelopes' <c>sampleRate</c> and stays 1 (100, i.e. not written).
/// </para>
/// <para>
/// Left out, as only the SDK's own registration can add them (their types are internal): standard metrics (request
/// and dependency rates and durations extracted from spans; they would count only the spans the gateway kept, and
/// the Performance and Failures views query the request and dependency tables anyway), performance counters, Live
/// Metrics, and persisting the queue to disk on shutdown (shutdown sends what is queued instead, within its timeout).
/// </para>
/// </summary>
internal sealed class AzureMonitorExport
{
    private AzureMonitorExport(string name, BaseProcessor<Activity>? traceProcessor, MetricReader? metricReader, string? error)
    {
        Name = name;
        TraceProcessor = traceProcessor;
        MetricReader = metricReader;
        Error = error;
    }

    /// <summary>The entry's <c>name</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// The span processor; null when <c>disable_traces</c> is set or <see cref="Error"/> is. Its <c>ForceFlush</c>
    /// returns once the ingestion endpoint has answered for every span ended before the call (see
    /// <see cref="FlushAwaitingActivityProcessor"/>).
    /// </summary>
    public BaseProcessor<Activity>? TraceProcessor { get; }

    /// <summary>
    /// The periodic metric reader (delta temporality, as Azure Monitor expects); null when <c>disable_metrics</c> is
    /// set or <see cref="Error"/> is. <c>MeterProvider.ForceFlush</c> collects and sends on the caller's thread.
    /// </summary>
    public MetricReader? MetricReader { get; }

    /// <summary>Why nothing was built (no or an invalid connection string); null on success.</summary>
    public string? Error { get; }

    /// <summary>
    /// Builds the processor and reader <paramref name="options"/> asks for. Never throws for a missing or invalid
    /// connection string: the result then has null members and an <see cref="Error"/>.
    /// </summary>
    public static AzureMonitorExport Create(AzureMonitorExporterOptions options, TelemetryEnvironment environment, AzureMonitorExportSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        settings ??= AzureMonitorExportSettings.Default;
        if (options.DisableTraces && options.DisableMetrics)
        {
            return new(options.Name, null, null, null);
        }

        var connectionString = options.ResolveConnectionString(environment);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return new(options.Name, null, null, $"exporters.azure_monitor \"{options.Name}\": no connection string: set connection_string or {AzureMonitorExporterOptions.ConnectionStringVariable}; the exporter is disabled");
        }

        var sdkOptions = CreateSdkOptions(connectionString, settings);
        BaseProcessor<Activity>? traceProcessor = null;
        try
        {
            // Each constructor parses the connection string and throws InvalidOperationException when it is invalid.
            if (!options.DisableTraces)
            {
                traceProcessor = new FlushAwaitingActivityProcessor(new AzureMonitorTraceExporter(sdkOptions));
            }

            MetricReader? metricReader = null;
            if (!options.DisableMetrics)
            {
                metricReader = new PeriodicExportingMetricReader(new AzureMonitorMetricExporter(sdkOptions), ToMilliseconds(settings.MetricExportInterval))
                {
                    TemporalityPreference = MetricReaderTemporalityPreference.Delta,
                };
            }

            return new(options.Name, traceProcessor, metricReader, null);
        }
        catch (InvalidOperationException ex)
        {
            traceProcessor?.Dispose();
            return new(options.Name, null, null, $"exporters.azure_monitor \"{options.Name}\": invalid connection string ({ex.Message}); the exporter is disabled");
        }
    }

    /// <summary>The SDK options: everything set explicitly, so no default or environment variable of the SDK decides.</summary>
    internal static SdkAzureMonitorExporterOptions CreateSdkOptions(string connectionString, AzureMonitorExportSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new SdkAzureMonitorExporterOptions
        {
            ConnectionString = connectionString,
            Credential = settings.Credential,
            SamplingRatio = settings.SamplingRatio,
            TracesPerSecond = null,
            EnableLiveMetrics = false,
            EnableStandardMetrics = false,
            EnablePerformanceCounters = false,
            DisableOfflineStorage = settings.DisableOfflineStorage,
            StorageDirectory = settings.StorageDirectory,
        };
        options.Retry.NetworkTimeout = settings.NetworkTimeout;
        return options;
    }

    private static int ToMilliseconds(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
        return (int)Math.Clamp(Math.Ceiling(value.TotalMilliseconds), 1, int.MaxValue);
    }
}
