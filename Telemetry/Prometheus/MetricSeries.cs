namespace Telemetry.Prometheus;

/// <summary>A label of one series. The name must already be a valid Prometheus label name.</summary>
public readonly record struct MetricLabel(string Name, string Value);

/// <summary>One bucket of a histogram series: the upper bound (<c>le</c>) and the count of values ≤ it.</summary>
public readonly record struct HistogramBucket(double UpperBound, ulong CumulativeCount);

/// <summary>
/// One series of a family: its labels and either a value (counter, gauge) or histogram data. Labels may come in any
/// order; the writer sorts them by name like Go's client.
/// </summary>
public sealed class MetricSeries
{
    private MetricSeries(IReadOnlyList<MetricLabel> labels, double value, IReadOnlyList<HistogramBucket>? buckets, ulong count, byte[]? labelBlock = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        Labels = labels;
        Value = value;
        Buckets = buckets ?? [];
        Count = count;
        LabelBlock = labelBlock;
    }

    /// <summary>
    /// <see cref="Labels"/> (sorted by name) as the writer's UTF-8 label block (<see cref="PrometheusTextWriter.LabelBlock"/>),
    /// when the producer keeps one between renders; null: the writer builds it.
    /// </summary>
    internal byte[]? LabelBlock { get; }

    public IReadOnlyList<MetricLabel> Labels { get; }

    /// <summary>The counter or gauge value; for a histogram, the sum of the observed values (<c>_sum</c>).</summary>
    public double Value { get; }

    /// <summary>Histogram buckets in ascending bound order, cumulative, without the <c>+Inf</c> bucket (it is <see cref="Count"/>).</summary>
    public IReadOnlyList<HistogramBucket> Buckets { get; }

    /// <summary>Histogram only: the number of observed values (<c>_count</c> and the <c>+Inf</c> bucket).</summary>
    public ulong Count { get; }

    /// <summary>A counter or gauge series.</summary>
    public static MetricSeries Sample(IReadOnlyList<MetricLabel> labels, double value) => new(labels, value, null, 0);

    /// <summary>A counter or gauge series whose labels are sorted by name, with their label block.</summary>
    internal static MetricSeries Sample(MetricLabel[] sortedLabels, double value, byte[] labelBlock) => new(sortedLabels, value, null, 0, labelBlock);

    /// <summary>A histogram series whose labels are sorted by name, with their label block.</summary>
    internal static MetricSeries Histogram(MetricLabel[] sortedLabels, HistogramBucket[] buckets, double sum, ulong count, byte[] labelBlock) =>
        new(sortedLabels, sum, buckets, count, labelBlock);

    /// <summary>A histogram series; <paramref name="buckets"/> are cumulative and exclude <c>+Inf</c>.</summary>
    public static MetricSeries Histogram(IReadOnlyList<MetricLabel> labels, IReadOnlyList<HistogramBucket> buckets, double sum, ulong count)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        return new(labels, sum, buckets, count);
    }
}
