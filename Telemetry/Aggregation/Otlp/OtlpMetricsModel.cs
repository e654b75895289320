namespace Telemetry.Aggregation.Otlp;

/// <summary>
/// An <c>ExportMetricsServiceRequest</c> as the companion needs it (OTLP metrics data model, aggregation.md §4.4), decoded
/// from protobuf or OTLP/JSON by <c>OtlpMetricsDecoder</c>. Only what aggregation uses is kept; attribute values are
/// rendered to strings the way Prometheus labels need them (booleans <c>true</c>/<c>false</c>, integers in decimal,
/// doubles in shortest round-trip form, arrays as JSON), and bytes/kvlist values as JSON too.
/// </summary>
public sealed record OtlpMetricsRequest(IReadOnlyList<OtlpResourceMetrics> ResourceMetrics)
{
    /// <summary>The total number of data points in the request (for <c>partial_success</c> accounting).</summary>
    public int DataPointCount => ResourceMetrics.Sum(r => r.ScopeMetrics.Sum(s => s.Metrics.Sum(m => m.DataPointCount)));
}

/// <summary>One resource (one gateway instance, identified by its <c>service.instance.id</c>) and its scopes.</summary>
public sealed record OtlpResourceMetrics(IReadOnlyList<OtlpAttribute> ResourceAttributes, IReadOnlyList<OtlpScopeMetrics> ScopeMetrics);

/// <summary>One instrumentation scope (e.g. <c>io.krakend.krakend-otel</c>) and its metrics.</summary>
public sealed record OtlpScopeMetrics(string ScopeName, string ScopeVersion, IReadOnlyList<OtlpMetric> Metrics);

/// <summary>A string-valued attribute (see <see cref="OtlpMetricsRequest"/> for how typed values are rendered).</summary>
public readonly record struct OtlpAttribute(string Key, string Value);

/// <summary>The OTLP metric data kinds.</summary>
public enum OtlpMetricKind
{
    Gauge,
    Sum,
    Histogram,
    ExponentialHistogram,
    Summary,
}

/// <summary>OTLP's <c>AggregationTemporality</c>.</summary>
public enum OtlpTemporality
{
    Unspecified = 0,
    Delta = 1,
    Cumulative = 2,
}

/// <summary>
/// One metric. <see cref="NumberPoints"/> holds the points of a gauge or sum, <see cref="HistogramPoints"/> those of an
/// explicit-bucket histogram. Exponential histograms and summaries keep only their point count
/// (<see cref="UnsupportedPointCount"/>): the companion rejects them through <c>partial_success</c>.
/// </summary>
public sealed record OtlpMetric(
    string Name,
    string Description,
    string Unit,
    OtlpMetricKind Kind,
    bool IsMonotonic,
    OtlpTemporality Temporality,
    IReadOnlyList<OtlpNumberPoint> NumberPoints,
    IReadOnlyList<OtlpHistogramPoint> HistogramPoints,
    int UnsupportedPointCount = 0)
{
    public int DataPointCount => NumberPoints.Count + HistogramPoints.Count + UnsupportedPointCount;
}

/// <summary>A gauge or sum point. Integer points are carried as doubles (exact up to 2^53).</summary>
public sealed record OtlpNumberPoint(IReadOnlyList<OtlpAttribute> Attributes, ulong StartTimeUnixNano, ulong TimeUnixNano, double Value);

/// <summary>
/// An explicit-bucket histogram point: <see cref="BucketCounts"/> has one more entry than <see cref="ExplicitBounds"/>
/// (the last is the +Inf bucket); counts are per bucket, not cumulative, as on the wire.
/// </summary>
public sealed record OtlpHistogramPoint(
    IReadOnlyList<OtlpAttribute> Attributes,
    ulong StartTimeUnixNano,
    ulong TimeUnixNano,
    ulong Count,
    double? Sum,
    IReadOnlyList<double> ExplicitBounds,
    IReadOnlyList<ulong> BucketCounts);
