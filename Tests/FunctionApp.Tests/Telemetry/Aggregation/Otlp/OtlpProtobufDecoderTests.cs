using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Metrics.V1;
using Telemetry.Aggregation.Otlp;
using static FunctionApp.Tests.Telemetry.Aggregation.Otlp.OtlpTestMessages;

namespace FunctionApp.Tests.Telemetry.Aggregation.Otlp;

/// <summary>
/// <see cref="OtlpMetricsDecoder.DecodeProtobuf"/> against messages encoded by Google.Protobuf's generated classes,
/// hand-made wire bytes for what those never write (unpacked repeated fields, oneof overrides, malformed input), and
/// every prefix and many corruptions of a real message.
/// </summary>
public sealed class OtlpProtobufDecoderTests
{
    [Fact]
    public void DecodeProtobuf_SampleRequest_MatchesTheGeneratedParserFieldByField()
    {
        var request = Sample();

        var result = OtlpMetricsDecoder.DecodeProtobuf(request.ToByteArray());

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(Expected(request), Dump(result.Request));
    }

    [Fact]
    public void DecodeProtobuf_SampleRequest_KeepsStructureAndValues()
    {
        var result = OtlpMetricsDecoder.DecodeProtobuf(Sample().ToByteArray());

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(2, result.Request.ResourceMetrics.Count);
        var first = result.Request.ResourceMetrics[0];
        Assert.Equal([new("service.name", "gateway"), new("service.instance.id", "a1b2")], first.ResourceAttributes);
        Assert.Equal(["io.krakend.krakend-otel", "other"], first.ScopeMetrics.Select(s => s.ScopeName));
        Assert.Equal("1.2.3", first.ScopeMetrics[0].ScopeVersion);

        var requests = first.ScopeMetrics[0].Metrics[0];
        Assert.Equal(("requests", "{request}", OtlpMetricKind.Sum, true, OtlpTemporality.Delta), (requests.Name, requests.Unit, requests.Kind, requests.IsMonotonic, requests.Temporality));
        var point = Assert.Single(requests.NumberPoints);
        Assert.Equal((Start, Time, 3.0), (point.StartTimeUnixNano, point.TimeUnixNano, point.Value));
        Assert.Equal([new("http.route", "/users/{id}"), new("http.response.status_code", "200")], point.Attributes);

        var inflight = first.ScopeMetrics[0].Metrics[1];
        Assert.Equal((OtlpMetricKind.Sum, false, OtlpTemporality.Cumulative, -2.0), (inflight.Kind, inflight.IsMonotonic, inflight.Temporality, inflight.NumberPoints[0].Value));

        var gauge = first.ScopeMetrics[0].Metrics[2];
        Assert.Equal((OtlpMetricKind.Gauge, "a gauge", "Cel", OtlpTemporality.Unspecified), (gauge.Kind, gauge.Description, gauge.Unit, gauge.Temporality));
        Assert.Equal(21.5, gauge.NumberPoints[0].Value);
        Assert.True(double.IsNaN(gauge.NumberPoints[1].Value));

        var histogram = Assert.Single(first.ScopeMetrics[0].Metrics[3].HistogramPoints);
        Assert.Equal((4UL, (double?)3.75), (histogram.Count, histogram.Sum));
        Assert.Equal([0.1, 1, 10], histogram.ExplicitBounds);
        Assert.Equal([1UL, 2, 0, 1], histogram.BucketCounts);
        var noSum = Assert.Single(first.ScopeMetrics[0].Metrics[4].HistogramPoints);
        Assert.Null(noSum.Sum);
        Assert.Empty(noSum.ExplicitBounds);
        Assert.Equal([4UL], noSum.BucketCounts);

        var second = result.Request.ResourceMetrics[1].ScopeMetrics[0];
        Assert.Equal([(double)long.MaxValue, long.MinValue], second.Metrics[0].NumberPoints.Select(p => p.Value));
        var exponential = second.Metrics[1];
        Assert.Equal((OtlpMetricKind.ExponentialHistogram, 2, 2), (exponential.Kind, exponential.UnsupportedPointCount, exponential.DataPointCount));
        Assert.Equal(11, result.Request.DataPointCount);
    }

