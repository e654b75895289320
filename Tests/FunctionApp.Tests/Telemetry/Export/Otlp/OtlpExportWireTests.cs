using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using FunctionApp.Tests.Common.Otlp;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Telemetry.Configuration;
using Telemetry.Export.Otlp;
using AggregationTemporality = OpenTelemetry.Proto.Metrics.V1.AggregationTemporality;
using SpanKind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind;
using SpanStatusCode = OpenTelemetry.Proto.Trace.V1.Status.Types.StatusCode;

namespace FunctionApp.Tests.Telemetry.Export.Otlp;

/// <summary>
/// The real SDK providers, with <see cref="OtlpExporterFactory"/>'s exporters, against a real <see cref="OtlpReceiver"/>
/// over both OTLP transports. Each test has its own receiver and its own ActivitySource/Meter name.
/// </summary>
public sealed class OtlpExportWireTests
{
    /// <summary>Long enough that only an explicit ForceFlush exports; flushes then are the only exports.</summary>
    private static readonly TimeSpan NeverDuringTheTest = TimeSpan.FromHours(1);

    private const int FlushTimeoutMilliseconds = 30_000;

    [Theory]
    [InlineData(OtlpReceiverProtocol.Grpc)]
    [InlineData(OtlpReceiverProtocol.HttpProtobuf)]
    public async Task TraceProcessor_ParentAndChild_ArriveWithKindParentAttributesEventsAndStatus(OtlpReceiverProtocol protocol)
    {
        await using var receiver = await OtlpReceiver.StartAsync(protocol);
        var name = UniqueName();
        using var source = new ActivitySource(name, "1.2.3");
        using var tracing = TracerProvider(name, OtlpExporterFactory.CreateTraceProcessor(Connection(receiver)));

        string parentSpanId, childSpanId, traceId;
        using (var parent = source.StartActivity("GET /users/{id}", ActivityKind.Server)!)
        {
            using var child = source.StartActivity("backend call", ActivityKind.Client)!;
            child.SetTag("http.request.method", "GET");
            child.SetTag("http.response.status_code", 503);
            child.SetTag("krakend.stage.ratio", 0.25);
            child.SetTag("krakend.cached", true);
            child.SetTag("krakend.backends", new[] { "a", "b" });
            child.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection { ["attempt"] = 2L }));
            child.SetStatus(ActivityStatusCode.Error, "backend failed");
            (traceId, parentSpanId, childSpanId) = (parent.TraceId.ToHexString(), parent.SpanId.ToHexString(), child.SpanId.ToHexString());
        }

        Assert.True(tracing.ForceFlush(FlushTimeoutMilliseconds));
        var received = await receiver.WaitForSpanAsync(s => s.SpanId == childSpanId);
        var receivedParent = await receiver.WaitForSpanAsync(s => s.SpanId == parentSpanId);

        Assert.Equal("backend call", received.Name);
        Assert.Equal(SpanKind.Client, received.Kind);
        Assert.Equal(traceId, received.TraceId);
        Assert.Equal(parentSpanId, received.ParentSpanId);
        Assert.Equal("GET", received.Attributes["http.request.method"]);
        Assert.Equal(503L, received.Attributes["http.response.status_code"]);
        Assert.Equal(0.25, received.Attributes["krakend.stage.ratio"]);
        Assert.Equal(true, received.Attributes["krakend.cached"]);
        Assert.Equal(new object?[] { "a", "b" }, received.Attributes["krakend.backends"]);
        var retry = Assert.Single(received.Events);
        Assert.Equal("retry", retry.Name);
        Assert.Equal(2L, retry.Attributes["attempt"]);
        Assert.Equal(SpanStatusCode.Error, received.StatusCode);
        Assert.Equal("backend failed", received.StatusMessage);
        Assert.Equal(name, received.ScopeName);
        Assert.Equal("1.2.3", received.ScopeVersion);
        Assert.Equal("otlp-wire-test", received.ResourceAttributes["service.name"]);
        Assert.True(received.StartTimeUnixNano > 0 && received.EndTimeUnixNano >= received.StartTimeUnixNano);

        Assert.Equal(SpanKind.Server, receivedParent.Kind);
        Assert.Null(receivedParent.ParentSpanId);
    }

    [Theory]
    [InlineData(OtlpReceiverProtocol.Grpc)]
    [InlineData(OtlpReceiverProtocol.HttpProtobuf)]
    public async Task Exporters_ConnectionHeaders_ArriveWithEveryExport(OtlpReceiverProtocol protocol)
    {
        await using var receiver = await OtlpReceiver.StartAsync(protocol);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["x-api-key"] = "secret-1",
            ["Authorization"] = "Basic dXNlcjpwYXNz==",
            ["x-tenant"] = "100% sure",
            ["x-list"] = "a,b",
        };
        var connection = Connection(receiver, headers);
        var name = UniqueName();
        using var source = new ActivitySource(name);
        using var meter = new Meter(name);
        using var tracing = TracerProvider(name, OtlpExporterFactory.CreateTraceProcessor(connection));
        using var metering = MeterProvider(name, OtlpExporterFactory.CreateMetricReader(connection, MetricTemporalityPreference.Cumulative, NeverDuringTheTest));

        source.StartActivity("span")!.Dispose();
        meter.CreateCounter<long>("requests").Add(1);
        Assert.True(tracing.ForceFlush(FlushTimeoutMilliseconds));
        Assert.True(metering.ForceFlush(FlushTimeoutMilliseconds));

        var exports = receiver.Exports;
        Assert.Contains(exports, e => e.Signal == OtlpReceivedSignal.Traces);
        Assert.Contains(exports, e => e.Signal == OtlpReceivedSignal.Metrics);
        Assert.All(exports, export =>
        {
            Assert.Equal("secret-1", export.Headers["x-api-key"]);
            Assert.Equal("Basic dXNlcjpwYXNz==", export.Headers["authorization"]);
            Assert.Equal("100% sure", export.Headers["x-tenant"]);
            Assert.Equal("a,b", export.Headers["x-list"]);
        });
    }

    [Theory]
    [InlineData(OtlpReceiverProtocol.Grpc)]
    [InlineData(OtlpReceiverProtocol.HttpProtobuf)]
    public async Task MetricReader_Histogram_ArrivesWithBoundsCountsAndSum(OtlpReceiverProtocol protocol)
    {
        await using var receiver = await OtlpReceiver.StartAsync(protocol);
        var name = UniqueName();
        using var meter = new Meter(name, "4.5.6");
        using var metering = MeterProvider(name, OtlpExporterFactory.CreateMetricReader(Connection(receiver), MetricTemporalityPreference.Cumulative, NeverDuringTheTest));
        var histogram = meter.CreateHistogram("http.server.request.duration", "s", "Request time", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1, 10] });

        histogram.Record(0.05, new KeyValuePair<string, object?>("http.route", "/users/{id}"));
        histogram.Record(5, new KeyValuePair<string, object?>("http.route", "/users/{id}"));
        histogram.Record(50, new KeyValuePair<string, object?>("http.route", "/users/{id}"));
        Assert.True(metering.ForceFlush(FlushTimeoutMilliseconds));

        var point = await receiver.WaitForMetricPointAsync(p => p.Name == "http.server.request.duration");
        Assert.Equal(ReceivedMetricKind.Histogram, point.Kind);
        Assert.Equal("s", point.Unit);
        Assert.Equal("Request time", point.Description);
        Assert.Equal([0.1, 1, 10], point.ExplicitBounds);
        Assert.Equal([1UL, 0UL, 1UL, 1UL], point.BucketCounts);
        Assert.Equal(3UL, point.Count);
        Assert.Equal(55.05, point.Sum!.Value, precision: 9);
        Assert.Equal(0.05, point.Min);
        Assert.Equal(50, point.Max);
        Assert.Equal("/users/{id}", point.Attributes["http.route"]);
        Assert.Equal(AggregationTemporality.Cumulative, point.Temporality);
        Assert.Equal(name, point.ScopeName);
        Assert.Equal("4.5.6", point.ScopeVersion);
        Assert.Equal("otlp-wire-test", point.ResourceAttributes["service.name"]);
    }

    /// <summary>The preference's rules (OTel spec, <c>sdk_exporters/otlp.md</c>) decide each instrument's temporality.</summary>
    [Theory]
    [InlineData(MetricTemporalityPreference.Cumulative, AggregationTemporality.Cumulative, AggregationTemporality.Cumulative, AggregationTemporality.Cumulative)]
    [InlineData(MetricTemporalityPreference.Delta, AggregationTemporality.Delta, AggregationTemporality.Cumulative, AggregationTemporality.Delta)]
    [InlineData(MetricTemporalityPreference.LowMemory, AggregationTemporality.Delta, AggregationTemporality.Cumulative, AggregationTemporality.Cumulative)]
    public async Task MetricReader_TemporalityPreference_SetsEachInstrumentsTemporality(
        MetricTemporalityPreference preference,
        AggregationTemporality counter,
        AggregationTemporality upDownCounter,
        AggregationTemporality observableCounter)
    {
        await using var receiver = await OtlpReceiver.StartAsync(OtlpReceiverProtocol.Grpc);
        var name = UniqueName();
        using var meter = new Meter(name);
        using var metering = MeterProvider(name, OtlpExporterFactory.CreateMetricReader(Connection(receiver), preference, NeverDuringTheTest));
        meter.CreateCounter<long>("counter").Add(3);
        meter.CreateUpDownCounter<long>("updown").Add(-2);
        meter.CreateObservableCounter("observable", () => 7L);

        Assert.True(metering.ForceFlush(FlushTimeoutMilliseconds));

        var points = receiver.MetricPoints;
        var counterPoint = Assert.Single(points, p => p.Name == "counter");
        Assert.Equal(3L, counterPoint.IntValue);
        Assert.True(counterPoint.IsMonotonic);
        Assert.Equal(counter, counterPoint.Temporality);
        Assert.Equal(upDownCounter, Assert.Single(points, p => p.Name == "updown").Temporality);
        Assert.Equal(observableCounter, Assert.Single(points, p => p.Name == "observable").Temporality);
    }

    [Fact]
    public async Task HttpExporters_BasePathInConnection_IsKeptBeforeTheSignalPath()
    {
        await using var receiver = await OtlpReceiver.StartAsync(OtlpReceiverProtocol.HttpProtobuf, basePath: "/otlp");
        Assert.Equal($"http://127.0.0.1:{receiver.Port}/otlp", receiver.Endpoint.ToString().TrimEnd('/'));
        var name = UniqueName();
        using var source = new ActivitySource(name);
        using var meter = new Meter(name);
        using var tracing = TracerProvider(name, OtlpExporterFactory.CreateTraceProcessor(Connection(receiver)));
        using var metering = MeterProvider(name, OtlpExporterFactory.CreateMetricReader(Connection(receiver), MetricTemporalityPreference.Cumulative, NeverDuringTheTest));

        source.StartActivity("span")!.Dispose();
        meter.CreateCounter<long>("requests").Add(1);
        Assert.True(tracing.ForceFlush(FlushTimeoutMilliseconds));
        Assert.True(metering.ForceFlush(FlushTimeoutMilliseconds));

        Assert.Equal("/otlp/v1/traces", Assert.Single(receiver.Exports, e => e.Signal == OtlpReceivedSignal.Traces).Path);
        Assert.Equal("/otlp/v1/metrics", Assert.Single(receiver.Exports, e => e.Signal == OtlpReceivedSignal.Metrics).Path);
        Assert.Single(receiver.Spans);
    }

    [Fact]
    public async Task GrpcExporters_CallTheOtlpServiceMethods()
    {
        await using var receiver = await OtlpReceiver.StartAsync(OtlpReceiverProtocol.Grpc);
        var name = UniqueName();
        using var source = new ActivitySource(name);
        using var meter = new Meter(name);
        using var tracing = TracerProvider(name, OtlpExporterFactory.CreateTraceProcessor(Connection(receiver)));
        using var metering = MeterProvider(name, OtlpExporterFactory.CreateMetricReader(Connection(receiver), MetricTemporalityPreference.Cumulative, NeverDuringTheTest));

        source.StartActivity("span")!.Dispose();
        meter.CreateCounter<long>("requests").Add(1);
        Assert.True(tracing.ForceFlush(FlushTimeoutMilliseconds));
        Assert.True(metering.ForceFlush(FlushTimeoutMilliseconds));

        var traces = Assert.Single(receiver.Exports, e => e.Signal == OtlpReceivedSignal.Traces);
        Assert.Equal("/opentelemetry.proto.collector.trace.v1.TraceService/Export", traces.Path);
        Assert.Equal("application/grpc", traces.Headers["content-type"]);
        Assert.Equal("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", Assert.Single(receiver.Exports, e => e.Signal == OtlpReceivedSignal.Metrics).Path);
    }

    /// <summary>
    /// Collector down (port closed): nothing throws. The metric reader reports the failed export (false); the batch
    /// span processor reports only that its queue was drained (true), as the SDK's BatchExportProcessor always does.
    /// </summary>
    [Theory]
    [InlineData(OtlpReceiverProtocol.Grpc)]
    [InlineData(OtlpReceiverProtocol.HttpProtobuf)]
    public async Task ForceFlush_CollectorDown_ReturnsWithoutThrowing(OtlpReceiverProtocol protocol)
    {
        await using var receiver = await OtlpReceiver.StartAsync(protocol);
        await receiver.StopAsync();
        var name = UniqueName();
        using var source = new ActivitySource(name);
        using var meter = new Meter(name);
        var timeout = TimeSpan.FromSeconds(5);
        using var tracing = TracerProvider(name, OtlpExporterFactory.CreateTraceProcessor(Connection(receiver), timeout));
        using var metering = MeterProvider(name, OtlpExporterFactory.CreateMetricReader(Connection(receiver), MetricTemporalityPreference.Cumulative, NeverDuringTheTest, timeout));

        source.StartActivity("lost span")!.Dispose();
        meter.CreateCounter<long>("lost").Add(1);

        Assert.True(tracing.ForceFlush(FlushTimeoutMilliseconds));
        Assert.False(metering.ForceFlush(FlushTimeoutMilliseconds));
        Assert.Equal(0, receiver.ExportCount);
    }

    [Theory]
    [InlineData(OtlpReceiverProtocol.Grpc)]
    [InlineData(OtlpReceiverProtocol.HttpProtobuf)]
    public async Task ForceFlush_CollectorBackAfterRestart_DeliversTheNextExport(OtlpReceiverProtocol protocol)
    {
        await using var receiver = await OtlpReceiver.StartAsync(protocol);
        var name = UniqueName();
        using var meter = new Meter(name);
        using var metering = MeterProvider(name, OtlpExporterFactory.CreateMetricReader(Connection(receiver), MetricTemporalityPreference.Cumulative, NeverDuringTheTest, TimeSpan.FromSeconds(5)));
        var counter = meter.CreateCounter<long>("requests");
        counter.Add(1);
        await receiver.StopAsync();
        Assert.False(metering.ForceFlush(FlushTimeoutMilliseconds));

        await receiver.RestartAsync();
        counter.Add(1);

        Assert.True(metering.ForceFlush(FlushTimeoutMilliseconds));
        Assert.Equal(2L, Assert.Single(receiver.MetricPoints, p => p.Name == "requests").IntValue);
    }

    private static OtlpConnection Connection(OtlpReceiver receiver, IReadOnlyDictionary<string, string>? headers = null) => new(
        receiver.Endpoint,
        receiver.Protocol == OtlpReceiverProtocol.Grpc ? OtlpProtocol.Grpc : OtlpProtocol.HttpProtobuf,
        UseTls: false,
        headers ?? new Dictionary<string, string>());

    private static TracerProvider TracerProvider(string source, BaseProcessor<Activity> processor) => Sdk.CreateTracerProviderBuilder()
        .ConfigureResource(resource => resource.AddService("otlp-wire-test"))
        .AddSource(source)
        .AddProcessor(processor)
        .Build();

    private static MeterProvider MeterProvider(string meter, MetricReader reader) => Sdk.CreateMeterProviderBuilder()
        .ConfigureResource(resource => resource.AddService("otlp-wire-test"))
        .AddMeter(meter)
        .AddReader(reader)
        .Build();

    private static string UniqueName([CallerMemberName] string test = "") => $"otlp-wire.{test}.{Guid.NewGuid():N}";
}
