using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using Telemetry.Aggregation.Otlp;
using Telemetry.Prometheus;

namespace FunctionApp.Tests.Telemetry.Aggregation.Otlp;

/// <summary>
/// Test oracles for the OTLP decoder: requests built with the generated protobuf classes, a canonical text dump of a
/// decoded <see cref="OtlpMetricsRequest"/>, and the dump the decoder should produce for a generated request (computed
/// from Google.Protobuf's view of the message and the spec's attribute rendering rules).
/// </summary>
internal static class OtlpTestMessages
{
    public const ulong Start = 1_700_000_000_000_000_000;
    public const ulong Time = 1_700_000_060_000_000_000;

    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static KeyValue Attribute(string key, AnyValue value) => new() { Key = key, Value = value };

    public static KeyValue Attribute(string key, string value) => Attribute(key, new AnyValue { StringValue = value });

    public static AnyValue Array(params AnyValue[] values)
    {
        var array = new ArrayValue();
        array.Values.AddRange(values);
        return new AnyValue { ArrayValue = array };
    }

    public static AnyValue Map(params KeyValue[] values)
    {
        var map = new KeyValueList();
        map.Values.AddRange(values);
        return new AnyValue { KvlistValue = map };
    }

    /// <summary>Two resources, three scopes, every metric kind the decoder keeps, int and double points, and attributes of every type.</summary>
    public static ExportMetricsServiceRequest Sample()
    {
        var first = new ResourceMetrics
        {
            Resource = new Resource { Attributes = { Attribute("service.name", "gateway"), Attribute("service.instance.id", "a1b2") } },
            ScopeMetrics =
            {
                new ScopeMetrics
                {
                    Scope = new InstrumentationScope { Name = "io.krakend.krakend-otel", Version = "1.2.3" },
                    Metrics =
                    {
                        Counter("requests", isMonotonic: true, AggregationTemporality.Delta, IntPoint(3, Attribute("http.route", "/users/{id}"), Attribute("http.response.status_code", new AnyValue { IntValue = 200 }))),
                        Counter("inflight", isMonotonic: false, AggregationTemporality.Cumulative, IntPoint(-2)),
                        new Metric
                        {
                            Name = "temperature",
                            Description = "a gauge",
                            Unit = "Cel",
                            Gauge = new Gauge { DataPoints = { DoublePoint(21.5, Attribute("room", "b")), DoublePoint(double.NaN, Attribute("room", "c")) } },
                        },
                        Histogram("duration", sum: 3.75, [0.1, 1, 10], [1, 2, 0, 1], Attribute("http.request.method", "GET")),
                        Histogram("size", sum: null, [], [4]),
                    },
                },
                new ScopeMetrics
                {
                    Scope = new InstrumentationScope { Name = "other" },
                    Metrics = { Counter("errors", isMonotonic: true, AggregationTemporality.Delta, DoublePoint(0.5, AllAttributeTypes())) },
                },
            },
        };
        var second = new ResourceMetrics
        {
            Resource = new Resource { Attributes = { Attribute("service.name", "gateway"), Attribute("service.instance.id", "c3d4") } },
            ScopeMetrics =
            {
                new ScopeMetrics
                {
                    Scope = new InstrumentationScope { Name = "io.krakend.krakend-otel", Version = "1.2.3" },
                    Metrics =
                    {
                        Counter("requests", isMonotonic: true, AggregationTemporality.Delta, IntPoint(long.MaxValue), IntPoint(long.MinValue)),
                        new Metric
                        {
                            Name = "latency.exp",
                            ExponentialHistogram = new ExponentialHistogram
                            {
                                AggregationTemporality = AggregationTemporality.Delta,
                                DataPoints = { new ExponentialHistogramDataPoint { Count = 2, Scale = 3, Positive = new() { Offset = -1, BucketCounts = { 1, 1 } } }, new ExponentialHistogramDataPoint() },
                            },
                        },
                    },
                },
            },
        };
        return new ExportMetricsServiceRequest { ResourceMetrics = { first, second } };
    }

    public static KeyValue[] AllAttributeTypes() =>
    [
        Attribute("string", "text with \"quotes\" and ünïcode"),
        Attribute("empty-string", ""),
        Attribute("bool", new AnyValue { BoolValue = true }),
        Attribute("int", new AnyValue { IntValue = -42 }),
        Attribute("double", new AnyValue { DoubleValue = 0.25 }),
        Attribute("big-double", new AnyValue { DoubleValue = 1e21 }),
        Attribute("infinity", new AnyValue { DoubleValue = double.NegativeInfinity }),
        Attribute("bytes", new AnyValue { BytesValue = ByteString.CopyFrom(1, 2, 255) }),
        Attribute("empty", new AnyValue()),
        Attribute("array", Array(new AnyValue { StringValue = "a" }, new AnyValue { IntValue = 1 }, new AnyValue { BoolValue = false }, new AnyValue { DoubleValue = 1.5 }, new AnyValue { DoubleValue = double.NaN }, new AnyValue(), new AnyValue { BytesValue = ByteString.CopyFrom(7) })),
        Attribute("map", Map(Attribute("k", "v"), Attribute("n", new AnyValue { IntValue = 7 }), Attribute("nested", Array(Map(Attribute("deep", new AnyValue { BoolValue = true })))))),
    ];

