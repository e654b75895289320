using static Telemetry.Configuration.Tests.TelemetryTestConfig;

namespace Telemetry.Configuration.Tests;

/// <summary>Reference §2.1–§2.7: every field and its default, including the "object present vs missing" rules.</summary>
public sealed class TelemetryDefaultsTests
{
    [Fact]
    public void Parse_EmptyNamespace_AppliesEveryDefault()
    {
        var options = Valid("{}");

        Assert.Null(options.ServiceName);
        Assert.Null(options.ServiceVersion);
        Assert.Equal("", options.DeployEnv);
        Assert.Equal(TimeSpan.FromSeconds(30), options.MetricReportingPeriod);
        Assert.Equal(1.0, options.TraceSampleRate);
        Assert.Equal(TraceSampling.AlwaysOn, options.TraceSampling);
        Assert.Equal(["/__health", "/__debug/", "/__echo/", "/__stats/"], options.SkipPaths.Paths);
        Assert.True(options.Exporters.IsEmpty);
        Assert.Equal(HistogramOptions.DefaultTimeBuckets, options.Histograms.TimeBuckets);
        Assert.Equal(HistogramOptions.DefaultSizeBuckets, options.Histograms.SizeBuckets);
        Assert.Equal("", options.SemanticConvention);
        AssertGlobalDefaults(options.Layers.Global);
        AssertProxyDefaults(options.Layers.Proxy);
        AssertBackendMetrics(options.Layers.Backend.Metrics, disableStage: false, roundTrip: true, readPayload: true, detailed: true);
        AssertBackendTraces(options.Layers.Backend.Traces, disableStage: false, roundTrip: true, readPayload: true, detailed: true);
    }

    [Theory]
    [InlineData("""{"layers":{}}""")]
    [InlineData("""{"layers":null}""")]
    [InlineData("""{"layers":{"global":{},"proxy":{}}}""")]
    [InlineData("""{"layers":{"global":null,"proxy":null,"backend":null}}""")]
    public void Parse_LayersMissingOrEmpty_EverythingEnabled(string json)
    {
        var layers = Valid(json).Layers;

        AssertGlobalDefaults(layers.Global);
        AssertProxyDefaults(layers.Proxy);
        Assert.True(layers.Global.IsEnabled);
        Assert.True(layers.Proxy.IsEnabled);
        AssertBackendMetrics(layers.Backend.Metrics, false, true, true, true);
        AssertBackendTraces(layers.Backend.Traces, false, true, true, true);
    }

    /// <summary>§2.7 and §4.7: a missing <c>metrics</c> object is all-on; a present one starts all-false.</summary>
    [Theory]
    [InlineData("""{}""", false, true, true, true)]
    [InlineData("""{"metrics":null}""", false, true, true, true)]
    [InlineData("""{"traces":{}}""", false, true, true, true)]
    [InlineData("""{"metrics":{}}""", false, false, false, false)]
    [InlineData("""{"metrics":{"disable_stage":true}}""", true, false, false, false)]
    [InlineData("""{"metrics":{"disable_stage":true,"round_trip":true}}""", true, true, false, false)]
    [InlineData("""{"metrics":{"round_trip":false,"read_payload":true}}""", false, false, true, false)]
    [InlineData("""{"metrics":{"detailed_connection":true}}""", false, false, false, true)]
    [InlineData("""{"metrics":{"disable_stage":false,"round_trip":true,"read_payload":true,"detailed_connection":true}}""", false, true, true, true)]
    public void Parse_BackendMetrics_PresentVersusMissing(string backend, bool disableStage, bool roundTrip, bool readPayload, bool detailed)
    {
        var options = Valid($$$"""{"layers":{"backend":{{{backend}}}}}""");

        AssertBackendMetrics(options.Layers.Backend.Metrics, disableStage, roundTrip, readPayload, detailed);
    }

