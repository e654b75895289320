using Telemetry.Aggregation;
using Telemetry.Aggregation.Otlp;

namespace Bench.Companion;

/// <summary>
/// Decoded requests derived from the captured push, for filling an aggregator with many series: <c>variants</c> copies
/// of every captured series whose route-like label values (those starting with '/') get a prefix <c>/vN</c>, as if the
/// gateway had that many times more endpoints; per instance the instance id changes and the values are scaled by a
/// small factor (bucket counts, counts and sums alike, so every histogram stays consistent).
/// </summary>
internal sealed class Workload(OtlpMetricsRequest template)
{
    private readonly OtlpResourceMetrics _resource = template.ResourceMetrics[0];

    /// <summary>Data points one instance's request holds with one variant (the captured push's point count).</summary>
    public int PointsPerVariant(Func<OtlpMetric, bool> include) =>
        _resource.ScopeMetrics.Sum(s => s.Metrics.Where(include).Sum(static m => m.DataPointCount));

    /// <summary>
    /// One request for instance <paramref name="instance"/> with the metrics <paramref name="include"/> selects, each
    /// point repeated for variants <paramref name="firstVariant"/> .. + <paramref name="variants"/>, all at <paramref name="timeUnixNano"/>.
    /// </summary>
    public OtlpMetricsRequest Request(int instance, int firstVariant, int variants, ulong timeUnixNano, Func<OtlpMetric, bool> include)
    {
        var id = PushTemplate.SyntheticId(instance, 36);
        var attributes = _resource.ResourceAttributes
            .Select(a => a.Key == "service.instance.id" ? a with { Value = id } : a)
            .ToList();
        var scopes = new List<OtlpScopeMetrics>();
        foreach (var scope in _resource.ScopeMetrics)
        {
            var metrics = new List<OtlpMetric>();
            foreach (var metric in scope.Metrics.Where(include))
            {
                var numbers = new List<OtlpNumberPoint>();
                var histograms = new List<OtlpHistogramPoint>();
                for (var v = firstVariant; v < firstVariant + variants; v++)
                {
                    var factor = 1 + ((instance + v) % 4);
                    numbers.AddRange(metric.NumberPoints.Select(p => p with
                    {
                        Attributes = Variant(p.Attributes, v),
                        TimeUnixNano = timeUnixNano,
                        Value = p.Value * factor,
                    }));
                    histograms.AddRange(metric.HistogramPoints.Select(p => p with
                    {
                        Attributes = Variant(p.Attributes, v),
                        TimeUnixNano = timeUnixNano,
                        Count = p.Count * (ulong)factor,
                        Sum = p.Sum * factor,
                        BucketCounts = [.. p.BucketCounts.Select(c => c * (ulong)factor)],
                    }));
                }

                metrics.Add(metric with { NumberPoints = numbers, HistogramPoints = histograms });
            }

            scopes.Add(scope with { Metrics = metrics });
        }

        return new OtlpMetricsRequest([new OtlpResourceMetrics(attributes, scopes)]);
    }

    /// <summary>Fills <paramref name="aggregator"/> with every instance × variant, one request per instance (built and dropped one at a time).</summary>
    public void Fill(MetricAggregator aggregator, int instances, int variants, Func<OtlpMetric, bool> include, int firstInstance = 0)
    {
        for (var i = firstInstance; i < firstInstance + instances; i++)
        {
            var result = aggregator.Ingest(Request(i, 0, variants, 1_000_000_000UL, include));
            if (result.Rejected > 0)
            {
                throw new InvalidOperationException($"the aggregator rejected {result.Rejected} points: {result.ErrorMessage}");
            }
        }
    }

    private static List<OtlpAttribute> Variant(IReadOnlyList<OtlpAttribute> attributes, int variant) =>
        variant == 0
            ? [.. attributes]
            : [.. attributes.Select(a => a.Value.StartsWith('/') ? a with { Value = $"/v{variant}{a.Value}" } : a)];
}
