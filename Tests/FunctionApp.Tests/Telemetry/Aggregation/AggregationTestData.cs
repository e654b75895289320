using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Telemetry.Aggregation;
using Telemetry.Aggregation.Otlp;
using Telemetry.Prometheus;

namespace FunctionApp.Tests.Telemetry.Aggregation;

/// <summary>Builds the decoded OTLP model directly (as the decoder would) and reads results back.</summary>
internal static class AggregationTestData
{
    public const string KrakenDScope = "io.krakend.krakend-otel";

    /// <summary>KrakenD's time buckets (seconds).</summary>
    public static readonly double[] TimeBuckets = [0.010, 0.020, 0.050, 0.075, 0.100, 0.125, 0.150, 0.175, 0.200, 0.250, 0.300, 0.350, 0.500, 0.750, 1.0, 1.5, 2.0, 3.5, 5.0, 10.0];

    /// <summary>A nanosecond timestamp: second <paramref name="second"/> after a fixed epoch.</summary>
    public static ulong T(int second) => 1_700_000_000_000_000_000UL + ((ulong)second * 1_000_000_000UL);

    public static FakeTimeProvider Clock() => new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public static MetricAggregator Aggregator(TimeProvider? time = null, AggregatorOptions? options = null) =>
        new(options ?? new AggregatorOptions(), time ?? Clock());

    public static OtlpAttribute A(string key, string value) => new(key, value);

    public static OtlpAttribute[] Route(string route, string status = "200") =>
        [A("http.request.method", "GET"), A("url.scheme", "http"), A("http.route", route), A("http.response.status_code", status)];

    public static OtlpMetricsRequest Request(string instanceId, params OtlpMetric[] metrics) =>
        Request([A("service.name", "krakend"), A("service.version", "2.10.0"), A("service.instance.id", instanceId)], metrics);

    public static OtlpMetricsRequest Request(OtlpAttribute[] resource, params OtlpMetric[] metrics) =>
        new([new OtlpResourceMetrics(resource, [new OtlpScopeMetrics(KrakenDScope, "", metrics)])]);

    public static OtlpNumberPoint Point(ulong start, ulong time, double value, params OtlpAttribute[] attributes) => new(attributes, start, time, value);

    public static OtlpMetric Counter(string name, params OtlpNumberPoint[] points) => Sum(name, "", monotonic: true, OtlpTemporality.Cumulative, points);

    public static OtlpMetric DeltaCounter(string name, params OtlpNumberPoint[] points) => Sum(name, "", monotonic: true, OtlpTemporality.Delta, points);

    public static OtlpMetric Sum(string name, string unit, bool monotonic, OtlpTemporality temporality, params OtlpNumberPoint[] points) =>
        new(name, "", unit, OtlpMetricKind.Sum, monotonic, temporality, points, []);

    public static OtlpMetric Gauge(string name, params OtlpNumberPoint[] points) =>
        new(name, "", "", OtlpMetricKind.Gauge, false, OtlpTemporality.Unspecified, points, []);

    public static OtlpMetric Histogram(string name, params OtlpHistogramPoint[] points) => Histogram(name, "", OtlpTemporality.Cumulative, points);

    public static OtlpMetric Histogram(string name, string unit, OtlpTemporality temporality, params OtlpHistogramPoint[] points) =>
        new(name, "", unit, OtlpMetricKind.Histogram, false, temporality, [], points);

    /// <summary>A histogram point of the given observations over <paramref name="bounds"/>.</summary>
    public static OtlpHistogramPoint HistogramPoint(ulong start, ulong time, double[] bounds, double[] observations, params OtlpAttribute[] attributes)
    {
        var buckets = new ulong[bounds.Length + 1];
        foreach (var value in observations)
        {
            var index = Array.FindIndex(bounds, b => value <= b);
            buckets[index < 0 ? bounds.Length : index]++;
        }

        return new(attributes, start, time, (ulong)observations.Length, observations.Sum(), bounds, buckets);
    }

    /// <summary>The aggregated exposition without the aggregator's self-metrics.</summary>
    public static string Render(MetricAggregator aggregator) =>
        PrometheusTextWriter.Render(aggregator.Collect().Where(static f => !f.Name.StartsWith("aggregator_", StringComparison.Ordinal)));

    /// <summary>The value of the one series of <paramref name="family"/> whose labels include <paramref name="labels"/> (NaN when none).</summary>
    public static double Value(MetricAggregator aggregator, string family, params (string Name, string Value)[] labels) =>
        Series(aggregator, family, labels)?.Value ?? double.NaN;

    public static MetricSeries? Series(MetricAggregator aggregator, string family, params (string Name, string Value)[] labels) =>
        aggregator.Collect()
            .Where(f => f.Name == family)
            .SelectMany(static f => f.Series)
            .SingleOrDefault(s => labels.All(l => s.Labels.Contains(new MetricLabel(l.Name, l.Value))));

    public static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}
