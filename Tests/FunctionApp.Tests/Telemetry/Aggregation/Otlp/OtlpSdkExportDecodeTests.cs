using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.IO.Compression;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Google.Protobuf;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Resources;
using Telemetry.Aggregation.Otlp;
using static FunctionApp.Tests.Telemetry.Aggregation.Otlp.OtlpTestMessages;

namespace FunctionApp.Tests.Telemetry.Aggregation.Otlp;

/// <summary>
/// The exact bytes the real OpenTelemetry .NET OTLP/HTTP exporter sends (captured from its HttpClient, no network),
/// decoded by <see cref="OtlpMetricsDecoder"/> and compared with Google.Protobuf's parse of the same bytes.
/// </summary>
public sealed class OtlpSdkExportDecodeTests
{
    private const int FlushTimeoutMilliseconds = 30_000;

    [Fact]
    public void DecodeProtobuf_RealSdkExport_MatchesTheGeneratedParserFieldByField()
    {
        var body = CaptureSdkExport();

        var result = OtlpMetricsDecoder.DecodeProtobuf(body);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(Expected(ExportMetricsServiceRequest.Parser.ParseFrom(body)), Dump(result.Request));
    }

    [Fact]
    public void DecodeProtobuf_RealSdkExport_CarriesEveryInstrumentKind()
    {
        var name = UniqueName();
        var result = OtlpMetricsDecoder.DecodeProtobuf(CaptureSdkExport(name));

        Assert.True(result.Succeeded, result.Error);
        var resource = Assert.Single(result.Request.ResourceMetrics);
        Assert.Contains(new OtlpAttribute("service.name", "otlp-decoder-test"), resource.ResourceAttributes);
        Assert.Contains(new OtlpAttribute("service.instance.id", "instance-1"), resource.ResourceAttributes);
        var main = Assert.Single(resource.ScopeMetrics, s => s.ScopeName == name);
        Assert.Equal("2.0.0", main.ScopeVersion);
        var metrics = main.Metrics.ToDictionary(m => m.Name);

        var requests = metrics["gateway.requests"];
        Assert.Equal((OtlpMetricKind.Sum, true, OtlpTemporality.Delta, "{request}", "Requests served"), (requests.Kind, requests.IsMonotonic, requests.Temporality, requests.Unit, requests.Description));
        var point = Assert.Single(requests.NumberPoints);
        Assert.Equal(3.0, point.Value);
        Assert.True(point.TimeUnixNano >= point.StartTimeUnixNano && point.StartTimeUnixNano > 0);
        var attributes = point.Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal("text", attributes["string"]);
        Assert.Equal("true", attributes["bool"]);
        Assert.Equal("42", attributes["int"]);
        Assert.Equal("-7", attributes["long"]);
        Assert.Equal("2.5", attributes["double"]);
        Assert.Equal("""["a","b"]""", attributes["strings"]);
        Assert.Equal("[1,2]", attributes["longs"]);
        Assert.Equal("[true,false]", attributes["bools"]);
        Assert.Equal("[0.5]", attributes["doubles"]);

        Assert.Equal(1.5, Assert.Single(metrics["gateway.bytes"].NumberPoints).Value);

        var inflight = metrics["gateway.inflight"];
        Assert.Equal((OtlpMetricKind.Sum, false, OtlpTemporality.Cumulative, 3.0), (inflight.Kind, inflight.IsMonotonic, inflight.Temporality, inflight.NumberPoints[0].Value));

        Assert.Equal((OtlpMetricKind.Gauge, 21.5), (metrics["gateway.temperature"].Kind, metrics["gateway.temperature"].NumberPoints[0].Value));
        Assert.Equal((OtlpMetricKind.Gauge, 7.0), (metrics["gateway.queue"].Kind, metrics["gateway.queue"].NumberPoints[0].Value));

        var duration = metrics["gateway.duration"];
        Assert.Equal((OtlpMetricKind.Histogram, OtlpTemporality.Delta, "s"), (duration.Kind, duration.Temporality, duration.Unit));
        var histogram = Assert.Single(duration.HistogramPoints);
        Assert.Equal([0.1, 1, 10], histogram.ExplicitBounds);
        Assert.Equal([1UL, 2, 0, 1], histogram.BucketCounts);
        Assert.Equal((4UL, (double?)51.25), (histogram.Count, histogram.Sum));

        var other = Assert.Single(resource.ScopeMetrics, s => s.ScopeName == name + ".other");
        var size = Assert.Single(Assert.Single(other.Metrics).HistogramPoints);
        Assert.Equal((1UL, (double?)100), (size.Count, size.Sum));
        Assert.Equal(size.ExplicitBounds.Count + 1, size.BucketCounts.Count);
    }

