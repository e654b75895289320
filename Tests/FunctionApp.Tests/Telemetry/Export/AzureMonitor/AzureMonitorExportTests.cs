using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Telemetry.Configuration;
using Telemetry.Export.AzureMonitor;
using Telemetry.Instrumentation;

namespace FunctionApp.Tests.Telemetry.Export.AzureMonitor;

/// <summary>
/// <see cref="AzureMonitorExport"/> against <see cref="FakeIngestionEndpoint"/>: what arrives, in which envelope, and
/// that it has arrived when <c>ForceFlush</c> returns.
/// </summary>
public sealed class AzureMonitorExportTests : IDisposable
{
    private const int FlushTimeoutMilliseconds = 10_000;
    private const string ServiceName = "gateway-under-test";

    // Offline storage off: the tests must not write to (or drain a backlog from) the machine's temp directory.
    private static readonly AzureMonitorExportSettings TestSettings = new() { DisableOfflineStorage = true };

    private readonly string _sourceName = $"AzureMonitorExportTests.{Guid.NewGuid():N}";
    private readonly ActivitySource _source;
    private readonly Meter _meter;

    public AzureMonitorExportTests()
    {
        _source = new ActivitySource(_sourceName);
        _meter = new Meter(_sourceName);
    }

    public void Dispose()
    {
        _source.Dispose();
        _meter.Dispose();
    }

