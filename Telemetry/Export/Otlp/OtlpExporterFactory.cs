using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Telemetry.Configuration;
using SdkOtlpExporterOptions = OpenTelemetry.Exporter.OtlpExporterOptions;

namespace Telemetry.Export.Otlp;

/// <summary>The OTLP signals this gateway exports.</summary>
internal enum OtlpSignal
{
    Traces,
    Metrics,
}

/// <summary>
/// Builds the OpenTelemetry SDK's own OTLP exporters (<see cref="OtlpTraceExporter"/>, <see cref="OtlpMetricExporter"/>)
/// from a resolved <see cref="OtlpConnection"/>, and wraps them in the processor and reader the providers take.
/// <para>
/// The exporters never throw from <c>Export</c>: a collector that is down, slow or refusing turns into
/// <see cref="ExportResult.Failure"/> and an event on the SDK's <c>OpenTelemetry-Exporter-OpenTelemetryProtocol</c>
/// EventSource; nothing is written to the console. Retries happen only when the SDK's
/// <c>OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY</c> variable asks for them, and never beyond the export timeout.
/// </para>
/// </summary>
internal static class OtlpExporterFactory
{
    /// <summary>The SDK's (and KrakenD's Go exporters') default deadline for one export request.</summary>
    public static readonly TimeSpan DefaultExportTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The OTLP/HTTP path of each signal, appended to the connection's base path.</summary>
    public static string HttpSignalPath(OtlpSignal signal) => signal switch
    {
        OtlpSignal.Traces => "v1/traces",
        OtlpSignal.Metrics => "v1/metrics",
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, null),
    };

    /// <summary>
    /// The SDK options for one signal. OTLP/HTTP gets the full signal URL (an explicitly set
    /// <see cref="SdkOtlpExporterOptions.Endpoint"/> is used as is by the SDK); gRPC gets the base URL, to which the SDK
    /// adds the service path itself. <see cref="OtlpConnection.UseTls"/> decides the scheme.
    /// </summary>
    public static SdkOtlpExporterOptions CreateOptions(OtlpConnection connection, OtlpSignal signal, TimeSpan? exportTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var endpoint = new UriBuilder(connection.Endpoint)
        {
            Scheme = connection.UseTls ? Uri.UriSchemeHttps : Uri.UriSchemeHttp,
            Port = connection.Endpoint.Port,
        };
        if (connection.Protocol == OtlpProtocol.HttpProtobuf)
        {
            endpoint.Path = endpoint.Path.TrimEnd('/') + "/" + HttpSignalPath(signal);
        }

        // The parameterless constructor also reads OTEL_EXPORTER_OTLP_* (e.g. _COMPRESSION); everything that the
        // connection decides is then overwritten explicitly, so the config keeps its precedence.
        var options = new SdkOtlpExporterOptions
        {
            Endpoint = endpoint.Uri,
            Protocol = connection.Protocol == OtlpProtocol.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc,
            Headers = FormatHeaders(connection.Headers.Where(static h => !h.Value.Contains(',', StringComparison.Ordinal))),
            TimeoutMilliseconds = ToMilliseconds(exportTimeout ?? DefaultExportTimeout, nameof(exportTimeout)),
        };

        // The SDK (1.20.1) percent-decodes its whole header string before splitting it at commas, so no escape can
        // carry a comma inside a value. Such headers go on the SDK's own HttpClient instead, which it creates once per
        // exporter and uses for both transports.
        var withComma = connection.Headers.Where(static h => h.Value.Contains(',', StringComparison.Ordinal)).ToArray();
        if (withComma.Length > 0)
        {
            var createClient = options.HttpClientFactory;
            options.HttpClientFactory = () =>
            {
                var client = createClient();
                foreach (var header in withComma)
                {
                    client.DefaultRequestHeaders.TryAddWithoutValidation(header.Key, header.Value);
                }

                return client;
            };
        }

        return options;
    }

    public static OtlpTraceExporter CreateTraceExporter(OtlpConnection connection, TimeSpan? exportTimeout = null) =>
        new(CreateOptions(connection, OtlpSignal.Traces, exportTimeout));

    public static OtlpMetricExporter CreateMetricExporter(OtlpConnection connection, TimeSpan? exportTimeout = null) =>
        new(CreateOptions(connection, OtlpSignal.Metrics, exportTimeout));

    /// <summary>
    /// A batching span processor over a new trace exporter. Queue 2048, batch 512, delay 5 s and processor timeout
    /// 30 s are the SDK's defaults and KrakenD's (Go SDK) alike; <c>OTEL_BSP_*</c> variables still override them,
    /// because <see cref="BatchExportActivityProcessorOptions"/> reads them when constructed.
    /// </summary>
    public static BatchActivityExportProcessor CreateTraceProcessor(OtlpConnection connection, TimeSpan? exportTimeout = null)
    {
        var batch = new BatchExportActivityProcessorOptions();
        return new BatchActivityExportProcessor(
            CreateTraceExporter(connection, exportTimeout),
            batch.MaxQueueSize,
            batch.ScheduledDelayMilliseconds,
            batch.ExporterTimeoutMilliseconds,
            batch.MaxExportBatchSize);
    }

    /// <summary>
    /// A periodic reader over a new metric exporter, exporting every <paramref name="period"/> with the temporality
    /// <c>OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE</c> asked for (cumulative by default, as KrakenD).
    /// </summary>
    public static PeriodicExportingMetricReader CreateMetricReader(
        OtlpConnection connection,
        MetricTemporalityPreference temporality,
        TimeSpan period,
        TimeSpan? exportTimeout = null)
    {
        var periodMilliseconds = ToMilliseconds(period, nameof(period));
        var timeout = exportTimeout ?? DefaultExportTimeout;
        return new PeriodicExportingMetricReader(
            CreateMetricExporter(connection, timeout),
            periodMilliseconds,
            ToMilliseconds(timeout, nameof(exportTimeout)))
        {
            TemporalityPreference = ToSdk(temporality),
        };
    }

    public static MetricReaderTemporalityPreference ToSdk(MetricTemporalityPreference temporality) => temporality switch
    {
        MetricTemporalityPreference.Cumulative => MetricReaderTemporalityPreference.Cumulative,
        MetricTemporalityPreference.Delta => MetricReaderTemporalityPreference.Delta,
        MetricTemporalityPreference.LowMemory => MetricReaderTemporalityPreference.LowMemory,
        _ => throw new ArgumentOutOfRangeException(nameof(temporality), temporality, null),
    };

    /// <summary>
    /// The SDK's <c>k=v,k2=v2</c> header string. The SDK percent-decodes what it is given (the OTel spec's format for
    /// <c>OTEL_EXPORTER_OTLP_HEADERS</c>), so <c>%</c> in the already-decoded values is escaped again.
    /// </summary>
    internal static string FormatHeaders(IEnumerable<KeyValuePair<string, string>> headers) =>
        string.Join(',', headers.Select(static h => $"{Escape(h.Key.Trim())}={Escape(h.Value.Trim())}"));

    private static string Escape(string text) => text.Replace("%", "%25", StringComparison.Ordinal);

    private static int ToMilliseconds(TimeSpan value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero, name);
        return (int)Math.Clamp(Math.Ceiling(value.TotalMilliseconds), 1, int.MaxValue);
    }
}
