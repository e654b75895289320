using Telemetry.Prometheus;

namespace Telemetry.Aggregation;

/// <summary>
/// Turns the state into Prometheus families: counters and histograms are the retired base plus every live entry
/// (all runs), gauges combine the live entries' last values by the family's <see cref="GaugeAggregation"/>. Families
/// come sorted by name and series in exposition order (<see cref="MetricState.ExpositionOrder"/>, so the writer has
/// nothing to sort); entries are summed in instance-id order, so the same state always renders the same bits whatever
/// order the points arrived in. Each series carries its cached label block, so the writer escapes no label per scrape.
/// </summary>
internal static class AggregateRenderer
{
    public static void AddFamilies(AggregationState state, AggregatorOptions options, List<MetricFamily> families)
    {
        var scopes = new SortedSet<(string Name, string Version)>();
        (string Name, string Version)? lastScope = null;
        ulong[] buckets = [];
        foreach (var metric in state.Metrics.Values.OrderBy(static m => m.Name, StringComparer.Ordinal))
        {
            var family = new MetricFamily(metric.Name, metric.Type, metric.Help, metric.Unit);
            var policy = options.GaugeAggregationFor(metric.Name);
            var ordered = metric.ExpositionOrder();
            family.Series.Capacity = ordered.Length;
            foreach (var series in ordered)
            {
                var rendered = metric.Type switch
                {
                    MetricFamilyType.Counter => Counter(series),
                    MetricFamilyType.Gauge => Gauge(series, policy),
                    _ => Histogram(series, ref buckets),
                };
                if (rendered is null)
                {
                    continue;
                }

                family.Series.Add(rendered);
                var scope = series.Scope;
                if (lastScope != scope)
                {
                    scopes.Add(scope);
                    lastScope = scope;
                }
            }

            if (family.Series.Count > 0)
            {
                families.Add(family);
            }
        }

        if (scopes.Count > 0)
        {
            families.Add(OpenTelemetryTranslator.ScopeInfo(scopes));
        }

        AddTargetInfo(state, families);
    }

    /// <summary>One <c>target_info</c> series per distinct stable attribute set among the live instances.</summary>
    private static void AddTargetInfo(AggregationState state, List<MetricFamily> families)
    {
        var distinct = new SortedDictionary<string, MetricLabel[]>(StringComparer.Ordinal);
        foreach (var instance in state.Instances.Values)
        {
            if (instance.TargetLabels.Length > 0)
            {
                distinct.TryAdd(AggregationLabels.Key(instance.TargetLabels), instance.TargetLabels);
            }
        }

        if (distinct.Count > 0)
        {
            var family = new MetricFamily("target_info", MetricFamilyType.Gauge, "Target metadata");
            foreach (var labels in distinct.Values)
            {
                family.Series.Add(MetricSeries.Sample(labels, 1));
            }

            families.Add(family);
        }
    }

    private static MetricSeries Counter(SeriesState series)
    {
        var total = series.HasBase ? series.BaseValue : 0;
        foreach (var entry in series.Entries)
        {
            total += entry.Current.Value;
            if (entry.Previous is { } previous)
            {
                foreach (var run in previous)
                {
                    total += run.Value;
                }
            }
        }

        return MetricSeries.Sample(series.Labels, total, series.LabelBlock);
    }

    private static MetricSeries? Gauge(SeriesState series, GaugeAggregation policy)
    {
        if (series.Entries.Count == 0)
        {
            return null;
        }

        var value = policy == GaugeAggregation.Sum ? 0 : series.Entries[0].Current.Value;
        var newest = series.Entries[0].Current;
        foreach (var entry in series.Entries)
        {
            var current = entry.Current;
            switch (policy)
            {
                case GaugeAggregation.Sum:
                    value += current.Value;
                    break;
                case GaugeAggregation.Max:
                    value = Math.Max(value, current.Value);
                    break;
                case GaugeAggregation.Min:
                    value = Math.Min(value, current.Value);
                    break;
                default:
                    if (current.Time >= newest.Time)
                    {
                        newest = current;
                    }

                    break;
            }
        }

        return MetricSeries.Sample(series.Labels, policy == GaugeAggregation.Latest ? newest.Value : value, series.LabelBlock);
    }

    /// <param name="series">The series.</param>
    /// <param name="scratch">Per-bucket sums, reused from series to series (grown when too small).</param>
    private static MetricSeries Histogram(SeriesState series, ref ulong[] scratch)
    {
        var bounds = series.Bounds ?? [];
        if (scratch.Length < bounds.Length + 1)
        {
            scratch = new ulong[bounds.Length + 1];
        }

        var buckets = scratch.AsSpan(0, bounds.Length + 1);
        buckets.Clear();
        var sum = 0.0;
        ulong count = 0;
        if (series.HasBase)
        {
            sum = series.BaseValue;
            count = series.BaseCount;
            Add(buckets, series.BaseBuckets);
        }

        foreach (var entry in series.Entries)
        {
            AddRun(entry.Current, buckets, ref sum, ref count);
            if (entry.Previous is { } previous)
            {
                foreach (var run in previous)
                {
                    AddRun(run, buckets, ref sum, ref count);
                }
            }
        }

        var cumulative = new HistogramBucket[bounds.Length];
        ulong running = 0;
        for (var i = 0; i < bounds.Length; i++)
        {
            running = unchecked(running + buckets[i]);
            cumulative[i] = new(bounds[i], running);
        }

        return MetricSeries.Histogram(series.Labels, cumulative, sum, count, series.LabelBlock);
    }

    private static void AddRun(RunRecord run, Span<ulong> buckets, ref double sum, ref ulong count)
    {
        sum += run.Value;
        count = unchecked(count + run.Count);
        Add(buckets, run.Buckets);
    }

    private static void Add(Span<ulong> target, ulong[]? source)
    {
        if (source is null)
        {
            return;
        }

        for (var i = 0; i < target.Length && i < source.Length; i++)
        {
            target[i] = unchecked(target[i] + source[i]);
        }
    }
}