    public static Metric Counter(string name, bool isMonotonic, AggregationTemporality temporality, params NumberDataPoint[] points)
    {
        var sum = new Sum { IsMonotonic = isMonotonic, AggregationTemporality = temporality };
        sum.DataPoints.AddRange(points);
        return new Metric { Name = name, Unit = "{request}", Sum = sum };
    }

    public static NumberDataPoint IntPoint(long value, params KeyValue[] attributes)
    {
        var point = new NumberDataPoint { StartTimeUnixNano = Start, TimeUnixNano = Time, AsInt = value };
        point.Attributes.AddRange(attributes);
        return point;
    }

    public static NumberDataPoint DoublePoint(double value, params KeyValue[] attributes)
    {
        var point = new NumberDataPoint { StartTimeUnixNano = Start, TimeUnixNano = Time, AsDouble = value };
        point.Attributes.AddRange(attributes);
        return point;
    }

    public static Metric Histogram(string name, double? sum, double[] bounds, ulong[] counts, params KeyValue[] attributes)
    {
        var point = new HistogramDataPoint { StartTimeUnixNano = Start, TimeUnixNano = Time, Count = counts.Aggregate(0UL, (a, b) => a + b), Min = 0.01, Max = 99 };
        if (sum is { } value)
        {
            point.Sum = value;
        }

        point.ExplicitBounds.AddRange(bounds);
        point.BucketCounts.AddRange(counts);
        point.Attributes.AddRange(attributes);
        return new Metric { Name = name, Unit = "s", Histogram = new Histogram { AggregationTemporality = AggregationTemporality.Delta, DataPoints = { point } } };
    }

    /// <summary>A canonical, diff-friendly text form of a decoded request.</summary>
    public static string Dump(OtlpMetricsRequest request)
    {
        var text = new StringBuilder();
        foreach (var resource in request.ResourceMetrics)
        {
            text.Append("resource ").AppendLine(Attributes(resource.ResourceAttributes));
            foreach (var scope in resource.ScopeMetrics)
            {
                text.Append("  scope ").Append(scope.ScopeName).Append('@').AppendLine(scope.ScopeVersion);
                foreach (var metric in scope.Metrics)
                {
                    text.Append(CultureInfo.InvariantCulture, $"    metric {metric.Name}|{metric.Description}|{metric.Unit} {metric.Kind} monotonic={metric.IsMonotonic} {metric.Temporality} unsupported={metric.UnsupportedPointCount}").AppendLine();
                    foreach (var point in metric.NumberPoints)
                    {
                        text.Append(CultureInfo.InvariantCulture, $"      point {Attributes(point.Attributes)} {point.StartTimeUnixNano} {point.TimeUnixNano} {Number(point.Value)}").AppendLine();
                    }

                    foreach (var point in metric.HistogramPoints)
                    {
                        text.Append(CultureInfo.InvariantCulture, $"      histogram {Attributes(point.Attributes)} {point.StartTimeUnixNano} {point.TimeUnixNano} count={point.Count} sum={(point.Sum is { } sum ? Number(sum) : "none")} bounds=[{string.Join(",", point.ExplicitBounds.Select(Number))}] counts=[{string.Join(",", point.BucketCounts)}]").AppendLine();
                    }
                }
            }
        }

        return text.ToString();
    }

    /// <summary>What <see cref="Dump(OtlpMetricsRequest)"/> of the decoded <paramref name="request"/> must be.</summary>
    public static string Expected(ExportMetricsServiceRequest request)
    {
        var resources = request.ResourceMetrics.Select(r => new OtlpResourceMetrics(
            ToAttributes(r.Resource?.Attributes),
            r.ScopeMetrics.Select(s => new OtlpScopeMetrics(s.Scope?.Name ?? "", s.Scope?.Version ?? "", s.Metrics.Select(ToMetric).OfType<OtlpMetric>().ToList())).ToList()));
        return Dump(new OtlpMetricsRequest([.. resources]));
    }

    /// <summary>The spec's "AnyValue representation for non-OTLP protocols", written independently of the decoder.</summary>
    public static string Render(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => double.IsFinite(value.DoubleValue) ? GoFloat.Format(value.DoubleValue) : NonFinite(value.DoubleValue),
        AnyValue.ValueOneofCase.BytesValue => Convert.ToBase64String(value.BytesValue.Span),
        AnyValue.ValueOneofCase.ArrayValue or AnyValue.ValueOneofCase.KvlistValue => ToNode(value)!.ToJsonString(RelaxedJson),
        _ => "",
    };