    [Fact]
    public async Task ServerActivity_ForceFlush_ArrivesAsRequestData()
    {
        await using var ingestion = await FakeIngestionEndpoint.StartAsync();
        using var tracing = BuildTracing(Create(ingestion.ConnectionString));

        var start = DateTime.UtcNow;
        using (var activity = _source.StartActivity(ActivityKind.Server, startTime: start, name: "GET /users/{id}")!)
        {
            activity.SetTag(TelemetryAttributes.HttpRequestMethod, "GET");
            activity.SetTag(TelemetryAttributes.UrlScheme, "http");
            activity.SetTag(TelemetryAttributes.ServerAddress, "gateway.test");
            activity.SetTag("url.path", "/users/1");
            activity.SetTag(TelemetryAttributes.HttpRoute, "/users/{id}");
            activity.SetTag(TelemetryAttributes.HttpResponseStatusCode, 200);
            activity.SetTag(TelemetryAttributes.Stage, TelemetryAttributes.StageGlobal);
            activity.SetTag(TelemetryAttributes.EndpointRoute, "/users/{id}");
            activity.SetEndTime(start.AddMilliseconds(250));
        }

        Assert.True(tracing.ForceFlush(FlushTimeoutMilliseconds));

        var request = Assert.Single(ingestion.Requests);
        Assert.Equal("/v2.1/track", request.Path);
        var envelope = Assert.Single(ingestion.EnvelopesOf("RequestData"));
        Assert.Equal(ingestion.InstrumentationKey, envelope.GetProperty("iKey").GetString());
        Assert.Equal(ServiceName, envelope.GetProperty("tags").GetProperty("ai.cloud.role").GetString());
        Assert.False(envelope.TryGetProperty("sampleRate", out _));
        var data = envelope.GetProperty("data").GetProperty("baseData");
        Assert.Equal("GET /users/{id}", data.GetProperty("name").GetString());
        Assert.Equal("http://gateway.test/users/1", data.GetProperty("url").GetString());
        Assert.Equal("200", data.GetProperty("responseCode").GetString());
        Assert.True(data.GetProperty("success").GetBoolean());
        Assert.Equal(TimeSpan.FromMilliseconds(250), TimeSpan.Parse(data.GetProperty("duration").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        var properties = data.GetProperty("properties");
        Assert.Equal(TelemetryAttributes.StageGlobal, properties.GetProperty(TelemetryAttributes.Stage).GetString());
        Assert.Equal("/users/{id}", properties.GetProperty(TelemetryAttributes.EndpointRoute).GetString());
    }

    [Fact]
    public async Task ClientActivity_ForceFlush_ArrivesAsRemoteDependencyData()
    {
        await using var ingestion = await FakeIngestionEndpoint.StartAsync();
        using var tracing = BuildTracing(Create(ingestion.ConnectionString));

        using (var activity = _source.StartActivity("GET", ActivityKind.Client)!)
        {
            activity.SetTag(TelemetryAttributes.HttpRequestMethod, "GET");
            activity.SetTag(TelemetryAttributes.UrlFull, "http://backend.test:8080/users/1");
            activity.SetTag(TelemetryAttributes.ServerAddress, "backend.test");
            activity.SetTag(TelemetryAttributes.ServerPort, 8080);
            activity.SetTag(TelemetryAttributes.HttpResponseStatusCode, 502);
            activity.SetTag(TelemetryAttributes.Stage, TelemetryAttributes.StageBackendRequest);
            activity.SetStatus(ActivityStatusCode.Error);
        }

        Assert.True(tracing.ForceFlush(FlushTimeoutMilliseconds));

        var envelope = Assert.Single(ingestion.EnvelopesOf("RemoteDependencyData"));
        var data = envelope.GetProperty("data").GetProperty("baseData");
        Assert.Equal("Http", data.GetProperty("type").GetString());
        Assert.Equal("http://backend.test:8080/users/1", data.GetProperty("data").GetString());
        Assert.Equal("backend.test:8080", data.GetProperty("target").GetString());
        Assert.Equal("502", data.GetProperty("resultCode").GetString());
        Assert.False(data.GetProperty("success").GetBoolean());
        Assert.Equal(TelemetryAttributes.StageBackendRequest, data.GetProperty("properties").GetProperty(TelemetryAttributes.Stage).GetString());
    }

    [Fact]
    public async Task CounterAndHistogram_MeterForceFlush_ArriveAsMetricData()
    {
        await using var ingestion = await FakeIngestionEndpoint.StartAsync();
        var export = Create(ingestion.ConnectionString);
        using var metering = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(ServiceName))
            .AddMeter(_sourceName)
            .AddReader(export.MetricReader!)
            .Build();
        var counter = _meter.CreateCounter<long>("test.requests");
        var histogram = _meter.CreateHistogram<double>("test.duration", "s");

        counter.Add(2, new KeyValuePair<string, object?>(TelemetryAttributes.Stage, TelemetryAttributes.StageProxy));
        counter.Add(1, new KeyValuePair<string, object?>(TelemetryAttributes.Stage, TelemetryAttributes.StageProxy));
        histogram.Record(0.25, new KeyValuePair<string, object?>(TelemetryAttributes.Stage, TelemetryAttributes.StageBackend));
        histogram.Record(0.75, new KeyValuePair<string, object?>(TelemetryAttributes.Stage, TelemetryAttributes.StageBackend));

        Assert.True(metering.ForceFlush(FlushTimeoutMilliseconds));

        var metrics = ingestion.Metrics.ToDictionary(d => Assert.Single(d.GetProperty("metrics").EnumerateArray()).GetProperty("name").GetString()!);
        var requests = metrics["test.requests"];
        Assert.Equal(3, requests.GetProperty("metrics")[0].GetProperty("value").GetDouble());
        Assert.Equal(TelemetryAttributes.StageProxy, requests.GetProperty("properties").GetProperty(TelemetryAttributes.Stage).GetString());
        var duration = metrics["test.duration"].GetProperty("metrics")[0];
        Assert.Equal(2, duration.GetProperty("count").GetInt32());
        Assert.Equal(1.0, duration.GetProperty("value").GetDouble(), 9);
        Assert.Equal(0.25, duration.GetProperty("min").GetDouble(), 9);
        Assert.Equal(0.75, duration.GetProperty("max").GetDouble(), 9);
        Assert.Equal(TelemetryAttributes.StageBackend, metrics["test.duration"].GetProperty("properties").GetProperty(TelemetryAttributes.Stage).GetString());
    }

    [Fact]
    public async Task MetricsFlushedTwice_SecondExport_CarriesOnlyTheDelta()
    {
        await using var ingestion = await FakeIngestionEndpoint.StartAsync();
        using var metering = Sdk.CreateMeterProviderBuilder()
            .AddMeter(_sourceName)
            .AddReader(Create(ingestion.ConnectionString).MetricReader!)
            .Build();
        var counter = _meter.CreateCounter<long>("test.requests");

        counter.Add(5);
        Assert.True(metering.ForceFlush(FlushTimeoutMilliseconds));
        counter.Add(2);
        Assert.True(metering.ForceFlush(FlushTimeoutMilliseconds));

        var values = ingestion.Metrics
            .Select(d => d.GetProperty("metrics")[0])
            .Where(m => m.GetProperty("name").GetString() == "test.requests")
            .Select(m => m.GetProperty("value").GetDouble());
        Assert.Equal([5.0, 2.0], values);
    }

    [Fact]
    public async Task BurstOfFiftySpans_AtSampleRateOne_AllArrive()
    {
        await using var ingestion = await FakeIngestionEndpoint.StartAsync();
        // The gateway's sampler for trace_sample_rate 1.0; the exporter must not thin the burst out (the SDK's own
        // registration would install a 5 traces/s rate limiter here).
        using var tracing = BuildTracing(Create(ingestion.ConnectionString), new ParentBasedSampler(new TraceIdRatioBasedSampler(1.0)));

        for (var i = 0; i < 50; i++)
        {
            using var activity = _source.StartActivity("GET /burst", ActivityKind.Server)!;
            activity.SetTag(TelemetryAttributes.HttpResponseStatusCode, 200);
        }

        Assert.True(tracing.ForceFlush(FlushTimeoutMilliseconds));

        var requests = ingestion.EnvelopesOf("RequestData");
        Assert.Equal(50, requests.Count);
        Assert.Equal(50, requests.Select(e => e.GetProperty("data").GetProperty("baseData").GetProperty("id").GetString()).Distinct().Count());
        Assert.All(requests, e => Assert.False(e.TryGetProperty("sampleRate", out _)));
    }

    [Fact]
    public async Task RecordOnlySpan_ForceFlush_IsNotExported()
    {
        await using var ingestion = await FakeIngestionEndpoint.StartAsync();
        using var tracing = BuildTracing(Create(ingestion.ConnectionString), new RecordOnlyForNameSampler("not-sampled"));

        using (_source.StartActivity("not-sampled", ActivityKind.Server))
        {
        }

        using (_source.StartActivity("sampled", ActivityKind.Server))
        {
        }

        Assert.True(tracing.ForceFlush(FlushTimeoutMilliseconds));

        var request = Assert.Single(ingestion.EnvelopesOf("RequestData"));
        Assert.Equal("sampled", request.GetProperty("data").GetProperty("baseData").GetProperty("name").GetString());
    }

    [Fact]
    public async Task QueuedSpans_ProviderDisposed_AreSent()
    {
        await using var ingestion = await FakeIngestionEndpoint.StartAsync();
        var tracing = BuildTracing(Create(ingestion.ConnectionString));

        using (_source.StartActivity("before-shutdown", ActivityKind.Server))
        {
        }

        tracing.Dispose();

        var request = Assert.Single(ingestion.EnvelopesOf("RequestData"));
        Assert.Equal("before-shutdown", request.GetProperty("data").GetProperty("baseData").GetProperty("name").GetString());
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task FailingEndpoint_ForceFlush_ReturnsWithoutThrowing(int status)
    {
        await using var ingestion = await FakeIngestionEndpoint.StartAsync();
        ingestion.StatusCode = status;
        var export = Create(ingestion.ConnectionString);
        using var tracing = BuildTracing(export);
        using var metering = Sdk.CreateMeterProviderBuilder().AddMeter(_sourceName).AddReader(export.MetricReader!).Build();

        using (_source.StartActivity("rejected", ActivityKind.Server))
        {
        }

        _meter.CreateCounter<long>("test.rejected").Add(1);

        // The export finished (and failed): the flush is over, nothing was thrown, and the exporter did not retry in-line.
        Assert.True(tracing.ForceFlush(FlushTimeoutMilliseconds));
        Assert.Single(ingestion.EnvelopesOf("RequestData"));
        metering.ForceFlush(FlushTimeoutMilliseconds);
        Assert.Single(ingestion.Metrics);
    }

    [Fact]
    public async Task UnavailableEndpoint_WithStorageDirectory_KeepsTheBatchThere()
    {
        await using var ingestion = await FakeIngestionEndpoint.StartAsync();
        ingestion.StatusCode = 503;
        var directory = Directory.CreateTempSubdirectory("azure-monitor-export-tests-");
        try
        {
            using (var tracing = BuildTracing(Create(ingestion.ConnectionString, new AzureMonitorExportSettings { StorageDirectory = directory.FullName })))
            {
                using (_source.StartActivity("kept-for-later", ActivityKind.Server))
                {
                }

                Assert.True(tracing.ForceFlush(FlushTimeoutMilliseconds));

                Assert.NotEmpty(directory.EnumerateFiles("*.blob", SearchOption.AllDirectories));
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task EndpointDown_ForceFlush_ReturnsWithoutThrowing()
    {
        string connectionString;
        await using (var stopped = await FakeIngestionEndpoint.StartAsync())
        {
            connectionString = stopped.ConnectionString;
        }

        var export = Create(connectionString);
        using var tracing = BuildTracing(export);
        using var metering = Sdk.CreateMeterProviderBuilder().AddMeter(_sourceName).AddReader(export.MetricReader!).Build();

        using (_source.StartActivity("undeliverable", ActivityKind.Server))
        {
        }

        _meter.CreateCounter<long>("test.undeliverable").Add(1);

        // Connection refused ends the export at once: the flush completes rather than timing out.
        Assert.True(tracing.ForceFlush(FlushTimeoutMilliseconds));
        Assert.False(metering.ForceFlush(FlushTimeoutMilliseconds));
    }

    [Fact]
    public async Task EndpointNotAnswering_ForceFlush_ReturnsFalseAtItsTimeout()
    {
        await using var ingestion = await FakeIngestionEndpoint.StartAsync();
        ingestion.HoldRequests = true;
        var export = Create(ingestion.ConnectionString, TestSettings with { NetworkTimeout = TimeSpan.FromMinutes(5) });
        var tracing = BuildTracing(export);
        try
        {
            using (_source.StartActivity("held", ActivityKind.Server))
            {
            }

            // Longer than the SDK batch processor's one-second polling slice, after which that processor would report
            // the span flushed although ingestion has not answered.
            Assert.False(tracing.ForceFlush(1_500));
        }
        finally
        {
            ingestion.ReleaseHeldRequests();
            tracing.Dispose();
        }

        Assert.Single(ingestion.EnvelopesOf("RequestData"));
    }

    [Fact]
    public async Task ConnectionStringFromEnvironment_NoneInConfig_IsUsed()
    {
        await using var ingestion = await FakeIngestionEndpoint.StartAsync();
        var environment = TelemetryEnvironment.Read(name => name == AzureMonitorExporterOptions.ConnectionStringVariable ? ingestion.ConnectionString : null);
        var export = AzureMonitorExport.Create(new AzureMonitorExporterOptions { Name = "appinsights" }, environment, TestSettings);
        using var tracing = BuildTracing(export);

        using (_source.StartActivity("from-environment", ActivityKind.Server))
        {
        }

        Assert.True(tracing.ForceFlush(FlushTimeoutMilliseconds));
        Assert.Single(ingestion.EnvelopesOf("RequestData"));
    }

    [Fact]
    public void NoConnectionString_Create_ReturnsErrorAndNothingToAdd()
    {
        var export = AzureMonitorExport.Create(new AzureMonitorExporterOptions { Name = "appinsights" }, TelemetryEnvironment.Empty, TestSettings);

        Assert.Null(export.TraceProcessor);
        Assert.Null(export.MetricReader);
        Assert.Contains("appinsights", export.Error, StringComparison.Ordinal);
        Assert.Contains(AzureMonitorExporterOptions.ConnectionStringVariable, export.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("IngestionEndpoint=http://127.0.0.1:1/")]
    [InlineData("InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=not a url")]
    public void InvalidConnectionString_Create_ReturnsErrorAndNothingToAdd(string connectionString)
    {
        var export = AzureMonitorExport.Create(new AzureMonitorExporterOptions { Name = "appinsights", ConnectionString = connectionString }, TelemetryEnvironment.Empty, TestSettings);

        Assert.Null(export.TraceProcessor);
        Assert.Null(export.MetricReader);
        Assert.Contains("invalid connection string", export.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void DisabledSignal_Create_HasNoMemberForIt(bool disableTraces, bool disableMetrics)
    {
        var options = new AzureMonitorExporterOptions
        {
            Name = "appinsights",
            ConnectionString = $"InstrumentationKey={Guid.NewGuid()};IngestionEndpoint=http://127.0.0.1:1/",
            DisableTraces = disableTraces,
            DisableMetrics = disableMetrics,
        };

        var export = AzureMonitorExport.Create(options, TelemetryEnvironment.Empty, TestSettings);
        using var processor = export.TraceProcessor;
        using var reader = export.MetricReader;

        Assert.Null(export.Error);
        Assert.Equal(disableTraces, export.TraceProcessor is null);
        Assert.Equal(disableMetrics, export.MetricReader is null);
    }

    private static AzureMonitorExport Create(string connectionString, AzureMonitorExportSettings? settings = null)
    {
        var export = AzureMonitorExport.Create(
            new AzureMonitorExporterOptions { Name = "appinsights", ConnectionString = connectionString },
            TelemetryEnvironment.Empty,
            settings ?? TestSettings);
        Assert.Null(export.Error);
        return export;
    }

    private TracerProvider BuildTracing(AzureMonitorExport export, Sampler? sampler = null) =>
        Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(ServiceName))
            .SetSampler(sampler ?? new AlwaysOnSampler())
            .AddSource(_sourceName)
            .AddProcessor(export.TraceProcessor!)
            .Build();

    /// <summary>Records every span, but samples (exports) only those not named <c>name</c>.</summary>
    private sealed class RecordOnlyForNameSampler(string name) : Sampler
    {
        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
            new(samplingParameters.Name == name ? SamplingDecision.RecordOnly : SamplingDecision.RecordAndSample);
    }
}
