using static Telemetry.Configuration.Tests.TelemetryDefaultsTests;
using static Telemetry.Configuration.Tests.TelemetryTestConfig;

namespace Telemetry.Configuration.Tests;

/// <summary>Reference §2.10 (docs vs code) and §10 quirks: the decision taken for each (see Configuration/README.md).</summary>
public sealed class TelemetryDiscrepancyTests
{
    [Theory]
    [InlineData("""{"name":"p","listen_ip":"127.0.0.1"}""", "127.0.0.1")]
    [InlineData("""{"name":"p","host":"127.0.0.1"}""", "127.0.0.1")]
    [InlineData("""{"name":"p","host":"localhost","listen_ip":"LOCALHOST"}""", "LOCALHOST")]
    [InlineData("""{"name":"p","listen_ip":""}""", "")]
    public void PrometheusListenAddress_AcceptsListenIpAndHost(string exporter, string expected)
    {
        var prometheus = Assert.Single(Valid($$$"""{"exporters":{"prometheus":[{{{exporter}}}]}}""").Exporters.Prometheus);

        Assert.Equal(expected, prometheus.ListenIp);
    }

    [Theory]
    [InlineData("""{"name":"o"}""", 4317)]
    [InlineData("""{"name":"o","use_http":false}""", 4317)]
    [InlineData("""{"name":"o","use_http":true}""", 4318)]
    [InlineData("""{"name":"o","use_http":true,"port":4317}""", 4317)]
    public void OtlpHttp_DefaultsToPort4318(string exporter, int port)
    {
        Assert.Equal(port, Assert.Single(Valid($$$"""{"exporters":{"otlp":[{{{exporter}}}]}}""").Exporters.Otlp).Port);
    }

    [Fact]
    public void Histograms_AreHonoured()
    {
        var histograms = Valid("""{"histograms":{"time_buckets":[0.5,1,2],"size_buckets":[100,1000]}}""").Histograms;

        Assert.Equal([0.5, 1.0, 2.0], histograms.TimeBuckets);
        Assert.Equal([100.0, 1000.0], histograms.SizeBuckets);
        Assert.Equal(20, HistogramOptions.DefaultTimeBuckets.Count);
        Assert.Equal(15, HistogramOptions.DefaultSizeBuckets.Count);
    }

    [Fact]
    public void PrometheusCustomReportingPeriod_IsIgnoredWithAWarning()
    {
        var warnings = Warnings("""{"exporters":{"prometheus":[{"name":"p","custom_metric_reporting_period":5}]}}""", out var options);

        Assert.Single(warnings);
        Assert.Single(options.Exporters.Prometheus);
    }

    /// <summary>
    /// disable_stage silences only the stage; an explicit round_trip/read_payload still counts (code). The docs' "stop
    /// reporting" holds for <c>{"disable_stage": true}</c> alone because a present object starts all-false (§2.7).
    /// </summary>
    [Fact]
    public void DisableStage_OnlyTheStage()
    {
        var alone = Valid("""{"layers":{"backend":{"metrics":{"disable_stage":true}}}}""").Layers.Backend.Metrics;
        var withRoundTrip = Valid("""{"layers":{"backend":{"metrics":{"disable_stage":true,"round_trip":true}}}}""").Layers.Backend.Metrics;

        AssertBackendMetrics(alone, true, false, false, false);
        AssertBackendMetrics(withRoundTrip, true, true, false, false);
    }

    [Theory]
    [InlineData("/foo/{bar}", "/foo/:bar")]
    [InlineData("/foo/{bar}", "/foo/42")]
    [InlineData("/foo/:bar", "/foo/{bar}")]
    public void SkipPaths_DocsPatternFormMatchesEveryLayer(string entry, string candidate)
    {
        Assert.True(Valid($$$"""{"skip_paths":["{{{entry}}}"]}""").SkipPaths.Matches(candidate));
    }

    [Theory]
    [InlineData("""{}""", 1.0, TraceSampling.AlwaysOn)]
    [InlineData("""{"trace_sample_rate":null}""", 1.0, TraceSampling.AlwaysOn)]
    [InlineData("""{"trace_sample_rate":1}""", 1.0, TraceSampling.AlwaysOn)]
    [InlineData("""{"trace_sample_rate":0.5}""", 0.5, TraceSampling.ParentBasedTraceIdRatio)]
    [InlineData("""{"trace_sample_rate":0.0001}""", 0.0001, TraceSampling.ParentBasedTraceIdRatio)]
    [InlineData("""{"trace_sample_rate":0}""", 0.0, TraceSampling.AlwaysOff)]
    public void TraceSampleRate_ZeroMeansNone(string json, double rate, TraceSampling sampling)
    {
        var options = Valid(json);

        Assert.Equal(rate, options.TraceSampleRate);
        Assert.Equal(sampling, options.TraceSampling);
    }

    [Fact]
    public void OtlpHttpsWithGrpc_UsesTls()
    {
        var otlp = Assert.Single(Valid("""{"exporters":{"otlp":[{"name":"o","host":"https://collector"}]}}""").Exporters.Otlp);

        var connection = otlp.ResolveConnection(TelemetryEnvironment.Empty);

        Assert.Equal(OtlpProtocol.Grpc, connection.Protocol);
        Assert.True(connection.UseTls);
        Assert.Equal("https", connection.Endpoint.Scheme);
    }
}
