using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Metrics.V1;
using Telemetry.Aggregation.Otlp;
using static FunctionApp.Tests.Telemetry.Aggregation.Otlp.OtlpTestMessages;

namespace FunctionApp.Tests.Telemetry.Aggregation.Otlp;

/// <summary>
/// <see cref="OtlpMetricsDecoder.DecodeJson"/> against JSON written by Google.Protobuf's <see cref="JsonFormatter"/>
/// (the proto3 JSON mapping) and by hand, for the OTLP/JSON variations the spec allows.
/// </summary>
public sealed class OtlpJsonDecoderTests
{
    private static readonly JsonFormatter EnumsAsIntegers = new(JsonFormatter.Settings.Default.WithFormatEnumsAsIntegers(true));

    [Fact]
    public void DecodeJson_SampleRequestWithIntegerEnums_MatchesTheProtobufDecodingFieldByField()
    {
        var request = Sample();
        var json = EnumsAsIntegers.Format(request);
        Assert.Contains("\"aggregationTemporality\": 1", json, StringComparison.Ordinal);

        var result = OtlpMetricsDecoder.DecodeJson(Encoding.UTF8.GetBytes(json));

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(Expected(request), Dump(result.Request));
        Assert.Equal(Dump(OtlpMetricsDecoder.DecodeProtobuf(request.ToByteArray()).Request!), Dump(result.Request));
    }

    [Fact]
    public void DecodeJson_SampleRequestWithEnumNames_DecodesTheSame()
    {
        var request = Sample();
        var json = JsonFormatter.Default.Format(request);
        Assert.Contains("AGGREGATION_TEMPORALITY_DELTA", json, StringComparison.Ordinal);

        var result = OtlpMetricsDecoder.DecodeJson(Encoding.UTF8.GetBytes(json));

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(Expected(request), Dump(result.Request));
    }

    [Fact]
    public void DecodeJson_EveryAttributeType_RendersLikeProtobuf()
    {
        var request = new ExportMetricsServiceRequest
        {
            ResourceMetrics = { new ResourceMetrics { ScopeMetrics = { new ScopeMetrics { Metrics = { Counter("c", true, AggregationTemporality.Delta, IntPoint(1, AllAttributeTypes())) } } } } },
        };

        var result = OtlpMetricsDecoder.DecodeJson(Encoding.UTF8.GetBytes(EnumsAsIntegers.Format(request)));

        Assert.True(result.Succeeded, result.Error);
        var attributes = result.Request.ResourceMetrics[0].ScopeMetrics[0].Metrics[0].NumberPoints[0].Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal("1e+21", attributes["big-double"]);
        Assert.Equal("-Infinity", attributes["infinity"]);
        Assert.Equal("AQL/", attributes["bytes"]);
        Assert.Equal("""["a",1,false,1.5,"NaN",null,"Bw=="]""", attributes["array"]);
        Assert.Equal("""{"k":"v","n":7,"nested":[{"deep":true}]}""", attributes["map"]);
        Assert.Equal(Expected(request), Dump(result.Request));
    }

