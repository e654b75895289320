using System.Globalization;
using OpenTelemetry.Metrics;

namespace Telemetry.Export.Companion;

/// <summary>
/// Writes OTLP metrics protobuf (<c>ExportMetricsServiceRequest</c>, field numbers of
/// <c>opentelemetry/proto/metrics/v1</c>) from the SDK's metric points, cumulative, as the companion ingests them.
/// </summary>
internal static class OtlpMetricsEncoder
{
    private const ulong Cumulative = 2;

    /// <summary>Begins <c>ExportMetricsServiceRequest.resource_metrics</c> with its resource; end it with <see cref="ProtobufWriter.EndMessage"/>.</summary>
    public static int BeginResourceMetrics(ProtobufWriter writer, IEnumerable<KeyValuePair<string, object>> resourceAttributes)
    {
        var resourceMetrics = writer.BeginMessage(1);
        var resource = writer.BeginMessage(1);
        foreach (var attribute in resourceAttributes)
        {
            WriteAttribute(writer, 1, attribute.Key, attribute.Value);
        }

        writer.EndMessage(resource);
        return resourceMetrics;
    }

    /// <summary>Begins <c>ResourceMetrics.scope_metrics</c> with the meter's scope.</summary>
    public static int BeginScope(ProtobufWriter writer, Metric metric)
    {
        var scopeMetrics = writer.BeginMessage(2);
        var scope = writer.BeginMessage(1);
        writer.WriteString(1, metric.MeterName);
        if (!string.IsNullOrEmpty(metric.MeterVersion))
        {
            writer.WriteString(2, metric.MeterVersion);
        }

        if (metric.MeterTags is { } tags)
        {
            foreach (var tag in tags)
            {
                WriteAttribute(writer, 3, tag.Key, tag.Value);
            }
        }

        writer.EndMessage(scope);
        return scopeMetrics;
    }

    /// <summary>Begins <c>ScopeMetrics.metrics</c> and its data message (sum, gauge or histogram); returns both positions.</summary>
    public static (int Metric, int Data) BeginMetric(ProtobufWriter writer, Metric metric)
    {
        var message = writer.BeginMessage(2);
        writer.WriteString(1, metric.Name);
        if (!string.IsNullOrEmpty(metric.Description))
        {
            writer.WriteString(2, metric.Description);
        }

        if (!string.IsNullOrEmpty(metric.Unit))
        {
            writer.WriteString(3, metric.Unit);
        }

        var data = writer.BeginMessage(metric.MetricType switch
        {
            MetricType.LongGauge or MetricType.DoubleGauge => 5,
            MetricType.Histogram => 9,
            _ => 7,
        });
        return (message, data);
    }

    /// <summary>Ends the data message with its temporality and monotonicity, then the metric.</summary>
    public static void EndMetric(ProtobufWriter writer, Metric metric, (int Metric, int Data) positions)
    {
        switch (metric.MetricType)
        {
            case MetricType.LongSum or MetricType.DoubleSum:
                writer.WriteVarint(2, Cumulative);
                writer.WriteBool(3, true);
                break;
            case MetricType.LongSumNonMonotonic or MetricType.DoubleSumNonMonotonic:
                writer.WriteVarint(2, Cumulative);
                break;
            case MetricType.Histogram:
                writer.WriteVarint(2, Cumulative);
                break;
        }

        writer.EndMessage(positions.Data);
        writer.EndMessage(positions.Metric);
    }

    /// <summary>One data point of <paramref name="metric"/> (a <c>NumberDataPoint</c> or a <c>HistogramDataPoint</c>).</summary>
    public static void WritePoint(ProtobufWriter writer, Metric metric, in MetricPoint point)
    {
        var message = writer.BeginMessage(1);
        var start = UnixNanos(point.StartTime);
        var time = UnixNanos(point.EndTime);
        if (metric.MetricType == MetricType.Histogram)
        {
            foreach (var tag in point.Tags)
            {
                WriteAttribute(writer, 9, tag.Key, tag.Value);
            }

            writer.WriteFixed64(2, start);
            writer.WriteFixed64(3, time);
            writer.WriteFixed64(4, (ulong)point.GetHistogramCount());
            writer.WriteDouble(5, point.GetHistogramSum());
            var buckets = 0;
            foreach (var unused in point.GetHistogramBuckets())
            {
                buckets++;
            }

            Span<ulong> counts = buckets <= 128 ? stackalloc ulong[buckets] : new ulong[buckets];
            Span<double> bounds = buckets <= 128 ? stackalloc double[buckets] : new double[buckets];
            int boundCount = 0, bucketCount = 0;
            foreach (var bucket in point.GetHistogramBuckets())
            {
                counts[bucketCount++] = (ulong)bucket.BucketCount;
                if (!double.IsPositiveInfinity(bucket.ExplicitBound))
                {
                    bounds[boundCount++] = bucket.ExplicitBound;
                }
            }

            writer.WritePackedFixed64(6, counts[..bucketCount]);
            writer.WritePackedDouble(7, bounds[..boundCount]);
            if (point.TryGetHistogramMinMaxValues(out var min, out var max))
            {
                writer.WriteDouble(11, min);
                writer.WriteDouble(12, max);
            }
        }
        else
        {
            writer.WriteFixed64(2, start);
            writer.WriteFixed64(3, time);
            switch (metric.MetricType)
            {
                case MetricType.LongSum or MetricType.LongSumNonMonotonic:
                    writer.WriteFixed64(6, unchecked((ulong)point.GetSumLong()));
                    break;
                case MetricType.LongGauge:
                    writer.WriteFixed64(6, unchecked((ulong)point.GetGaugeLastValueLong()));
                    break;
                case MetricType.DoubleGauge:
                    writer.WriteDouble(4, point.GetGaugeLastValueDouble());
                    break;
                default:
                    writer.WriteDouble(4, point.GetSumDouble());
                    break;
            }

            foreach (var tag in point.Tags)
            {
                WriteAttribute(writer, 7, tag.Key, tag.Value);
            }
        }

        writer.EndMessage(message);
    }

    /// <summary>Whether the exporter can send this kind of metric (exponential histograms are not pushed).</summary>
    public static bool IsSupported(Metric metric) => metric.MetricType != MetricType.ExponentialHistogram;

    private static ulong UnixNanos(DateTimeOffset time) => (ulong)(time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    private static void WriteAttribute(ProtobufWriter writer, int field, string key, object? value)
    {
        var keyValue = writer.BeginMessage(field);
        writer.WriteString(1, key);
        var anyValue = writer.BeginMessage(2);
        WriteAnyValue(writer, value);
        writer.EndMessage(anyValue);
        writer.EndMessage(keyValue);
    }

    private static void WriteAnyValue(ProtobufWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                break;
            case string text:
                writer.WriteString(1, text);
                break;
            case bool flag:
                writer.WriteBool(2, flag);
                break;
            case long or int or short or sbyte or byte or ushort or uint:
                writer.WriteInt64(3, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case double or float:
                writer.WriteDouble(4, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            case System.Collections.IEnumerable items and not string:
                var array = writer.BeginMessage(5);
                foreach (var item in items)
                {
                    var element = writer.BeginMessage(1);
                    WriteAnyValue(writer, item);
                    writer.EndMessage(element);
                }

                writer.EndMessage(array);
                break;
            default:
                writer.WriteString(1, Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty);
                break;
        }
    }
}