    [Fact]
    public void DecodeProtobuf_EveryAttributeType_RendersAsTheSpecAsksForNonOtlpProtocols()
    {
        var request = new ExportMetricsServiceRequest
        {
            ResourceMetrics = { new ResourceMetrics { ScopeMetrics = { new ScopeMetrics { Metrics = { Counter("c", true, AggregationTemporality.Delta, IntPoint(1, AllAttributeTypes())) } } } } },
        };

        var result = OtlpMetricsDecoder.DecodeProtobuf(request.ToByteArray());

        Assert.True(result.Succeeded, result.Error);
        var attributes = result.Request.ResourceMetrics[0].ScopeMetrics[0].Metrics[0].NumberPoints[0].Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal("text with \"quotes\" and ünïcode", attributes["string"]);
        Assert.Equal("", attributes["empty-string"]);
        Assert.Equal("true", attributes["bool"]);
        Assert.Equal("-42", attributes["int"]);
        Assert.Equal("0.25", attributes["double"]);
        Assert.Equal("1e+21", attributes["big-double"]);
        Assert.Equal("-Infinity", attributes["infinity"]);
        Assert.Equal("AQL/", attributes["bytes"]);
        Assert.Equal("", attributes["empty"]);
        Assert.Equal("""["a",1,false,1.5,"NaN",null,"Bw=="]""", attributes["array"]);
        Assert.Equal("""{"k":"v","n":7,"nested":[{"deep":true}]}""", attributes["map"]);
    }

    [Fact]
    public void DecodeProtobuf_UnknownFieldsOfEveryWireTypeInEveryMessage_AreSkipped()
    {
        var plain = Sample();
        var withUnknown = WithUnknownFields(Sample());
        Assert.True(withUnknown.ToByteArray().Length > plain.ToByteArray().Length + 500);

        var result = OtlpMetricsDecoder.DecodeProtobuf(withUnknown.ToByteArray());

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(Expected(plain), Dump(result.Request));
    }

    [Fact]
    public void DecodeProtobuf_UnpackedAndSplitPackedRepeatedFields_DecodeLikePacked()
    {
        var point = Wire.Message(
            Wire.Fixed64(2, Start), Wire.Fixed64(3, Time), Wire.Fixed64(4, 6), Wire.Double(5, 2.5),
            Wire.Fixed64(6, 1), Wire.Packed(6, 2UL, 0UL), Wire.Fixed64(6, 3),
            Wire.Double(7, 0.5), Wire.PackedDoubles(7, 1.0), Wire.Double(7, 2.0));
        var body = Request(Metric(Wire.String(1, "h"), Wire.Bytes(9, Wire.Message(Wire.Bytes(1, point), Wire.Varint(2, 1)))));

        var result = OtlpMetricsDecoder.DecodeProtobuf(body);

        Assert.True(result.Succeeded, result.Error);
        var decoded = Assert.Single(result.Request.ResourceMetrics[0].ScopeMetrics[0].Metrics[0].HistogramPoints);
        Assert.Equal([1UL, 2, 0, 3], decoded.BucketCounts);
        Assert.Equal([0.5, 1.0, 2.0], decoded.ExplicitBounds);
        Assert.Equal((6UL, (double?)2.5), (decoded.Count, decoded.Sum));
        Assert.Equal(HistogramDataPoint.Parser.ParseFrom(point).BucketCounts, decoded.BucketCounts);
    }

    [Fact]
    public void DecodeProtobuf_OneofSetTwice_LastOneWins()
    {
        var gaugeThenSum = Metric(
            Wire.String(1, "m"),
            Wire.Bytes(5, Wire.Message(Wire.Bytes(1, Wire.Message(Wire.Double(4, 1))))),
            Wire.Bytes(7, Wire.Message(Wire.Bytes(1, Wire.Message(Wire.Double(4, 2), Wire.Fixed64(6, 3))), Wire.Varint(2, 2), Wire.Varint(3, 1))));
        var stringThenInt = Wire.Message(Wire.String(1, "k"), Wire.Bytes(2, Wire.Message(Wire.String(1, "text"), Wire.Varint(3, 5))));
        var withAttribute = Metric(Wire.Bytes(5, Wire.Message(Wire.Bytes(1, Wire.Message(Wire.Bytes(7, stringThenInt))))));

        var metrics = Decode(Request(gaugeThenSum, withAttribute)).ResourceMetrics[0].ScopeMetrics[0].Metrics;

        Assert.Equal((OtlpMetricKind.Sum, true, OtlpTemporality.Cumulative), (metrics[0].Kind, metrics[0].IsMonotonic, metrics[0].Temporality));
        Assert.Equal(3.0, Assert.Single(metrics[0].NumberPoints).Value);
        Assert.Equal(new OtlpAttribute("k", "5"), Assert.Single(metrics[1].NumberPoints[0].Attributes));
        Assert.Equal(Expected(ExportMetricsServiceRequest.Parser.ParseFrom(Request(gaugeThenSum, withAttribute))), Dump(Decode(Request(gaugeThenSum, withAttribute))));
    }