    /// <summary>Adds fields no OTLP message declares, of every wire type, to every message of the tree.</summary>
    public static T WithUnknownFields<T>(T message)
        where T : IMessage
    {
        var unknown = new MemoryStream();
        var output = new CodedOutputStream(unknown);
        output.WriteTag(900, WireFormat.WireType.Varint);
        output.WriteUInt64(ulong.MaxValue);
        output.WriteTag(901, WireFormat.WireType.Fixed64);
        output.WriteFixed64(42);
        output.WriteTag(902, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(0x0A, 0x02, 0xFF, 0xFF));
        output.WriteTag(903, WireFormat.WireType.Fixed32);
        output.WriteFixed32(7);
        output.Flush();
        var bytes = unknown.ToArray();
        Visit(message, m => m.MergeFrom(bytes));
        return message;
    }

    private static void Visit(IMessage message, Action<IMessage> action)
    {
        action(message);
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var value = field.Accessor.GetValue(message);
            if (field.IsRepeated && value is System.Collections.IEnumerable items)
            {
                foreach (var item in items)
                {
                    if (item is IMessage child)
                    {
                        Visit(child, action);
                    }
                }
            }
            else if (value is IMessage child)
            {
                Visit(child, action);
            }
        }
    }

    private static OtlpMetric? ToMetric(Metric metric)
    {
        static OtlpNumberPoint Number(NumberDataPoint p) => new(
            ToAttributes(p.Attributes),
            p.StartTimeUnixNano,
            p.TimeUnixNano,
            p.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? p.AsInt : p.AsDouble);

        static OtlpHistogramPoint Histogram(HistogramDataPoint p) => new(
            ToAttributes(p.Attributes),
            p.StartTimeUnixNano,
            p.TimeUnixNano,
            p.Count,
            p.HasSum ? p.Sum : null,
            [.. p.ExplicitBounds],
            [.. p.BucketCounts]);

        static OtlpTemporality Temporality(AggregationTemporality t) => t switch
        {
            AggregationTemporality.Delta => OtlpTemporality.Delta,
            AggregationTemporality.Cumulative => OtlpTemporality.Cumulative,
            _ => OtlpTemporality.Unspecified,
        };

        const uint noRecordedValue = 1;
        return metric.DataCase switch
        {
            Metric.DataOneofCase.Gauge => new OtlpMetric(metric.Name, metric.Description, metric.Unit, OtlpMetricKind.Gauge, false, OtlpTemporality.Unspecified,
                [.. metric.Gauge.DataPoints.Where(p => (p.Flags & noRecordedValue) == 0).Select(Number)], []),
            Metric.DataOneofCase.Sum => new OtlpMetric(metric.Name, metric.Description, metric.Unit, OtlpMetricKind.Sum, metric.Sum.IsMonotonic, Temporality(metric.Sum.AggregationTemporality),
                [.. metric.Sum.DataPoints.Where(p => (p.Flags & noRecordedValue) == 0).Select(Number)], []),
            Metric.DataOneofCase.Histogram => new OtlpMetric(metric.Name, metric.Description, metric.Unit, OtlpMetricKind.Histogram, false, Temporality(metric.Histogram.AggregationTemporality),
                [], [.. metric.Histogram.DataPoints.Where(p => (p.Flags & noRecordedValue) == 0).Select(Histogram)]),
            Metric.DataOneofCase.ExponentialHistogram => new OtlpMetric(metric.Name, metric.Description, metric.Unit, OtlpMetricKind.ExponentialHistogram, false, Temporality(metric.ExponentialHistogram.AggregationTemporality),
                [], [], metric.ExponentialHistogram.DataPoints.Count),
            _ => null,
        };
    }

    private static OtlpAttribute[] ToAttributes(IEnumerable<KeyValue>? attributes) =>
        attributes is null ? [] : [.. attributes.Select(a => new OtlpAttribute(a.Key, Render(a.Value)))];

    private static JsonNode? ToNode(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => JsonValue.Create(value.StringValue),
        AnyValue.ValueOneofCase.BoolValue => JsonValue.Create(value.BoolValue),
        AnyValue.ValueOneofCase.IntValue => JsonValue.Create(value.IntValue),
        AnyValue.ValueOneofCase.DoubleValue => double.IsFinite(value.DoubleValue) ? JsonNode.Parse(GoFloat.Format(value.DoubleValue)) : JsonValue.Create(NonFinite(value.DoubleValue)),
        AnyValue.ValueOneofCase.BytesValue => JsonValue.Create(Convert.ToBase64String(value.BytesValue.Span)),
        AnyValue.ValueOneofCase.ArrayValue => new JsonArray([.. value.ArrayValue.Values.Select(ToNode)]),
        AnyValue.ValueOneofCase.KvlistValue => ToObject(value.KvlistValue),
        _ => null,
    };

    private static JsonObject ToObject(KeyValueList map)
    {
        var json = new JsonObject();
        foreach (var pair in map.Values)
        {
            json[pair.Key] = ToNode(pair.Value);
        }

        return json;
    }

    private static string NonFinite(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";

    private static string Attributes(IReadOnlyList<OtlpAttribute> attributes) =>
        "{" + string.Join(", ", attributes.Select(a => $"{a.Key}={a.Value}")) + "}";

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
