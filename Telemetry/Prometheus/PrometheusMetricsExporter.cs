using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Telemetry.Prometheus;

/// <summary>
/// The pull exporter behind a KrakenD <c>exporters.prometheus[]</c> entry (reference §6.2). Add <see cref="Reader"/>
/// to the MeterProvider (<c>AddReader(exporter.Reader)</c>) when <see cref="PrometheusMetricsExporterOptions.UsesMeterProvider"/>;
/// every <see cref="Scrape"/> then collects (cumulative temporality), translates the batch like the Go OTel
/// Prometheus exporter, adds <c>target_info</c>, <c>otel_scope_info</c> and, when asked, the process families, and
/// renders text format 0.0.4. Scrapes are serialised. Pull only: a provider flush never reaches this exporter.
/// </summary>
[ExportModes(ExportModes.Pull)]
public sealed class PrometheusMetricsExporter : BaseExporter<Metric>, IPullMetricExporter
{
    private readonly PrometheusMetricsExporterOptions _options;
    private readonly MetricFamily _targetInfo;
    private readonly OpenTelemetryTranslator _translator = new();
    // Never disposed: a scrape racing the provider's disposal must not fail (the reader's disposal clears Collect instead).
    private readonly SemaphoreSlim _scrapeLock = new(1, 1);

    // Filled by Export while a scrape holds _scrapeLock (the pull reader exports on the collecting thread).
    private Dictionary<string, MetricFamily>? _collected;
    private readonly SortedSet<(string Name, string Version)> _scopes = [];

    public PrometheusMetricsExporter(PrometheusMetricsExporterOptions options, IReadOnlyList<KeyValuePair<string, string>> resourceAttributes)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(resourceAttributes);
        _options = options;
        _targetInfo = OpenTelemetryTranslator.TargetInfo(resourceAttributes);
        Reader = new BaseExportingMetricReader(this) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative };
    }

    public PrometheusMetricsExporterOptions Options => _options;

    /// <summary>The pull reader to add to the MeterProvider. The provider owns it (and, through it, this exporter) once added.</summary>
    public MetricReader Reader { get; }

    /// <summary>Set by <see cref="Reader"/>: collects from the provider in a pull scope.</summary>
    Func<int, bool>? IPullMetricExporter.Collect { get; set; }

    /// <summary>The current exposition (text format 0.0.4, UTF-8). Waits while another scrape runs.</summary>
    public byte[] Scrape()
    {
        _scrapeLock.Wait();
        try
        {
            return PrometheusTextWriter.RenderUtf8(CollectFamilies());
        }
        finally
        {
            _scrapeLock.Release();
        }
    }

    /// <inheritdoc cref="Scrape"/>
    public async Task<byte[]> ScrapeAsync(CancellationToken cancellationToken = default)
    {
        await _scrapeLock.WaitAsync(cancellationToken);
        try
        {
            return PrometheusTextWriter.RenderUtf8(CollectFamilies());
        }
        finally
        {
            _scrapeLock.Release();
        }
    }

    /// <inheritdoc/>
    public override ExportResult Export(in Batch<Metric> batch)
    {
        var families = _collected;
        if (families is null)
        {
            return ExportResult.Success;
        }

        foreach (var metric in batch)
        {
            if (!Renders(metric.MeterName))
            {
                continue;
            }

            if (_translator.Add(metric, families) > 0)
            {
                _scopes.Add((metric.MeterName ?? "", metric.MeterVersion ?? ""));
            }
        }

        return ExportResult.Success;
    }

    private bool Renders(string? meterName) =>
        (_options.IncludeGatewayMeter && string.Equals(meterName, _options.GatewayMeterName, StringComparison.Ordinal))
        || (_options.RuntimeMetrics && string.Equals(meterName, PrometheusMetricsExporterOptions.RuntimeMeterName, StringComparison.Ordinal));

    private List<MetricFamily> CollectFamilies()
    {
        var result = new List<MetricFamily>();
        // Not added to a provider (Go's ErrReaderNotRegistered): no OpenTelemetry families, not even target_info.
        if (_options.UsesMeterProvider && ParentProvider is not null && ((IPullMetricExporter)this).Collect is { } collect)
        {
            _collected = new(StringComparer.Ordinal);
            _scopes.Clear();
            try
            {
                if (collect(Timeout.Infinite))
                {
                    result.Add(_targetInfo);
                    result.Add(OpenTelemetryTranslator.ScopeInfo(_scopes));
                    result.AddRange(_collected.Values);
                }
            }
            finally
            {
                _collected = null;
            }
        }

        if (_options.ProcessMetrics)
        {
            result.AddRange(ProcessMetrics.Collect());
        }

        return result;
    }
}