    [Fact]
    public void DecodeProtobuf_SameOneofCaseTwice_Merges()
    {
        var twoSums = Metric(
            Wire.Bytes(7, Wire.Message(Wire.Bytes(1, Wire.Message(Wire.Double(4, 1))), Wire.Varint(3, 1))),
            Wire.Bytes(7, Wire.Message(Wire.Bytes(1, Wire.Message(Wire.Double(4, 2))), Wire.Varint(2, 1))));

        var metric = Decode(Request(twoSums)).ResourceMetrics[0].ScopeMetrics[0].Metrics[0];

        Assert.Equal([1.0, 2.0], metric.NumberPoints.Select(p => p.Value));
        Assert.Equal((true, OtlpTemporality.Delta), (metric.IsMonotonic, metric.Temporality));
    }

    [Fact]
    public void DecodeProtobuf_KnownFieldWithAnotherWireType_IsSkippedAsUnknown()
    {
        var metric = Metric(Wire.String(1, "name"), Wire.Varint(1, 7), Wire.Fixed64(7, 1), Wire.Bytes(5, Wire.Message(Wire.Bytes(1, Wire.Message(Wire.String(4, "not a double"), Wire.Double(4, 9))))));

        var decoded = Decode(Request(metric)).ResourceMetrics[0].ScopeMetrics[0].Metrics[0];

        Assert.Equal(("name", OtlpMetricKind.Gauge, 9.0), (decoded.Name, decoded.Kind, decoded.NumberPoints[0].Value));
    }

    [Fact]
    public void DecodeProtobuf_NoRecordedValuePoints_AreDropped()
    {
        var sum = new Metric { Name = "s", Sum = new Sum { DataPoints = { IntPoint(1), new NumberDataPoint { Flags = 1, AsInt = 5 } } } };
        var histogram = Histogram("h", 1, [1], [1, 0]);
        histogram.Histogram.DataPoints.Add(new HistogramDataPoint { Flags = 1 });
        var request = new ExportMetricsServiceRequest { ResourceMetrics = { new ResourceMetrics { ScopeMetrics = { new ScopeMetrics { Metrics = { sum, histogram } } } } } };

        var metrics = Decode(request.ToByteArray()).ResourceMetrics[0].ScopeMetrics[0].Metrics;

        Assert.Equal(1.0, Assert.Single(metrics[0].NumberPoints).Value);
        Assert.Single(metrics[1].HistogramPoints);
    }

    [Fact]
    public void DecodeProtobuf_SummaryAndExponentialHistogram_AreOnlyCounted()
    {
        // Summary (field 11) is not in the test protos: hand-made, with quantile values the decoder never reads.
        var summaryPoint = Wire.Message(Wire.Fixed64(4, 3), Wire.Double(5, 1.5), Wire.Bytes(6, Wire.Message(Wire.Double(1, 0.5), Wire.Double(2, 0.4))));
        var summary = Metric(Wire.String(1, "sm"), Wire.Bytes(11, Wire.Message(Wire.Bytes(1, summaryPoint), Wire.Bytes(1, summaryPoint), Wire.Bytes(1, []))));
        var exponential = Metric(Wire.String(1, "eh"), Wire.Bytes(10, Wire.Message(Wire.Bytes(1, []), Wire.Varint(2, 2))));

        var decoded = Decode(Request(summary, exponential));

        var metrics = decoded.ResourceMetrics[0].ScopeMetrics[0].Metrics;
        Assert.Equal((OtlpMetricKind.Summary, 3, 0, 0), (metrics[0].Kind, metrics[0].UnsupportedPointCount, metrics[0].NumberPoints.Count, metrics[0].HistogramPoints.Count));
        Assert.Equal((OtlpMetricKind.ExponentialHistogram, 1, OtlpTemporality.Cumulative), (metrics[1].Kind, metrics[1].UnsupportedPointCount, metrics[1].Temporality));
        Assert.Equal(4, decoded.DataPointCount);
    }

