using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Metrics.V1;
using Telemetry.Aggregation.Otlp;
using static FunctionApp.Tests.Telemetry.Aggregation.Otlp.OtlpTestMessages;

namespace FunctionApp.Tests.Telemetry.Aggregation.Otlp;

/// <summary>
/// The protobuf decoder's process-wide memos (strings, attribute sets, bucket bounds): a memoized decode gives what a
/// first decode gives, never another set's values, keeps the message and depth limits, and the tables stay bounded.
/// </summary>
public sealed class OtlpDecodeMemoTests
{
    [Fact]
    public void DecodeProtobuf_SameBodyTwice_GivesTheSameRequestAsTheGeneratedParser()
    {
        var body = Sample().ToByteArray();

        var first = OtlpMetricsDecoder.DecodeProtobuf(body);
        var second = OtlpMetricsDecoder.DecodeProtobuf(body);

        Assert.True(second.Succeeded, second.Error);
        Assert.True(first.Succeeded, first.Error);
        Assert.Equal(Expected(Sample()), Dump(first.Request));
        Assert.Equal(Expected(Sample()), Dump(second.Request));
    }

    [Fact]
    public void DecodeProtobuf_AttributeSetsOfTheSameLength_NeverGetEachOthersValues()
    {
        var values = new[] { "/aa", "/ab", "/ba", "/bb" };
        for (var round = 0; round < 3; round++)
        {
            foreach (var value in values)
            {
                var body = Request(Counter("c", isMonotonic: true, AggregationTemporality.Cumulative, IntPoint(1, Attribute("route", value), Attribute("code", value[1..])))).ToByteArray();

                var attributes = OtlpMetricsDecoder.DecodeProtobuf(body).Request!.ResourceMetrics[0].ScopeMetrics[0].Metrics[0].NumberPoints[0].Attributes;

                Assert.Equal([new("route", value), new("code", value[1..])], attributes);
            }
        }
    }

    [Fact]
    public void DecodeProtobuf_MemoizedAttributes_StillCountTowardsTheMessageLimit()
    {
        var point = IntPoint(1, Attribute("a", "1"), Attribute("b", "2"), Attribute("c", "3"));
        var sum = new Sum { AggregationTemporality = AggregationTemporality.Cumulative, IsMonotonic = true };
        for (var i = 0; i < 100; i++)
        {
            sum.DataPoints.Add(point.Clone());
        }

        var body = Request(new Metric { Name = "c", Sum = sum }).ToByteArray();

        // resource metrics, scope metrics, scope, metric, sum: 5; then 100 × (point + 3 × (key value + any value)): 705.
        Assert.True(OtlpMetricsDecoder.DecodeProtobuf(body).Succeeded);
        var refused = OtlpMetricsDecoder.DecodeProtobuf(body, new OtlpDecoderLimits { MaxMessages = 704 });
        var accepted = OtlpMetricsDecoder.DecodeProtobuf(body, new OtlpDecoderLimits { MaxMessages = 705 });

        Assert.False(refused.Succeeded);
        Assert.Contains("more than 704 messages", refused.Error, StringComparison.Ordinal);
        Assert.True(accepted.Succeeded, accepted.Error);
    }

    [Fact]
    public void DecodeProtobuf_MemoizedAttributes_StillRespectTheDepthLimit()
    {
        var body = Request(Counter("c", isMonotonic: true, AggregationTemporality.Cumulative, IntPoint(1, Attribute("a", "1")))).ToByteArray();

        // Request > resource metrics (1) > scope metrics (2) > metric (3) > sum (4) > point (5) > key value (6) > any value (7).
        Assert.True(OtlpMetricsDecoder.DecodeProtobuf(body).Succeeded);
        var refused = OtlpMetricsDecoder.DecodeProtobuf(body, new OtlpDecoderLimits { MaxDepth = 6 });
        var accepted = OtlpMetricsDecoder.DecodeProtobuf(body, new OtlpDecoderLimits { MaxDepth = 7 });

        Assert.False(refused.Succeeded);
        Assert.True(accepted.Succeeded, accepted.Error);
    }

