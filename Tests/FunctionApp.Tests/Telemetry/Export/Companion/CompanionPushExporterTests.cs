using System.Diagnostics.Metrics;
using FunctionApp.Tests.Common.Otlp;
using Google.Protobuf;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Telemetry.Aggregation;
using Telemetry.Aggregation.Otlp;
using Telemetry.Export.Companion;

namespace FunctionApp.Tests.Telemetry.Export.Companion;

/// <summary>
/// The gateway's push to the companion, against a real OTLP/HTTP receiver: cumulative values of the series that
/// changed since the last acknowledged push, everything on the full refresh, and a failed push repaired by the next.
/// </summary>
public sealed class CompanionPushExporterTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private OtlpReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await OtlpReceiver.StartAsync(OtlpReceiverProtocol.HttpProtobuf);

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private sealed class Pushing : IDisposable
    {
        public required Meter Meter { get; init; }

        public required MeterProvider Provider { get; init; }

        public required CompanionPushExporter Exporter { get; init; }

        public void Push() => Assert.True(Provider.ForceFlush(10_000));

        public void Dispose()
        {
            Provider.Dispose();
            Meter.Dispose();
        }
    }

    private Pushing Start(Action<MeterProviderBuilder>? configure = null)
    {
        var meter = new Meter("test.push." + Guid.NewGuid().ToString("N"), "1.2.3");
        var exporter = new CompanionPushExporter(new Uri(_receiver.Endpoint, "/v1/metrics"), new Dictionary<string, string> { ["x-functions-key"] = "secret" }, TimeSpan.FromSeconds(5), _time);
        var builder = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("gateway", serviceInstanceId: "instance-1"))
            .AddMeter(meter.Name)
            .AddReader(new BaseExportingMetricReader(exporter) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative });
        configure?.Invoke(builder);
        return new Pushing { Meter = meter, Provider = builder.Build(), Exporter = exporter };
    }

    private IReadOnlyList<ReceivedMetricPoint> LastPush() => [.. ReceivedMetricPoint.Flatten(_receiver.Exports[^1].Metrics!)];

    [Fact]
    public void FirstPush_CarriesEverySeries_ThenOnlyTheChangedOnes_WithCumulativeValues()
    {
        using var pushing = Start();
        var requests = pushing.Meter.CreateCounter<long>("requests");
        var duration = pushing.Meter.CreateHistogram<double>("duration", "s", advice: new() { HistogramBucketBoundaries = [0.1, 1] });
        requests.Add(2, new KeyValuePair<string, object?>("route", "/a"));
        requests.Add(3, new KeyValuePair<string, object?>("route", "/b"));
        duration.Record(0.5, new KeyValuePair<string, object?>("route", "/a"));

        pushing.Push();
        Assert.Equal(1, _receiver.ExportCount);
        Assert.Equal(3, LastPush().Count);

        requests.Add(4, new KeyValuePair<string, object?>("route", "/a"));
        pushing.Push();
        var second = Assert.Single(LastPush());
        Assert.Equal("requests", second.Name);
        Assert.Equal("/a", second.Attributes["route"]);
        Assert.Equal(6, second.IntValue); // cumulative, not the delta
        Assert.True(second.IsMonotonic);
        Assert.Equal(OpenTelemetry.Proto.Metrics.V1.AggregationTemporality.Cumulative, second.Temporality);

        duration.Record(2, new KeyValuePair<string, object?>("route", "/a"));
        pushing.Push();
        var histogram = Assert.Single(LastPush());
        Assert.Equal([0.1, 1], histogram.ExplicitBounds);
        Assert.Equal([0UL, 1UL, 1UL], histogram.BucketCounts);
        Assert.Equal(2UL, histogram.Count);
        Assert.Equal(2.5, histogram.Sum);
        Assert.Equal("s", histogram.Unit);
        Assert.Equal("secret", _receiver.Exports[^1].Headers["x-functions-key"]);
        Assert.Equal("instance-1", histogram.ResourceAttributes["service.instance.id"]);
        Assert.Equal("1.2.3", histogram.ScopeVersion);
    }

    [Fact]
    public void NothingChanged_SendsNoRequest_UntilTheFullRefresh()
    {
        using var pushing = Start();
        var requests = pushing.Meter.CreateCounter<long>("requests");
        requests.Add(1, new KeyValuePair<string, object?>("route", "/a"));
        requests.Add(1, new KeyValuePair<string, object?>("route", "/b"));
        pushing.Push();
        pushing.Push();
        pushing.Push();
        Assert.Equal(1, _receiver.ExportCount);

        _time.Advance(CompanionPushExporter.DefaultFullRefreshInterval);
        pushing.Push();
        Assert.Equal(2, _receiver.ExportCount);
        Assert.Equal(2, LastPush().Count);

        pushing.Push();
        Assert.Equal(2, _receiver.ExportCount);
    }

    [Fact]
    public void RefusedPush_LeavesItsSeriesPending_AndTheNextPushRepairsIt()
    {
        using var pushing = Start();
        var requests = pushing.Meter.CreateCounter<long>("requests");
        requests.Add(1, new KeyValuePair<string, object?>("route", "/a"));
        requests.Add(1, new KeyValuePair<string, object?>("route", "/b"));
        pushing.Push();

        _receiver.SetFault(OtlpReceiverFault.Unavailable(), times: 1);
        requests.Add(5, new KeyValuePair<string, object?>("route", "/a"));
        Assert.False(pushing.Provider.ForceFlush(10_000));

        pushing.Push();
        var repaired = Assert.Single(LastPush());
        Assert.Equal("/a", repaired.Attributes["route"]);
        Assert.Equal(6, repaired.IntValue);
        Assert.Equal(3, _receiver.ExportCount);
    }

    [Fact]
    public async Task UnreachableCompanion_FailsTheExport_WithoutThrowing()
    {
        var port = Common.GatewayProcess.FreePort();
        await _receiver.StopAsync();
        using var meter = new Meter("test.push.unreachable");
        using var exporter = new CompanionPushExporter(new Uri($"http://127.0.0.1:{port}/v1/metrics"), new Dictionary<string, string>(), TimeSpan.FromSeconds(2));
        using var provider = Sdk.CreateMeterProviderBuilder().AddMeter(meter.Name)
            .AddReader(new BaseExportingMetricReader(exporter) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative })
            .Build();
        meter.CreateCounter<long>("requests").Add(1);
        Assert.False(provider.ForceFlush(10_000));
        Assert.Equal(1, exporter.Pushes);
    }

    [Fact]
    public void Push_IsWhatTheCompanionDecodes_AndAggregatesExactly()
    {
        using var pushing = Start();
        var requests = pushing.Meter.CreateCounter<long>("requests");
        var inFlight = pushing.Meter.CreateUpDownCounter<long>("in_flight");
        var size = pushing.Meter.CreateHistogram<long>("size", "By", advice: new() { HistogramBucketBoundaries = [100, 1000] });
        requests.Add(7, new KeyValuePair<string, object?>("status", 200), new KeyValuePair<string, object?>("ok", true));
        inFlight.Add(3);
        size.Record(150);
        size.Record(5000);
        pushing.Push();

        var body = _receiver.Exports[^1].Metrics!.ToByteArray();
        var decoded = OtlpMetricsDecoder.DecodeProtobuf(body);
        Assert.True(decoded.Succeeded, decoded.Error);
        var aggregator = new MetricAggregator(new AggregatorOptions(), TimeProvider.System);
        var result = aggregator.Ingest(decoded.Request!);
        Assert.Equal(3, result.Accepted);
        var families = aggregator.Collect().ToDictionary(f => f.Name);
        Assert.Equal(7, Assert.Single(families["requests_total"].Series).Value);
        Assert.Equal(3, Assert.Single(families["in_flight"].Series).Value);
        var histogram = Assert.Single(families["size_bytes"].Series);
        Assert.Equal(2UL, histogram.Count);
        Assert.Equal(5150, histogram.Value);
    }
}
