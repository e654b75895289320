using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Metrics.V1;

namespace FunctionApp.Tests.Common.Otlp;

public enum ReceivedMetricKind
{
    Gauge,
    Sum,
    Histogram,
    ExponentialHistogram,
}

/// <summary>
/// One received data point, flattened with its metric, resource and scope. Sums and gauges fill <see cref="Value"/>
/// (<see cref="IntValue"/> too when sent as an integer); histograms fill <see cref="Count"/>, <see cref="Sum"/>,
/// <see cref="Min"/>/<see cref="Max"/> and, for explicit buckets, <see cref="ExplicitBounds"/> and
/// <see cref="BucketCounts"/> (one more count than bounds). Gauges have
/// <see cref="AggregationTemporality.Unspecified"/>.
/// </summary>
public sealed record ReceivedMetricPoint(
    string Name,
    string Unit,
    string Description,
    ReceivedMetricKind Kind,
    AggregationTemporality Temporality,
    bool IsMonotonic,
    IReadOnlyDictionary<string, object?> Attributes,
    double? Value,
    long? IntValue,
    ulong Count,
    double? Sum,
    double? Min,
    double? Max,
    IReadOnlyList<double> ExplicitBounds,
    IReadOnlyList<ulong> BucketCounts,
    ulong StartTimeUnixNano,
    ulong TimeUnixNano,
    IReadOnlyDictionary<string, object?> ResourceAttributes,
    string ScopeName,
    string ScopeVersion)
{
    public static IEnumerable<ReceivedMetricPoint> Flatten(ExportMetricsServiceRequest request)
    {
        foreach (var resourceMetrics in request.ResourceMetrics)
        {
            var resource = OtlpAttributes.ToDictionary(resourceMetrics.Resource?.Attributes ?? []);
            foreach (var scopeMetrics in resourceMetrics.ScopeMetrics)
            {
                var scope = (Name: scopeMetrics.Scope?.Name ?? "", Version: scopeMetrics.Scope?.Version ?? "");
                foreach (var metric in scopeMetrics.Metrics)
                {
                    foreach (var point in Points(metric, resource, scope))
                    {
                        yield return point;
                    }
                }
            }
        }
    }

    private static IEnumerable<ReceivedMetricPoint> Points(
        Metric metric,
        IReadOnlyDictionary<string, object?> resource,
        (string Name, string Version) scope)
    {
        ReceivedMetricPoint Number(ReceivedMetricKind kind, AggregationTemporality temporality, bool monotonic, NumberDataPoint p) => new(
            metric.Name,
            metric.Unit,
            metric.Description,
            kind,
            temporality,
            monotonic,
            OtlpAttributes.ToDictionary(p.Attributes),
            p.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? p.AsInt : p.ValueCase == NumberDataPoint.ValueOneofCase.AsDouble ? p.AsDouble : null,
            p.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? p.AsInt : null,
            0,
            null,
            null,
            null,
            [],
            [],
            p.StartTimeUnixNano,
            p.TimeUnixNano,
            resource,
            scope.Name,
            scope.Version);

        switch (metric.DataCase)
        {
            case Metric.DataOneofCase.Gauge:
                return metric.Gauge.DataPoints.Select(p => Number(ReceivedMetricKind.Gauge, AggregationTemporality.Unspecified, false, p));
            case Metric.DataOneofCase.Sum:
                return metric.Sum.DataPoints.Select(p => Number(ReceivedMetricKind.Sum, metric.Sum.AggregationTemporality, metric.Sum.IsMonotonic, p));
            case Metric.DataOneofCase.Histogram:
                return metric.Histogram.DataPoints.Select(p => new ReceivedMetricPoint(
                    metric.Name,
                    metric.Unit,
                    metric.Description,
                    ReceivedMetricKind.Histogram,
                    metric.Histogram.AggregationTemporality,
                    false,
                    OtlpAttributes.ToDictionary(p.Attributes),
                    null,
                    null,
                    p.Count,
                    p.HasSum ? p.Sum : null,
                    p.HasMin ? p.Min : null,
                    p.HasMax ? p.Max : null,
                    [.. p.ExplicitBounds],
                    [.. p.BucketCounts],
                    p.StartTimeUnixNano,
                    p.TimeUnixNano,
                    resource,
                    scope.Name,
                    scope.Version));
            case Metric.DataOneofCase.ExponentialHistogram:
                return metric.ExponentialHistogram.DataPoints.Select(p => new ReceivedMetricPoint(
                    metric.Name,
                    metric.Unit,
                    metric.Description,
                    ReceivedMetricKind.ExponentialHistogram,
                    metric.ExponentialHistogram.AggregationTemporality,
                    false,
                    OtlpAttributes.ToDictionary(p.Attributes),
                    null,
                    null,
                    p.Count,
                    p.HasSum ? p.Sum : null,
                    p.HasMin ? p.Min : null,
                    p.HasMax ? p.Max : null,
                    [],
                    [],
                    p.StartTimeUnixNano,
                    p.TimeUnixNano,
                    resource,
                    scope.Name,
                    scope.Version));
            default:
                return [];
        }
    }
}
