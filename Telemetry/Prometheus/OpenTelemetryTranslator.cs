using OpenTelemetry.Metrics;

namespace Telemetry.Prometheus;

/// <summary>
/// Turns collected OpenTelemetry <see cref="Metric"/>s into Prometheus families, as the Go OTel Prometheus exporter
/// does (reference §6.2): monotonic sums → counters, non-monotonic sums and gauges → gauges, explicit-bucket histograms
/// → histograms (exponential ones are skipped, as in Go v0.46); every series carries <c>otel_scope_name</c> and
/// <c>otel_scope_version</c>. The first type and help seen for a name are kept for the exporter's lifetime (Go's
/// <c>validateMetrics</c>): a later instrument with the same name and another type is dropped, one with another
/// description takes the first one's.
/// </summary>
internal sealed class OpenTelemetryTranslator
{
    public const string ScopeNameLabel = "otel_scope_name";
    public const string ScopeVersionLabel = "otel_scope_version";

    private readonly Dictionary<string, (MetricFamilyType Type, string Help)> _known = new(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="metric"/>'s points to <paramref name="families"/> (by name); returns how many (0 when skipped).</summary>
    public int Add(Metric metric, Dictionary<string, MetricFamily> families)
    {
        if (FamilyType(metric.MetricType) is not { } type)
        {
            return 0;
        }

        var name = PrometheusNaming.MetricName(metric.Name, metric.Unit, type);
        var help = metric.Description ?? "";
        if (_known.TryGetValue(name, out var known))
        {
            if (known.Type != type)
            {
                return 0;
            }

            help = known.Help;
        }
        else
        {
            _known.Add(name, (type, help));
        }

        if (!families.TryGetValue(name, out var family))
        {
            family = new MetricFamily(name, type, help, metric.Unit ?? "");
            families.Add(name, family);
        }

        var scopeName = metric.MeterName ?? "";
        var scopeVersion = metric.MeterVersion ?? "";
        var added = 0;
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var labels = Labels(point, type, scopeName, scopeVersion);
            family.Series.Add(metric.MetricType switch
            {
                MetricType.LongSum or MetricType.LongSumNonMonotonic => MetricSeries.Sample(labels, point.GetSumLong()),
                MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => MetricSeries.Sample(labels, point.GetSumDouble()),
                MetricType.LongGauge => MetricSeries.Sample(labels, point.GetGaugeLastValueLong()),
                MetricType.DoubleGauge => MetricSeries.Sample(labels, point.GetGaugeLastValueDouble()),
                _ => Histogram(point, labels),
            });
            added++;
        }

        return added;
    }

    /// <summary>The <c>otel_scope_info</c> family for the given scopes (name, version).</summary>
    public static MetricFamily ScopeInfo(IEnumerable<(string Name, string Version)> scopes)
    {
        var family = new MetricFamily("otel_scope_info", MetricFamilyType.Gauge, "Instrumentation Scope metadata");
        foreach (var (name, version) in scopes)
        {
            family.Series.Add(MetricSeries.Sample([new(ScopeNameLabel, name), new(ScopeVersionLabel, version)], 1));
        }

        return family;
    }

    /// <summary>The <c>target_info</c> gauge: value 1, the resource attributes as its only labels.</summary>
    public static MetricFamily TargetInfo(IEnumerable<KeyValuePair<string, string>> resourceAttributes)
    {
        var family = new MetricFamily("target_info", MetricFamilyType.Gauge, "Target metadata");
        var labels = PrometheusNaming.Labels(resourceAttributes.Select(static a => new KeyValuePair<string, object?>(a.Key, a.Value)));
        family.Series.Add(MetricSeries.Sample(labels, 1));
        return family;
    }

    private static MetricFamilyType? FamilyType(MetricType type) => type switch
    {
        MetricType.LongSum or MetricType.DoubleSum => MetricFamilyType.Counter,
        MetricType.LongSumNonMonotonic or MetricType.DoubleSumNonMonotonic or MetricType.LongGauge or MetricType.DoubleGauge => MetricFamilyType.Gauge,
        MetricType.Histogram => MetricFamilyType.Histogram,
        _ => null,
    };

    private static List<MetricLabel> Labels(in MetricPoint point, MetricFamilyType type, string scopeName, string scopeVersion)
    {
        var attributes = new List<KeyValuePair<string, object?>>();
        foreach (var tag in point.Tags)
        {
            attributes.Add(tag);
        }

        var labels = PrometheusNaming.Labels(attributes);

        // Go would reject a series whose attributes collide with the scope labels or, on a histogram, with "le";
        // the series is kept without the colliding attribute instead.
        labels.RemoveAll(l => l.Name is ScopeNameLabel or ScopeVersionLabel || (type == MetricFamilyType.Histogram && l.Name == "le"));
        labels.Add(new(ScopeNameLabel, scopeName));
        labels.Add(new(ScopeVersionLabel, scopeVersion));
        return labels;
    }

    private static MetricSeries Histogram(in MetricPoint point, List<MetricLabel> labels)
    {
        var buckets = new List<HistogramBucket>();
        ulong cumulative = 0;
        foreach (var bucket in point.GetHistogramBuckets())
        {
            cumulative += (ulong)bucket.BucketCount;
            if (!double.IsPositiveInfinity(bucket.ExplicitBound))
            {
                buckets.Add(new(bucket.ExplicitBound, cumulative));
            }
        }

        return MetricSeries.Histogram(labels, buckets, point.GetHistogramSum(), (ulong)point.GetHistogramCount());
    }
}