    [Fact]
    public void DecodeJson_RealSdkExportAsOtlpJson_DecodesLikeTheProtobuf()
    {
        var body = CaptureSdkExport();
        var formatter = new JsonFormatter(JsonFormatter.Settings.Default.WithFormatEnumsAsIntegers(true));
        var json = Encoding.UTF8.GetBytes(formatter.Format(ExportMetricsServiceRequest.Parser.ParseFrom(body)));

        var fromJson = OtlpMetricsDecoder.DecodeJson(json);
        var fromProtobuf = OtlpMetricsDecoder.DecodeProtobuf(body);

        Assert.True(fromJson.Succeeded, fromJson.Error);
        Assert.Equal(Dump(fromProtobuf.Request!), Dump(fromJson.Request));
    }

    [Fact]
    public void DecodeProtobuf_EveryPrefixOfARealSdkExport_FailsCleanly()
    {
        var body = CaptureSdkExport();

        for (var length = 1; length < body.Length; length++)
        {
            var result = OtlpMetricsDecoder.DecodeProtobuf(body.AsSpan(0, length));
            Assert.False(result.Succeeded);
            Assert.StartsWith("invalid OTLP protobuf at byte ", result.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ReadAsync_GzippedRealSdkExport_DecodesLikeThePlainOne()
    {
        var body = CaptureSdkExport();
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(body);
        }

        compressed.Position = 0;

        using var read = await OtlpRequestBody.ReadAsync(compressed, "gzip", 64 * 1024 * 1024);

        Assert.Equal(OtlpBodyStatus.Ok, read.Status);
        Assert.Equal(body, read.Span.ToArray());
        Assert.Equal(Dump(OtlpMetricsDecoder.DecodeProtobuf(body).Request!), Dump(OtlpMetricsDecoder.DecodeProtobuf(read.Span).Request!));
    }

    /// <summary>Records every instrument kind in two meters and returns the body of the single export a flush makes.</summary>
    private static byte[] CaptureSdkExport([CallerMemberName] string name = "")
    {
        name = name.StartsWith("otlp-decoder.", StringComparison.Ordinal) ? name : UniqueName(name);
        var capture = new CapturingHandler();
        using var meter = new Meter(name, "2.0.0");
        using var other = new Meter(name + ".other");
        using var provider = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(r => r.AddService("otlp-decoder-test", serviceInstanceId: "instance-1", autoGenerateServiceInstanceId: false))
            .AddMeter(meter.Name, other.Name)
            .AddView("gateway.duration", new ExplicitBucketHistogramConfiguration { Boundaries = [0.1, 1, 10] })
            .AddOtlpExporter((exporter, reader) =>
            {
                exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
                exporter.Endpoint = new Uri("http://127.0.0.1:1/v1/metrics");
                exporter.HttpClientFactory = () => new HttpClient(capture);
                reader.TemporalityPreference = MetricReaderTemporalityPreference.Delta;
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = int.MaxValue;
            })
            .Build();

        meter.CreateCounter<long>("gateway.requests", "{request}", "Requests served").Add(3, new TagList
        {
            { "string", "text" },
            { "bool", true },
            { "int", 42 },
            { "long", -7L },
            { "double", 2.5 },
            { "strings", new[] { "a", "b" } },
            { "longs", new long[] { 1, 2 } },
            { "bools", new[] { true, false } },
            { "doubles", new[] { 0.5 } },
        });
        meter.CreateCounter<double>("gateway.bytes", "By").Add(1.5);
        var inflight = meter.CreateUpDownCounter<long>("gateway.inflight");
        inflight.Add(5);
        inflight.Add(-2);
        meter.CreateGauge<double>("gateway.temperature").Record(21.5);
        meter.CreateObservableGauge("gateway.queue", () => 7L);
        var duration = meter.CreateHistogram<double>("gateway.duration", "s");
        foreach (var value in new[] { 0.05, 0.5, 0.7, 50 })
        {
            duration.Record(value);
        }

        other.CreateHistogram<long>("other.size").Record(100);

        Assert.True(provider.ForceFlush(FlushTimeoutMilliseconds));
        return Assert.Single(capture.Bodies);
    }

    private static string UniqueName([CallerMemberName] string test = "") => $"otlp-decoder.{test}.{Guid.NewGuid():N}";

    /// <summary>Answers every export with an empty 200 and keeps the request bodies.</summary>
    private sealed class CapturingHandler : HttpMessageHandler
    {
        private readonly Lock _gate = new();
        private readonly List<byte[]> _bodies = [];

        public IReadOnlyList<byte[]> Bodies
        {
            get
            {
                lock (_gate)
                {
                    return [.. _bodies];
                }
            }
        }

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var body = new MemoryStream();
            request.Content!.ReadAsStream(cancellationToken).CopyTo(body);
            return Keep(body.ToArray());
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Keep(await request.Content!.ReadAsByteArrayAsync(cancellationToken));

        private HttpResponseMessage Keep(byte[] body)
        {
            lock (_gate)
            {
                _bodies.Add(body);
            }

            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) };
        }
    }
}
