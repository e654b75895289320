namespace Telemetry.Aggregation;

/// <summary>How the last values of a gauge (or non-monotonic sum) from the live instances combine into one series.</summary>
public enum GaugeAggregation
{
    /// <summary>The sum over live instances (in-flight requests, open connections): the default.</summary>
    Sum,

    /// <summary>The largest value of any live instance.</summary>
    Max,

    /// <summary>The smallest value of any live instance.</summary>
    Min,

    /// <summary>The value with the newest point timestamp (ties: the greatest instance id), e.g. a configuration version.</summary>
    Latest,
}

/// <summary>Limits and policies of a <see cref="MetricAggregator"/>. Validated when the aggregator is built.</summary>
public sealed class AggregatorOptions
{
    /// <summary>Series (distinct label sets over all families) tracked at most; a point of a new series beyond it is rejected.</summary>
    /// <value>Default 20,000.</value>
    public int MaxSeries { get; init; } = 20_000;

    /// <summary>Series per family at most (the OpenTelemetry SDK's default cardinality limit).</summary>
    /// <value>Default 2,000.</value>
    public int MaxSeriesPerMetric { get; init; } = 2_000;

    /// <summary>Attribute labels per point at most (the two scope labels not included); a point with more is rejected.</summary>
    /// <value>Default 32.</value>
    public int MaxLabelsPerSeries { get; init; } = 32;

    /// <summary>
    /// Label values longer than this (in UTF-16 code units) are shortened to this length plus <c>~</c> and eight hex
    /// digits of a hash of the whole value, not rejected: distinct values stay distinct series, so the counts stay
    /// exact, and only the label loses resolution (counted by <c>aggregator_label_values_truncated_total</c>). Label,
    /// metric and scope names are bounded the same way at 256 or this, whichever is larger.
    /// </summary>
    /// <value>Default 256.</value>
    public int MaxLabelValueLength { get; init; } = 256;

    /// <summary>
    /// The silence after which <see cref="MetricAggregator.FoldRetiredInstances()"/> retires an instance. Keep it
    /// above the gateways' push interval plus the longest expected freeze.
    /// </summary>
    /// <value>Default 30 minutes.</value>
    public TimeSpan RetireAfter { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// How long a retired instance id is remembered. Within it, an id that pushes again is resumed without double
    /// counting; after it, its cumulative values would be counted again.
    /// </summary>
    /// <value>Default 7 days.</value>
    public TimeSpan TombstoneRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The gauge policy of families not listed in <see cref="GaugeAggregations"/>.</summary>
    /// <value>Default <see cref="GaugeAggregation.Sum"/>.</value>
    public GaugeAggregation DefaultGaugeAggregation { get; init; } = GaugeAggregation.Sum;

    /// <summary>Per-family gauge policies, keyed by the Prometheus family name (e.g. <c>process_open_fds</c>).</summary>
    public IReadOnlyDictionary<string, GaugeAggregation> GaugeAggregations { get; init; } = new Dictionary<string, GaugeAggregation>(StringComparer.Ordinal);

    internal GaugeAggregation GaugeAggregationFor(string familyName) =>
        GaugeAggregations.TryGetValue(familyName, out var policy) ? policy : DefaultGaugeAggregation;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxSeries);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxSeriesPerMetric);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxLabelsPerSeries);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxLabelValueLength);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RetireAfter, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(TombstoneRetention, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(GaugeAggregations);
    }
}
