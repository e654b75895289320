using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Telemetry.Configuration;
using Telemetry.Runtime;

namespace FunctionApp.Tests.Common;

/// <summary>
/// In-memory exporters for one gateway: every ended span, and the metrics as of the last <see cref="CollectMetrics"/>.
/// Each capture has its own instrumentation scope name, so tests running in parallel never see each other's data.
/// </summary>
public sealed class TelemetryCapture
{
    private readonly List<Activity> _spans = [];
    private readonly SnapshotExporter _metricExporter = new();
    private readonly BaseExportingMetricReader _reader;

    public TelemetryCapture(Func<string, string?>? settings = null, TelemetryEnvironment? environment = null)
    {
        ScopeName = "test." + Guid.NewGuid().ToString("N");
        _reader = new BaseExportingMetricReader(_metricExporter) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative };
        Settings = new TelemetryRuntimeSettings
        {
            SourcesName = ScopeName,
            Environment = environment ?? TelemetryEnvironment.Empty,
            GetSetting = settings ?? (_ => null),
            ConfigureTracing = builder => builder.AddProcessor(new SimpleActivityExportProcessor(new ListExporter(_spans))),
            ConfigureMetrics = builder => builder.AddReader(_reader),
        };
    }

    public string ScopeName { get; }

    public TelemetryRuntimeSettings Settings { get; }

    /// <summary>A copy of the spans ended so far.</summary>
    public IReadOnlyList<Activity> Spans
    {
        get
        {
            lock (_spans)
            {
                return [.. _spans];
            }
        }
    }

    /// <summary>Waits until the spans satisfy <paramref name="condition"/> (spans end after the response is sent).</summary>
    public async Task<IReadOnlyList<Activity>> WaitForSpansAsync(Func<IReadOnlyList<Activity>, bool> condition, int timeoutSeconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var spans = Spans;
            if (condition(spans))
            {
                return spans;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"spans never matched; got: {string.Join(", ", spans.Select(s => $"{s.GetTagItem("krakend.stage")}:{s.DisplayName}"))}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Collects the current (cumulative) metric points.</summary>
    public IReadOnlyList<MetricPointSnapshot> CollectMetrics()
    {
        lock (_metricExporter)
        {
            _metricExporter.Points.Clear();
            _reader.Collect();
            return [.. _metricExporter.Points];
        }
    }

    /// <summary>Waits until the collected metrics satisfy <paramref name="condition"/> (they are recorded as the request ends).</summary>
    public async Task<IReadOnlyList<MetricPointSnapshot>> WaitForMetricsAsync(Func<IReadOnlyList<MetricPointSnapshot>, bool> condition, int timeoutSeconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var points = CollectMetrics();
            if (condition(points))
            {
                return points;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"metrics never matched; got: {string.Join(", ", points.Select(p => p.Name))}");
            }

            await Task.Delay(20);
        }
    }

    private sealed class ListExporter(List<Activity> spans) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            lock (spans)
            {
                foreach (var activity in batch)
                {
                    spans.Add(activity);
                }
            }

            return ExportResult.Success;
        }
    }

    private sealed class SnapshotExporter : BaseExporter<Metric>
    {
        public List<MetricPointSnapshot> Points { get; } = [];

        public override ExportResult Export(in Batch<Metric> batch)
        {
            foreach (var metric in batch)
            {
                foreach (ref readonly var point in metric.GetMetricPoints())
                {
                    var tags = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var tag in point.Tags)
                    {
                        tags[tag.Key] = tag.Value;
                    }

                    double value = 0;
                    long count = 0;
                    double[] bounds = [];
                    long[] buckets = [];
                    switch (metric.MetricType)
                    {
                        case MetricType.LongSum:
                        case MetricType.LongSumNonMonotonic:
                            value = point.GetSumLong();
                            break;
                        case MetricType.DoubleSum:
                        case MetricType.DoubleSumNonMonotonic:
                            value = point.GetSumDouble();
                            break;
                        case MetricType.LongGauge:
                            value = point.GetGaugeLastValueLong();
                            break;
                        case MetricType.DoubleGauge:
                            value = point.GetGaugeLastValueDouble();
                            break;
                        case MetricType.Histogram:
                            value = point.GetHistogramSum();
                            count = point.GetHistogramCount();
                            var boundList = new List<double>();
                            var countList = new List<long>();
                            foreach (var bucket in point.GetHistogramBuckets())
                            {
                                boundList.Add(bucket.ExplicitBound);
                                countList.Add(bucket.BucketCount);
                            }

                            bounds = [.. boundList];
                            buckets = [.. countList];
                            break;
                    }

                    Points.Add(new MetricPointSnapshot(metric.Name, metric.Unit ?? "", metric.Description ?? "", metric.MetricType, metric.MeterName, tags, value, count, bounds, buckets));
                }
            }

            return ExportResult.Success;
        }
    }
}

/// <summary>One metric point as collected: its metric's name/unit/kind, attributes, and value (sum, last value or histogram).</summary>
public sealed record MetricPointSnapshot(
    string Name,
    string Unit,
    string Description,
    MetricType Type,
    string MeterName,
    IReadOnlyDictionary<string, object?> Tags,
    double Value,
    long Count,
    double[] Bounds,
    long[] BucketCounts)
{
    public string Tag(string key) => Tags.TryGetValue(key, out var value) ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "" : "";
}