    [Fact]
    public void DecodeProtobuf_MetricWithoutData_IsLeftOut()
    {
        var decoded = Decode(Request(Metric(Wire.String(1, "empty"))));

        Assert.Empty(decoded.ResourceMetrics[0].ScopeMetrics[0].Metrics);
    }

    [Fact]
    public void DecodeProtobuf_UnknownTemporality_IsUnspecified()
    {
        var metric = Metric(Wire.Bytes(7, Wire.Message(Wire.Varint(2, 9), Wire.Bytes(1, []))));

        Assert.Equal(OtlpTemporality.Unspecified, Decode(Request(metric)).ResourceMetrics[0].ScopeMetrics[0].Metrics[0].Temporality);
    }

    [Fact]
    public void DecodeProtobuf_EmptyBody_IsAnEmptyRequest()
    {
        var result = OtlpMetricsDecoder.DecodeProtobuf([]);

        Assert.True(result.Succeeded, result.Error);
        Assert.Empty(result.Request.ResourceMetrics);
        Assert.Equal(0, result.Request.DataPointCount);
    }

    [Fact]
    public void DecodeProtobuf_NonMinimalVarintLengths_AreAccepted()
    {
        // The .NET SDK's own serializer reserves 4 bytes for every length, e.g. 0x85 0x80 0x80 0x00 for 5.
        var scope = Wire.Message(Wire.String(1, "s"));
        var body = Wire.Message(Wire.Tag(1, 2), [0x80 | 13, 0x80, 0x80, 0x00], Wire.Tag(2, 2), [0x80 | 8, 0x80, 0x80, 0x00], Wire.Tag(1, 2), [0x83, 0x80, 0x80, 0x00], scope);

        var decoded = Decode(body);

        Assert.Equal("s", decoded.ResourceMetrics[0].ScopeMetrics[0].ScopeName);
    }