    [Fact]
    public void DecodeJson_ProtoFieldNamesNumbersAndEscapes_DecodeLikeCamelCaseStrings()
    {
        const string json = """
            {
              "resource_metrics": [{
                "resource": { "attributes": [{ "key": "service.name", "value": { "string_value": "gate\u0077ay" } }] },
                "scope_metrics": [{
                  "scope": { "name": "s", "version": null },
                  "metrics": [
                    { "name": "c", "sum": { "data_points": [{ "start_time_unix_nano": 1700000000000000000, "time_unix_nano": "1700000060000000000", "as_int": 5, "attributes": [{ "key": "n", "value": { "int_value": 7 } }] }], "aggregation_temporality": "AGGREGATION_TEMPORALITY_CUMULATIVE", "is_monotonic": true } },
                    { "n\u0061me": "h", "histogram": { "aggregation_temporality": 1, "data_points": [{ "count": 3, "sum": "1.5", "bucket_counts": [1, "2", 0], "explicit_bounds": [1, "2.5"] }] } },
                    { "name": "g", "gauge": { "data_points": [{ "as_double": "NaN" }, { "asDouble": "-Infinity" }, { "asInt": "-9223372036854775808" }, { "asDouble": 1e3 }] } },
                    { "name": "e", "exponential_histogram": { "data_points": [{}, {"scale": 2}] } },
                    { "name": "sm", "summary": { "dataPoints": [{ "quantileValues": [{ "quantile": 0.5, "value": 1 }] }] } }
                  ]
                }]
              }]
            }
            """;

        var result = OtlpMetricsDecoder.DecodeJson(Encoding.UTF8.GetBytes(json));

        Assert.True(result.Succeeded, result.Error);
        var resource = Assert.Single(result.Request.ResourceMetrics);
        Assert.Equal(new OtlpAttribute("service.name", "gateway"), Assert.Single(resource.ResourceAttributes));
        Assert.Equal(("s", ""), (resource.ScopeMetrics[0].ScopeName, resource.ScopeMetrics[0].ScopeVersion));
        var metrics = resource.ScopeMetrics[0].Metrics;
        var counter = metrics[0];
        Assert.Equal((OtlpMetricKind.Sum, true, OtlpTemporality.Cumulative), (counter.Kind, counter.IsMonotonic, counter.Temporality));
        Assert.Equal((Start, Time, 5.0), (counter.NumberPoints[0].StartTimeUnixNano, counter.NumberPoints[0].TimeUnixNano, counter.NumberPoints[0].Value));
        Assert.Equal(new OtlpAttribute("n", "7"), Assert.Single(counter.NumberPoints[0].Attributes));
        var histogram = Assert.Single(metrics[1].HistogramPoints);
        Assert.Equal(("h", OtlpTemporality.Delta, 3UL, (double?)1.5), (metrics[1].Name, metrics[1].Temporality, histogram.Count, histogram.Sum));
        Assert.Equal([1UL, 2, 0], histogram.BucketCounts);
        Assert.Equal([1, 2.5], histogram.ExplicitBounds);
        Assert.Equal([double.NaN, double.NegativeInfinity, long.MinValue, 1000], metrics[2].NumberPoints.Select(p => p.Value));
        Assert.Equal((OtlpMetricKind.ExponentialHistogram, 2), (metrics[3].Kind, metrics[3].UnsupportedPointCount));
        Assert.Equal((OtlpMetricKind.Summary, 1), (metrics[4].Kind, metrics[4].UnsupportedPointCount));
        Assert.Equal(9, result.Request.DataPointCount);
    }

    [Fact]
    public void DecodeJson_SpecExample_Decodes()
    {
        // opentelemetry-proto examples/metrics.json, abridged to one metric of each kind.
        const string json = """
            {"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},
             "scopeMetrics":[{"scope":{"name":"my.library","version":"1.0.0","attributes":[{"key":"my.scope.attribute","value":{"stringValue":"some scope attribute"}}]},
              "metrics":[
               {"name":"my.counter","unit":"1","description":"I am a Counter","sum":{"aggregationTemporality":1,"isMonotonic":true,"dataPoints":[{"asDouble":5,"startTimeUnixNano":"1544712660300000000","timeUnixNano":"1544712660300000000","attributes":[{"key":"my.counter.attr","value":{"stringValue":"some value"}}]}]}},
               {"name":"my.gauge","unit":"1","description":"I am a Gauge","gauge":{"dataPoints":[{"asDouble":10,"timeUnixNano":"1544712660300000000"}]}},
               {"name":"my.histogram","unit":"1","description":"I am a Histogram","histogram":{"aggregationTemporality":1,"dataPoints":[{"startTimeUnixNano":"1544712660300000000","timeUnixNano":"1544712660300000000","count":2,"sum":2,"bucketCounts":[1,1],"explicitBounds":[1],"min":0,"max":2}]}}
              ]}]}]}
            """;

        var result = OtlpMetricsDecoder.DecodeJson(Encoding.UTF8.GetBytes(json));

        Assert.True(result.Succeeded, result.Error);
        var parsed = JsonParser.Default.Parse<ExportMetricsServiceRequest>(json);
        Assert.Equal(Expected(parsed), Dump(result.Request));
        Assert.Equal(3, result.Request.DataPointCount);
    }

