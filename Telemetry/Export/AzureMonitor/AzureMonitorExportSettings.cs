using Azure.Core;

namespace Telemetry.Export.AzureMonitor;

/// <summary>
/// What the host decides about the Azure Monitor exporters and the config file does not carry: offline storage, the
/// ingestion request timeout, the metric export period and an optional Microsoft Entra ID credential.
/// </summary>
internal sealed record AzureMonitorExportSettings
{
    /// <summary>The ingestion deadline used unless <see cref="NetworkTimeout"/> is set.</summary>
    public static readonly TimeSpan DefaultNetworkTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The SDK's metric export period (<c>AddAzureMonitorMetricExporter</c> uses 60 s).</summary>
    public static readonly TimeSpan DefaultMetricExportInterval = TimeSpan.FromSeconds(60);

    public static AzureMonitorExportSettings Default { get; } = new();

    /// <summary>
    /// Where batches that could not be sent are kept and retried from; null for the SDK's default
    /// (<c>$TMPDIR</c>, else <c>/var/tmp</c>, else <c>/tmp</c>, under <c>Microsoft/AzureMonitor/&lt;hash&gt;</c>).
    /// </summary>
    public string? StorageDirectory { get; init; }

    /// <summary>No offline storage: a batch the ingestion endpoint does not accept is dropped.</summary>
    public bool DisableOfflineStorage { get; init; }

    /// <summary>
    /// The gateway's own sampling rate (<c>trace_sample_rate</c>), stamped on each envelope as its sample rate so
    /// Application Insights scales request and dependency counts back up. The exporter itself samples nothing.
    /// </summary>
    public float SamplingRatio { get; init; } = 1.0f;

    /// <summary>
    /// How long one ingestion request may take (the SDK's <c>Retry.NetworkTimeout</c>, 100 s by default). The exporter
    /// never retries in-line, and a hung request holds up every later export, so this is kept short.
    /// </summary>
    public TimeSpan NetworkTimeout { get; init; } = DefaultNetworkTimeout;

    /// <summary>How often the metric reader exports on its own, between flushes.</summary>
    public TimeSpan MetricExportInterval { get; init; } = DefaultMetricExportInterval;

    /// <summary>
    /// A Microsoft Entra ID credential (e.g. a managed identity), required when the Application Insights resource has
    /// local authentication disabled; null to authenticate with the instrumentation key alone.
    /// </summary>
    public TokenCredential? Credential { get; init; }
}