    public static TheoryData<string, byte[], string> MalformedBodies() => new()
    {
        { "group wire type", [0x0B], "wire type 3" },
        { "end-group wire type", [0x0C], "wire type 4" },
        { "wire type 6", [0x0E], "wire type 6" },
        { "wire type 7", [0x0F], "wire type 7" },
        { "field number 0", [0x02, 0x00], "field number 0" },
        { "tag over 32 bits", [0xFF, 0xFF, 0xFF, 0xFF, 0x7F], "32 bits" },
        { "varint longer than 10 bytes", [0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], "longer than 10 bytes" },
        { "varint over 64 bits", [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], "overflows 64 bits" },
        { "truncated varint", [0x08, 0x80], "cut off" },
        { "truncated fixed64", [0x09, 1, 2, 3], "cut off" },
        { "truncated fixed32", [0x0D, 1, 2], "cut off" },
        { "length past the end", [0x0A, 0x05, 0x00], "past the end" },
        { "huge length", [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], "past the end" },
        { "packed fixed64 not a multiple of 8", Request(Metric(Wire.Bytes(9, Wire.Message(Wire.Bytes(1, Wire.Message(Wire.Bytes(6, [1, 2, 3]))))))), "multiple of 8" },
        { "invalid UTF-8 in a name", Request(Metric(Wire.Bytes(1, [0x61, 0xC3, 0x28]))), "UTF-8" },
        { "invalid UTF-8 in a nested map key", Request(Metric(Wire.Bytes(5, Wire.Message(Wire.Bytes(1, Wire.Message(Wire.Bytes(7, Wire.Message(Wire.String(1, "k"), Wire.Bytes(2, Wire.Message(Wire.Bytes(6, Wire.Message(Wire.Bytes(1, Wire.Message(Wire.Bytes(1, [0xFF]))))))))))))))), "UTF-8" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public void DecodeProtobuf_MalformedInput_FailsWithAnErrorNamingTheProblem(string because, byte[] body, string expected)
    {
        var result = OtlpMetricsDecoder.DecodeProtobuf(body);

        Assert.False(result.Succeeded, because);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.StartsWith("invalid OTLP protobuf at byte ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeProtobuf_AttributeArraysNestedTooDeep_Fail()
    {
        var value = new AnyValue { StringValue = "x" };
        for (var i = 0; i < 100; i++)
        {
            value = Array(value);
        }

        var result = OtlpMetricsDecoder.DecodeProtobuf(AttributeRequest(value).ToByteArray());

        Assert.False(result.Succeeded);
        Assert.Contains("nested more than 64 deep", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeProtobuf_AttributeArraysNestedWithinTheLimit_RenderAsNestedJson()
    {
        var value = new AnyValue { IntValue = 1 };
        for (var i = 0; i < 20; i++)
        {
            value = Array(value);
        }

        var decoded = Decode(AttributeRequest(value).ToByteArray());

        Assert.Equal(new string('[', 20) + "1" + new string(']', 20), decoded.ResourceMetrics[0].ScopeMetrics[0].Metrics[0].NumberPoints[0].Attributes[0].Value);
    }

    [Fact]
    public void DecodeProtobuf_MoreMessagesThanTheLimit_FailsBeforeDecodingTheRest()
    {
        var sum = new Sum();
        for (var i = 0; i < 1000; i++)
        {
            sum.DataPoints.Add(new NumberDataPoint());
        }

        var body = new ExportMetricsServiceRequest { ResourceMetrics = { new ResourceMetrics { ScopeMetrics = { new ScopeMetrics { Metrics = { new Metric { Sum = sum } } } } } } }.ToByteArray();

        var refused = OtlpMetricsDecoder.DecodeProtobuf(body, new OtlpDecoderLimits { MaxMessages = 500 });
        var accepted = OtlpMetricsDecoder.DecodeProtobuf(body, new OtlpDecoderLimits { MaxMessages = 1004 });

        Assert.False(refused.Succeeded);
        Assert.Contains("more than 500 messages", refused.Error, StringComparison.Ordinal);
        Assert.True(accepted.Succeeded, accepted.Error);
        Assert.Equal(1000, accepted.Request.DataPointCount);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-1, 1)]
    [InlineData(1, 0)]
    [InlineData(1, OtlpDecoderLimits.MaxAllowedDepth + 1)]
    public void Limits_NonPositiveOrTooDeep_AreRefused(int maxMessages, int maxDepth)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new OtlpDecoderLimits { MaxMessages = maxMessages, MaxDepth = maxDepth });
    }

    [Fact]
    public void DecodeProtobuf_EveryPrefixOfARealMessage_FailsCleanlyExactlyWhenGoogleProtobufDoes()
    {
        var body = WithUnknownFields(Sample()).ToByteArray();

        for (var length = 0; length < body.Length; length++)
        {
            var prefix = body.AsSpan(0, length).ToArray();
            var result = OtlpMetricsDecoder.DecodeProtobuf(prefix);
            Assert.Equal(GoogleParses(prefix), result.Succeeded);
            Assert.Equal(result.Succeeded, result.Error is null);
        }
    }

    [Fact]
    public void DecodeProtobuf_CorruptedBytes_NeverThrow()
    {
        var body = WithUnknownFields(Sample()).ToByteArray();
        var random = new Random(20240611);

        byte[] replacements = [0x00, 0x7F, 0x80, 0xFF];
        for (var offset = 0; offset < body.Length; offset++)
        {
            var corrupted = (byte[])body.Clone();
            corrupted[offset] = offset % 2 == 0 ? replacements[offset / 2 % replacements.Length] : (byte)random.Next(256);
            var result = OtlpMetricsDecoder.DecodeProtobuf(corrupted);
            Assert.Equal(result.Succeeded, result.Error is null);
        }

        for (var i = 0; i < 2000; i++)
        {
            var noise = new byte[random.Next(64)];
            random.NextBytes(noise);
            OtlpMetricsDecoder.DecodeProtobuf(noise);
        }
    }

    private static OtlpMetricsRequest Decode(byte[] body)
    {
        var result = OtlpMetricsDecoder.DecodeProtobuf(body);
        Assert.True(result.Succeeded, result.Error);
        return result.Request;
    }

    private static bool GoogleParses(byte[] body)
    {
        try
        {
            ExportMetricsServiceRequest.Parser.ParseFrom(body);
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }

    private static ExportMetricsServiceRequest AttributeRequest(AnyValue value) => new()
    {
        ResourceMetrics = { new ResourceMetrics { ScopeMetrics = { new ScopeMetrics { Metrics = { Counter("c", true, AggregationTemporality.Delta, IntPoint(1, Attribute("deep", value))) } } } } },
    };

    /// <summary>A request with one resource and one scope holding the given Metric messages.</summary>
    private static byte[] Request(params byte[][] metrics) =>
        Wire.Message(Wire.Bytes(1, Wire.Message(Wire.Bytes(2, Wire.Message([.. metrics.Select(m => Wire.Bytes(2, m))])))));

    private static byte[] Metric(params byte[][] fields) => Wire.Message(fields);
}