    [Fact]
    public void DecodeJson_UnknownFieldsInEveryObject_AreIgnored()
    {
        var request = Sample();
        var json = JsonNode.Parse(EnumsAsIntegers.Format(request))!;
        AddUnknownMembers(json);

        var result = OtlpMetricsDecoder.DecodeJson(Encoding.UTF8.GetBytes(json.ToJsonString()));

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(Expected(request), Dump(result.Request));
    }

    [Fact]
    public void DecodeJson_NullFieldsAndEmptyObject_MeanNotSet()
    {
        const string json = """{"resourceMetrics":[{"resource":null,"scopeMetrics":[{"scope":null,"metrics":[{"name":"g","sum":null,"gauge":{"dataPoints":[{"asDouble":null,"asInt":4,"attributes":null}]}}]}]}]}""";

        var result = OtlpMetricsDecoder.DecodeJson(Encoding.UTF8.GetBytes(json));

        Assert.True(result.Succeeded, result.Error);
        var metric = result.Request.ResourceMetrics[0].ScopeMetrics[0].Metrics[0];
        Assert.Equal((OtlpMetricKind.Gauge, 4.0), (metric.Kind, metric.NumberPoints[0].Value));
        Assert.True(OtlpMetricsDecoder.DecodeJson("{}"u8).Succeeded);
        Assert.True(OtlpMetricsDecoder.DecodeJson([]).Succeeded);
    }

    [Fact]
    public void DecodeJson_BytesInUrlSafeUnpaddedBase64_RenderAsStandardBase64()
    {
        const string json = """{"resourceMetrics":[{"resource":{"attributes":[{"key":"b","value":{"bytesValue":"-_8"}},{"key":"a","value":{"arrayValue":{"values":[{"bytesValue":"AQ=="}]}}}]}}]}""";

        var result = OtlpMetricsDecoder.DecodeJson(Encoding.UTF8.GetBytes(json));

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal([new("b", "+/8="), new("a", """["AQ=="]""")], result.Request.ResourceMetrics[0].ResourceAttributes);
    }