    [Fact]
    public void DecodeProtobuf_InterleavedAttributeFields_DecodeInWireOrder()
    {
        // Attributes (field 7) on both sides of the value: not one run of bytes, so decoded one by one.
        static byte[] Attribute(string key, string value) => Wire.Bytes(7, Wire.Message(Wire.String(1, key), Wire.Bytes(2, Wire.String(1, value))));
        var interleaved = Wire.Message(Attribute("first", "1"), Wire.Fixed64(6, 4), Attribute("second", "2"), Wire.Fixed64(3, Time));
        var plain = Wire.Message(Wire.Fixed64(6, 5), Wire.Fixed64(3, Time));
        var sum = Wire.Message(Wire.Bytes(1, interleaved), Wire.Bytes(1, plain), Wire.Bytes(1, interleaved), Wire.Varint(2, 2));
        var body = Wire.Bytes(1, Wire.Bytes(2, Wire.Bytes(2, Wire.Message(Wire.String(1, "c"), Wire.Bytes(7, sum)))));

        var decoded = OtlpMetricsDecoder.DecodeProtobuf(body);

        Assert.True(decoded.Succeeded, decoded.Error);
        var points = decoded.Request.ResourceMetrics[0].ScopeMetrics[0].Metrics[0].NumberPoints;
        Assert.Equal([new("first", "1"), new("second", "2")], points[0].Attributes);
        Assert.Empty(points[1].Attributes);
        Assert.Equal([new("first", "1"), new("second", "2")], points[2].Attributes);
        Assert.Equal(new[] { 4.0, 5.0, 4.0 }, points.Select(static p => p.Value));
    }

    [Fact]
    public void DecodeProtobuf_PackedAndUnpackedBounds_ConcatenateInWireOrder()
    {
        var point = Wire.Message(
            Wire.Fixed64(4, 3),
            Wire.PackedDoubles(7, 1, 2),
            Wire.Double(7, 3),
            Wire.PackedDoubles(7, 4),
            Wire.Packed(6, 0, 1, 1, 1, 0));
        var histogram = Wire.Message(Wire.Bytes(1, point), Wire.Bytes(1, Wire.Message(Wire.Fixed64(4, 0), Wire.PackedDoubles(7, 1, 2), Wire.Packed(6, 0, 0, 0))), Wire.Varint(2, 2));
        var body = Wire.Bytes(1, Wire.Bytes(2, Wire.Bytes(2, Wire.Message(Wire.String(1, "h"), Wire.Bytes(9, histogram)))));

        var decoded = OtlpMetricsDecoder.DecodeProtobuf(body);

        Assert.True(decoded.Succeeded, decoded.Error);
        var points = decoded.Request.ResourceMetrics[0].ScopeMetrics[0].Metrics[0].HistogramPoints;
        Assert.Equal([1.0, 2.0, 3.0, 4.0], points[0].ExplicitBounds);
        Assert.Equal([1.0, 2.0], points[1].ExplicitBounds);
    }

    [Fact]
    public void DecodeProtobuf_DifferentBoundsInOneRequest_EachPointKeepsItsOwn()
    {
        var body = Request(
            Histogram("h", 1, [1, 2], [0, 1, 0]),
            Histogram("h2", 1, [1, 2.5], [0, 1, 0]),
            Histogram("h3", 1, [1, 2], [1, 0, 0])).ToByteArray();

        var metrics = OtlpMetricsDecoder.DecodeProtobuf(body).Request!.ResourceMetrics[0].ScopeMetrics[0].Metrics;

        Assert.Equal([1.0, 2.0], metrics[0].HistogramPoints[0].ExplicitBounds);
        Assert.Equal([1.0, 2.5], metrics[1].HistogramPoints[0].ExplicitBounds);
        Assert.Equal([1.0, 2.0], metrics[2].HistogramPoints[0].ExplicitBounds);
    }

    [Fact]
    public void StringCache_ManyDistinctStrings_StaysBounded()
    {
        var cache = new OtlpStringCache();
        for (var i = 0; i < OtlpStringCache.MaxEntries * 2; i++)
        {
            Assert.Equal($"value-{i}", cache.FromUtf8(System.Text.Encoding.UTF8.GetBytes($"value-{i}"), 0));
        }

        // Other tests decode at the same time: a few of their strings may sit beside these.
        Assert.InRange(OtlpStringCache.Utf8Count, 1, OtlpStringCache.MaxEntries + 64);
        Assert.Equal("value-1", cache.FromUtf8("value-1"u8, 0));
    }

    [Fact]
    public void StringCache_InvalidUtf8_FailsEvenAfterAValidStringOfTheSameLength()
    {
        var cache = new OtlpStringCache();
        cache.FromUtf8("ab"u8, 0);

        Assert.Throws<OtlpDecodeException>(() => cache.FromUtf8([0xC3, 0x28], 7));
    }

    private static ExportMetricsServiceRequest Request(params Metric[] metrics) => new()
    {
        ResourceMetrics =
        {
            new ResourceMetrics
            {
                ScopeMetrics = { new ScopeMetrics { Scope = new InstrumentationScope { Name = "s" }, Metrics = { metrics } } },
            },
        },
    };
}