    [Theory]
    [InlineData("""{}""", false, true, true, true)]
    [InlineData("""{"traces":null}""", false, true, true, true)]
    [InlineData("""{"metrics":{}}""", false, true, true, true)]
    [InlineData("""{"traces":{}}""", false, false, false, false)]
    [InlineData("""{"traces":{"disable_stage":true}}""", true, false, false, false)]
    [InlineData("""{"traces":{"disable_stage":true,"round_trip":true}}""", true, true, false, false)]
    [InlineData("""{"traces":{"read_payload":true}}""", false, false, true, false)]
    [InlineData("""{"traces":{"detailed_connection":true}}""", false, false, false, true)]
    public void Parse_BackendTraces_PresentVersusMissing(string backend, bool disableStage, bool roundTrip, bool readPayload, bool detailed)
    {
        var options = Valid($$$"""{"layers":{"backend":{{{backend}}}}}""");

        AssertBackendTraces(options.Layers.Backend.Traces, disableStage, roundTrip, readPayload, detailed);
        Assert.False(options.Layers.Backend.Traces.ReportHeaders);
        Assert.Empty(options.Layers.Backend.Traces.SkipHeaders);
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"skip_paths":null}""")]
    [InlineData("""{"skip_paths":[]}""")]
    public void Parse_SkipPathsMissingOrEmpty_UsesTheFourDefaults(string json)
    {
        Assert.Equal(SkipPaths.KrakenDDefaults, Valid(json).SkipPaths.Paths);
    }

    [Fact]
    public void Parse_SkipPathsWithEmptyString_SkipsNothing()
    {
        var skip = Valid("""{"skip_paths":[""]}""").SkipPaths;

        Assert.Equal([""], skip.Paths);
        foreach (var path in SkipPaths.KrakenDDefaults)
        {
            Assert.False(skip.Matches(path));
        }
    }

    [Fact]
    public void Parse_SkipPathsGiven_ReplaceTheDefaults()
    {
        var skip = Valid("""{"skip_paths":["/a","/b/{c}"]}""").SkipPaths;

        Assert.Equal(["/a", "/b/{c}"], skip.Paths);
        Assert.False(skip.Matches("/__health"));
        Assert.True(skip.Matches("/a"));
    }

    [Theory]
    [InlineData("""{}""", null)]
    [InlineData("""{"service_name":""}""", null)]
    [InlineData("""{"service_name":null}""", null)]
    [InlineData("""{"service_name":"gw"}""", "gw")]
    public void Parse_ServiceName_EmptyMeansUnset(string json, string? expected)
    {
        Assert.Equal(expected, Valid(json).ServiceName);
    }

    [Fact]
    public void Parse_EveryServiceField_IsRead()
    {
        var options = Valid("""
            {
              "service_name": "gw", "service_version": "1.2.3", "deploy_env": "prod",
              "metric_reporting_period": 10, "trace_sample_rate": 0.25, "skip_paths": ["/x"],
              "histograms": {"time_buckets": [0.1, 1], "size_buckets": [10, 100]},
              "exporters": {"otlp": [{"name": "o"}]}
            }
            """);

        Assert.Equal("gw", options.ServiceName);
        Assert.Equal("1.2.3", options.ServiceVersion);
        Assert.Equal("prod", options.DeployEnv);
        Assert.Equal(TimeSpan.FromSeconds(10), options.MetricReportingPeriod);
        Assert.Equal(0.25, options.TraceSampleRate);
        Assert.Equal(TraceSampling.ParentBasedTraceIdRatio, options.TraceSampling);
        Assert.Equal(["/x"], options.SkipPaths.Paths);
        Assert.Equal([0.1, 1.0], options.Histograms.TimeBuckets);
        Assert.Equal([10.0, 100.0], options.Histograms.SizeBuckets);
    }

    [Fact]
    public void Parse_OnlyTimeBuckets_KeepsDefaultSizeBuckets()
    {
        var histograms = Valid("""{"histograms":{"time_buckets":[1,2]}}""").Histograms;

        Assert.Equal([1.0, 2.0], histograms.TimeBuckets);
        Assert.Equal(HistogramOptions.DefaultSizeBuckets, histograms.SizeBuckets);
    }

    [Fact]
    public void Parse_GlobalLayer_ReadsEveryField()
    {
        var global = Valid("""
            {"layers":{"global":{
              "disable_metrics": true, "disable_traces": true, "disable_propagation": true,
              "report_headers": true, "skip_headers": ["X-Api-Key"], "report_headers_allow_secrets": ["Cookie"],
              "metrics_static_attributes": [{"key":"a","value":"1"}],
              "traces_static_attributes": [{"key":"b","value":"2"}],
              "semantic_convention": "1.27"
            }}}
            """).Layers.Global;

        Assert.True(global.DisableMetrics);
        Assert.True(global.DisableTraces);
        Assert.True(global.DisablePropagation);
        Assert.False(global.IsEnabled);
        Assert.True(global.ReportHeaders);
        Assert.Equal(["X-Api-Key"], global.SkipHeaders);
        Assert.Equal(["Cookie"], global.ReportHeadersAllowSecrets);
        Assert.Equal("a=1", Attributes(global.MetricsStaticAttributes));
        Assert.Equal("b=2", Attributes(global.TracesStaticAttributes));
        Assert.Equal("1.27", global.SemanticConvention);
        Assert.True(global.UsesSemanticConvention127);
    }

    [Theory]
    [InlineData(true, false, false, true)]
    [InlineData(false, true, false, true)]
    [InlineData(false, false, true, true)]
    [InlineData(true, true, false, true)]
    [InlineData(true, true, true, false)]
    public void GlobalLayer_IsEnabled_UnlessAllThreeAreDisabled(bool metrics, bool traces, bool propagation, bool enabled)
    {
        var global = new GlobalLayerOptions { DisableMetrics = metrics, DisableTraces = traces, DisablePropagation = propagation };

        Assert.Equal(enabled, global.IsEnabled);
    }

    [Theory]
    [InlineData(false, false, true)]
    [InlineData(true, false, true)]
    [InlineData(false, true, true)]
    [InlineData(true, true, false)]
    public void ProxyLayer_IsEnabled_UnlessBothAreDisabled(bool metrics, bool traces, bool enabled)
    {
        Assert.Equal(enabled, new ProxyLayerOptions { DisableMetrics = metrics, DisableTraces = traces }.IsEnabled);
    }

    [Fact]
    public void Parse_ProxyLayer_ReadsEveryField()
    {
        var proxy = Valid("""
            {"layers":{"proxy":{
              "disable_metrics": true, "disable_traces": false, "report_headers": true, "skip_headers": ["a"],
              "report_headers_allow_secrets": ["Authorization"],
              "metrics_static_attributes": [{"key":"m","value":"1"}], "traces_static_attributes": [{"key":"t","value":"2"}]
            }}}
            """).Layers.Proxy;

        Assert.True(proxy.DisableMetrics);
        Assert.False(proxy.DisableTraces);
        Assert.True(proxy.ReportHeaders);
        Assert.Equal(["a"], proxy.SkipHeaders);
        Assert.Equal(["Authorization"], proxy.ReportHeadersAllowSecrets);
        Assert.Equal("m=1", Attributes(proxy.MetricsStaticAttributes));
        Assert.Equal("t=2", Attributes(proxy.TracesStaticAttributes));
    }

    [Fact]
    public void Parse_BackendTraces_ReadsHeaderFields()
    {
        var traces = Valid("""
            {"layers":{"backend":{"traces":{"report_headers":true,"skip_headers":["x"],"report_headers_allow_secrets":["Set-Cookie"],
              "static_attributes":[{"key":"k","value":"v"}]}}}}
            """).Layers.Backend.Traces;

        Assert.True(traces.ReportHeaders);
        Assert.Equal(["x"], traces.SkipHeaders);
        Assert.Equal(["Set-Cookie"], traces.ReportHeadersAllowSecrets);
        Assert.Equal("k=v", Attributes(traces.StaticAttributes));
    }

    /// <summary>§2.9: entries with an empty key or value are dropped; on a repeated key the later value wins.</summary>
    [Theory]
    [InlineData("""[{"key":"a","value":"1"},{"key":"","value":"2"},{"key":"b","value":""},{"key":"c"}]""", "a=1")]
    [InlineData("""[{"key":"a","value":"1"},{"key":"b","value":"2"},{"key":"a","value":"3"}]""", "a=3,b=2")]
    [InlineData("""[]""", "")]
    [InlineData("""null""", "")]
    public void Parse_StaticAttributes_DropEmptyAndKeepLastValue(string attributes, string expected)
    {
        var options = Valid("""{"layers":{"backend":{"metrics":{"static_attributes":""" + attributes + "}}}}");

        Assert.Equal(expected, Attributes(options.Layers.Backend.Metrics.StaticAttributes));
    }

    [Fact]
    public void Parse_OtlpExporter_Defaults()
    {
        var otlp = Assert.Single(Valid(WithExporter).Exporters.Otlp);

        Assert.Equal("otel", otlp.Name);
        Assert.Null(otlp.ConfiguredHost);
        Assert.Null(otlp.ConfiguredPort);
        Assert.Null(otlp.ConfiguredUseHttp);
        Assert.Equal("localhost", otlp.Host);
        Assert.Equal(4317, otlp.Port);
        Assert.False(otlp.UseHttp);
        Assert.False(otlp.DisableMetrics);
        Assert.False(otlp.DisableTraces);
        Assert.Null(otlp.CustomMetricReportingPeriod);
        Assert.Empty(otlp.Headers);
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(5, 5)]
    public void Parse_OtlpCustomReportingPeriod_ZeroMeansServiceLevel(int seconds, int? expected)
    {
        var otlp = Assert.Single(Valid($$$"""{"metric_reporting_period":7,"exporters":{"otlp":[{"name":"o","custom_metric_reporting_period":{{{seconds}}}}]}}""").Exporters.Otlp);

        Assert.Equal(expected is null ? null : TimeSpan.FromSeconds(expected.Value), otlp.CustomMetricReportingPeriod);
        Assert.Equal(TimeSpan.FromSeconds(expected ?? 7), otlp.ResolveMetricReportingPeriod(TimeSpan.FromSeconds(7)));
    }

    [Fact]
    public void Parse_OtlpExporter_ReadsEveryField()
    {
        var otlp = Assert.Single(Valid("""
            {"exporters":{"otlp":[{"name":"o","host":"https://collector.example","port":4000,"use_http":true,
              "disable_metrics":true,"disable_traces":false,"custom_metric_reporting_period":3}]}}
            """).Exporters.Otlp);

        Assert.Equal("https://collector.example", otlp.Host);
        Assert.Equal(4000, otlp.Port);
        Assert.True(otlp.UseHttp);
        Assert.True(otlp.DisableMetrics);
        Assert.False(otlp.DisableTraces);
        Assert.Equal(TimeSpan.FromSeconds(3), otlp.CustomMetricReportingPeriod);
    }

    [Fact]
    public void Parse_PrometheusExporter_Defaults()
    {
        var prometheus = Assert.Single(Valid("""{"exporters":{"prometheus":[{"name":"p"}]}}""").Exporters.Prometheus);

        Assert.Equal("p", prometheus.Name);
        Assert.Equal(9090, prometheus.Port);
        Assert.Equal("", prometheus.ListenIp);
        Assert.False(prometheus.ProcessMetrics);
        Assert.False(prometheus.GoMetrics);
        Assert.False(prometheus.DisableMetrics);
        Assert.Null(prometheus.CompanionUrl);
        Assert.Null(prometheus.CompanionKey);
    }

    [Fact]
    public void Parse_PrometheusExporter_ReadsEveryField()
    {
        var prometheus = Assert.Single(Valid("""
            {"exporters":{"prometheus":[{"name":"p","port":9100,"listen_ip":"127.0.0.1","process_metrics":true,"go_metrics":true,
              "disable_metrics":true,"companion_url":"https://agg.example/api/otlp","companion_key":"k3y"}]}}
            """).Exporters.Prometheus);

        Assert.Equal(9100, prometheus.Port);
        Assert.Equal("127.0.0.1", prometheus.ListenIp);
        Assert.True(prometheus.ProcessMetrics);
        Assert.True(prometheus.GoMetrics);
        Assert.True(prometheus.DisableMetrics);
        Assert.Equal(new Uri("https://agg.example/api/otlp"), prometheus.CompanionUrl);
        Assert.Equal("k3y", prometheus.CompanionKey);
    }

    [Fact]
    public void Parse_AzureMonitorExporter_ReadsEveryField()
    {
        var exporters = Valid("""
            {"exporters":{"azure_monitor":[
              {"name":"ai"},
              {"name":"ai2","connection_string":"InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://x/","disable_metrics":true,"disable_traces":false}
            ]}}
            """).Exporters.AzureMonitor;

        Assert.Equal(2, exporters.Count);
        Assert.Equal("ai", exporters[0].Name);
        Assert.Null(exporters[0].ConnectionString);
        Assert.False(exporters[0].DisableMetrics);
        Assert.False(exporters[0].DisableTraces);
        Assert.StartsWith("InstrumentationKey=", exporters[1].ConnectionString, StringComparison.Ordinal);
        Assert.True(exporters[1].DisableMetrics);
    }

    [Fact]
    public void Parse_SecurityNamespace_AddsHeadersToTheNamedOtlpExporter()
    {
        var options = Valid(
            """{"exporters":{"otlp":[{"name":"a"},{"name":"nr","host":"https://otlp.eu01.nr-data.net","use_http":true}]}}""",
            """{"otlp":[{"name":"nr","headers":{"api-key":"secret","X-Other":"v"}}]}""");

        Assert.Empty(options.Exporters.Otlp[0].Headers);
        var headers = options.Exporters.Otlp[1].Headers;
        Assert.Equal(2, headers.Count);
        Assert.Equal("secret", headers["API-KEY"]);
        Assert.Equal("v", headers["x-other"]);
    }

    [Fact]
    public void Parse_CommentKeys_AreIgnoredEverywhere()
    {
        var warnings = Warnings("""
            {"@comment":"x","$schema":"y","_note":1,"#tag":true,
             "exporters":{"@c":1,"otlp":[{"name":"o","_c":1}]},
             "layers":{"#c":1,"global":{"$c":1},"backend":{"metrics":{"@c":1}}}}
            """, out var options);

        Assert.Empty(warnings);
        Assert.Equal("o", Assert.Single(options.Exporters.Otlp).Name);
        AssertBackendMetrics(options.Layers.Backend.Metrics, false, false, false, false);
    }

    private static void AssertGlobalDefaults(GlobalLayerOptions global)
    {
        Assert.False(global.DisableMetrics);
        Assert.False(global.DisableTraces);
        Assert.False(global.DisablePropagation);
        Assert.False(global.ReportHeaders);
        Assert.Empty(global.SkipHeaders);
        Assert.Empty(global.ReportHeadersAllowSecrets);
        Assert.Empty(global.MetricsStaticAttributes);
        Assert.Empty(global.TracesStaticAttributes);
        Assert.Equal("", global.SemanticConvention);
        Assert.False(global.UsesSemanticConvention127);
    }

    private static void AssertProxyDefaults(ProxyLayerOptions proxy)
    {
        Assert.False(proxy.DisableMetrics);
        Assert.False(proxy.DisableTraces);
        Assert.False(proxy.ReportHeaders);
        Assert.Empty(proxy.SkipHeaders);
        Assert.Empty(proxy.ReportHeadersAllowSecrets);
        Assert.Empty(proxy.MetricsStaticAttributes);
        Assert.Empty(proxy.TracesStaticAttributes);
    }

    internal static void AssertBackendMetrics(BackendMetricsOptions metrics, bool disableStage, bool roundTrip, bool readPayload, bool detailed)
    {
        Assert.Equal(disableStage, metrics.DisableStage);
        Assert.Equal(roundTrip, metrics.RoundTrip);
        Assert.Equal(readPayload, metrics.ReadPayload);
        Assert.Equal(detailed, metrics.DetailedConnection);
    }

    internal static void AssertBackendTraces(BackendTracesOptions traces, bool disableStage, bool roundTrip, bool readPayload, bool detailed)
    {
        Assert.Equal(disableStage, traces.DisableStage);
        Assert.Equal(roundTrip, traces.RoundTrip);
        Assert.Equal(readPayload, traces.ReadPayload);
        Assert.Equal(detailed, traces.DetailedConnection);
    }
}