    public static TheoryData<string, string, string> MalformedBodies() => new()
    {
        { "not JSON", "resourceMetrics", "invalid OTLP/JSON" },
        { "an array root", "[]", "the request must be a JSON object" },
        { "content after the request", "{} {}", "invalid OTLP/JSON" },
        { "resourceMetrics not an array", """{"resourceMetrics":{}}""", "resourceMetrics must be a JSON array" },
        { "an element not an object", """{"resourceMetrics":[1]}""", "each element of resourceMetrics must be a JSON object" },
        { "two data kinds", Points("""{"asInt":1}""", extra: ""","sum":{}"""), "more than one of gauge, sum" },
        { "asDouble and asInt", Points("""{"asInt":1,"asDouble":2}"""), "both asDouble and asInt" },
        { "two attribute value kinds", Points("""{"attributes":[{"key":"k","value":{"stringValue":"a","intValue":1}}]}"""), "more than one of stringValue" },
        { "two nested value kinds", Points("""{"attributes":[{"key":"k","value":{"arrayValue":{"values":[{"boolValue":true,"intValue":1}]}}}]}"""), "more than one of stringValue" },
        { "a time that is not a number", Points("""{"timeUnixNano":"12a"}"""), "timeUnixNano must be an unsigned 64-bit integer" },
        { "a negative time", Points("""{"timeUnixNano":-1}"""), "timeUnixNano must be an unsigned 64-bit integer" },
        { "a fractional asInt", Points("""{"asInt":1.5}"""), "asInt must be a signed 64-bit integer" },
        { "an asInt too large", Points("""{"asInt":"9223372036854775808"}"""), "asInt must be a signed 64-bit integer" },
        { "a double that is a word", Points("""{"asDouble":"many"}"""), "asDouble must be a number" },
        { "a boolean count", """{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"histogram":{"dataPoints":[{"count":true}]}}]}]}]}""", "count must be an unsigned 64-bit integer" },
        { "an unknown temporality name", """{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"aggregationTemporality":"SOMETIMES"}}]}]}]}""", "aggregationTemporality must be" },
        { "a name that is a number", """{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":1}]}]}]}""", "name must be a string" },
        { "invalid base64", """{"resourceMetrics":[{"resource":{"attributes":[{"key":"b","value":{"bytesValue":"%%%"}}]}}]}""", "not valid base64" },
        { "a lone surrogate escape", """{"resourceMetrics":[{"resource":{"attributes":[{"key":"\ud800","value":{}}]}}]}""", "invalid OTLP/JSON" },
        { "a lone low surrogate in a property name", """{"resourceMetrics":[{"resource":{"attributes":[{"\udc00key":"k"}]}}]}""", "invalid OTLP/JSON" },
        { "a lone surrogate in a temporality name", """{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"aggregationTemporality":"\udc00"}}]}]}]}""", "aggregationTemporality must be" },
        { "a bucket count that is an object", """{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"histogram":{"dataPoints":[{"bucketCounts":[{}]}]}}]}]}]}""", "each element of bucketCounts must be a number or a string" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public void DecodeJson_MalformedInput_FailsWithAnErrorNamingTheProblem(string because, string json, string expected)
    {
        var result = OtlpMetricsDecoder.DecodeJson(Encoding.UTF8.GetBytes(json));

        Assert.False(result.Succeeded, because);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeJson_InvalidUtf8InAString_Fails()
    {
        byte[] json = [.. """{"resourceMetrics":[{"resource":{"attributes":[{"key":"k","value":{"stringValue":"a"""u8, 0xC3, 0x28, .. "\"}}]}}]}"u8];

        var result = OtlpMetricsDecoder.DecodeJson(json);

        Assert.False(result.Succeeded);
        Assert.Contains("invalid OTLP/JSON", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeJson_AttributeArraysNestedTooDeep_Fail()
    {
        var value = new AnyValue { StringValue = "x" };
        for (var i = 0; i < 100; i++)
        {
            value = Array(value);
        }

        var request = new ExportMetricsServiceRequest { ResourceMetrics = { new ResourceMetrics { Resource = new() { Attributes = { Attribute("deep", value) } } } } };

        var result = OtlpMetricsDecoder.DecodeJson(Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(request)));

        Assert.False(result.Succeeded);
        Assert.Contains("invalid OTLP/JSON", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeJson_MoreMessagesThanTheLimit_Fails()
    {
        var points = string.Join(",", Enumerable.Repeat("{}", 1000));
        var json = Encoding.UTF8.GetBytes(Points(points));

        var refused = OtlpMetricsDecoder.DecodeJson(json, new OtlpDecoderLimits { MaxMessages = 500 });
        var accepted = OtlpMetricsDecoder.DecodeJson(json);

        Assert.Contains("more than 500 messages", refused.Error, StringComparison.Ordinal);
        Assert.True(accepted.Succeeded, accepted.Error);
        Assert.Equal(1000, accepted.Request.DataPointCount);
    }

    [Fact]
    public void DecodeJson_EveryPrefixOfARequest_FailsCleanly()
    {
        var json = Encoding.UTF8.GetBytes(EnumsAsIntegers.Format(Sample()));

        for (var length = 1; length < json.Length; length++)
        {
            var result = OtlpMetricsDecoder.DecodeJson(json.AsSpan(0, length));
            Assert.False(result.Succeeded);
            Assert.NotNull(result.Error);
        }
    }

    [Fact]
    public void DecodeJson_CorruptedCharacters_NeverThrow()
    {
        var json = Encoding.UTF8.GetBytes(EnumsAsIntegers.Format(Sample()));

        var replacements = "\"{}[],:0\\-nx \u00ff"u8.ToArray();
        for (var offset = 0; offset < json.Length; offset++)
        {
            var corrupted = (byte[])json.Clone();
            corrupted[offset] = replacements[offset % replacements.Length];
            var result = OtlpMetricsDecoder.DecodeJson(corrupted);
            Assert.Equal(result.Succeeded, result.Error is null);
        }
    }

    [Fact]
    public void DecodeJson_NestedMapMembersWithTheValueBeforeTheKey_RenderTheKeyFirst()
    {
        const string json = """{"resourceMetrics":[{"resource":{"attributes":[{"value":{"kvlistValue":{"values":[{"value":{"kvlistValue":{"values":[{"value":{"intValue":"1"},"key":"inner"}]}},"key":"outer"},{"key":"x"}]}},"key":"k"}]}}]}""";

        var result = OtlpMetricsDecoder.DecodeJson(Encoding.UTF8.GetBytes(json));

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(new OtlpAttribute("k", """{"outer":{"inner":1},"x":null}"""), Assert.Single(result.Request.ResourceMetrics[0].ResourceAttributes));
    }

    [Fact]
    public void DecodeJson_DeeplyNestedValueFirstMaps_AreRefusedBeforeRescanningTheBodyAtEveryLevel()
    {
        // Each level's key look-ahead would skip everything below it: 60 levels over a 1 MB string is 60 MB of scanning.
        var inner = "{\"stringValue\":\"" + new string('x', 1_000_000) + "\"}";
        for (var i = 0; i < 60; i++)
        {
            inner = "{\"kvlistValue\":{\"values\":[{\"value\":" + inner + ",\"key\":\"k\"}]}}";
        }

        var json = "{\"resourceMetrics\":[{\"resource\":{\"attributes\":[{\"key\":\"deep\",\"value\":" + inner + "}]}}]}";

        var result = OtlpMetricsDecoder.DecodeJson(Encoding.UTF8.GetBytes(json), new OtlpDecoderLimits { MaxDepth = 200 });

        Assert.False(result.Succeeded);
        Assert.Contains("value before their key", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeJson_InvalidSurrogateEscapesInAnyNameOrString_FailCleanly()
    {
        var json = EnumsAsIntegers.Format(Sample());
        var quotes = json.Select((c, i) => (c, i)).Where(p => p.c == '"').Select(p => p.i).ToList();

        foreach (var escape in new[] { @"\udc00", @"\ud800", @"\ud800x", @"\udc00\ud800" })
        {
            foreach (var quote in quotes)
            {
                var result = OtlpMetricsDecoder.DecodeJson(Encoding.UTF8.GetBytes(json.Insert(quote + 1, escape)));
                Assert.Equal(result.Succeeded, result.Error is null);
            }
        }
    }

    private static string Points(string point, string extra = "") =>
        """{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[""" + point + "]}" + extra + "}]}]}]}";

    private static void AddUnknownMembers(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject json:
                foreach (var (_, child) in json.ToList())
                {
                    AddUnknownMembers(child);
                }

                json["unknownObject"] = new JsonObject { ["values"] = new JsonArray(1, "two", null, new JsonObject { ["stringValue"] = "x" }) };
                json["unknown_scalar"] = "resourceMetrics";
                json["unknownNull"] = null;
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    AddUnknownMembers(child);
                }

                break;
        }
    }
}
