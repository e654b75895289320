using static Telemetry.Configuration.Tests.TelemetryDefaultsTests;
using static Telemetry.Configuration.Tests.TelemetryTestConfig;

namespace Telemetry.Configuration.Tests;

/// <summary>Reference §2.8: endpoint-level <c>proxy</c>/<c>global</c>, backend-level <c>backend</c>, no inheritance.</summary>
public sealed class TelemetryOverrideTests
{
    private const string Service = """
        {
          "exporters": {"otlp": [{"name": "o"}]},
          "layers": {
            "global": {"disable_traces": true, "report_headers": true,
                       "metrics_static_attributes": [{"key":"a","value":"1"},{"key":"b","value":"2"}],
                       "traces_static_attributes": [{"key":"t","value":"1"}]},
            "proxy": {"disable_metrics": true, "report_headers": true, "skip_headers": ["X-S"],
                      "metrics_static_attributes": [{"key":"p1","value":"1"},{"key":"p2","value":"2"}],
                      "traces_static_attributes": [{"key":"p3","value":"3"}]},
            "backend": {"metrics": {"disable_stage": true, "static_attributes": [{"key":"m","value":"1"}]},
                        "traces": {"round_trip": true, "static_attributes": [{"key":"t","value":"1"}]}}
          }
        }
        """;

    [Fact]
    public void ResolveProxy_WithoutOverride_UsesServiceLevel()
    {
        var options = Valid(Service);

        Assert.Same(options.Layers.Proxy, options.ResolveProxy(null));
        Assert.Same(options.Layers.Proxy, options.ResolveProxy(Endpoint("{}")));
        Assert.Same(options.Layers.Proxy, options.ResolveProxy(Endpoint("""{"global":{}}""")));
    }

    [Fact]
    public void ResolveProxy_Override_ReplacesWithoutMerging()
    {
        var options = Valid(Service);

        var proxy = options.ResolveProxy(Endpoint("""{"proxy":{"traces_static_attributes":[{"key":"e","value":"1"}]}}"""));

        // Fields the override leaves out are false/empty, not inherited (krakend-otel state/config_test.go).
        Assert.False(proxy.DisableMetrics);
        Assert.False(proxy.ReportHeaders);
        Assert.Empty(proxy.SkipHeaders);
        Assert.Empty(proxy.MetricsStaticAttributes);
        Assert.Equal("e=1", Attributes(proxy.TracesStaticAttributes));
    }

    [Fact]
    public void ResolveProxy_EmptyOverride_TurnsEverythingBackOn()
    {
        var proxy = Valid(Service).ResolveProxy(Endpoint("""{"proxy":{}}"""));

        Assert.Equal(ProxyLayerOptions.Default, proxy);
        Assert.True(proxy.IsEnabled);
    }

    [Fact]
    public void ResolveGlobal_AddsEndpointStaticAttributes_EndpointWinsOnCollision()
    {
        var options = Valid(Service);

        var global = options.ResolveGlobal(Endpoint("""
            {"global":{"metrics_static_attributes":[{"key":"b","value":"20"},{"key":"c","value":"3"}],
                       "traces_static_attributes":[{"key":"u","value":"2"}]}}
            """));

        Assert.Equal("a=1,b=20,c=3", Attributes(global.MetricsStaticAttributes));
        Assert.Equal("t=1,u=2", Attributes(global.TracesStaticAttributes));
        // Everything else stays service-level.
        Assert.True(global.DisableTraces);
        Assert.True(global.ReportHeaders);
    }

    [Fact]
    public void ResolveGlobal_WithoutEndpointGlobal_IsTheServiceLevel()
    {
        var options = Valid(Service);

        Assert.Same(options.Layers.Global, options.ResolveGlobal(null));
        Assert.Same(options.Layers.Global, options.ResolveGlobal(Endpoint("""{"proxy":{}}""")));
    }

    [Fact]
    public void EndpointGlobal_OtherFields_AreIgnoredWithAWarning()
    {
        var warnings = new List<TelemetryConfigProblem>();
        var options = Valid(Service);

        var global = options.ResolveGlobal(Endpoint("""{"global":{"disable_traces":false,"report_headers":false,"colour":1}}""", warnings));

        Assert.True(global.DisableTraces);
        Assert.True(global.ReportHeaders);
        Assert.Equal(
            [
                new TelemetryConfigProblem(EndpointPath + ".global.disable_traces", "cannot be set per endpoint (only metrics_static_attributes and traces_static_attributes can); ignored"),
                new TelemetryConfigProblem(EndpointPath + ".global.report_headers", "cannot be set per endpoint (only metrics_static_attributes and traces_static_attributes can); ignored"),
                new TelemetryConfigProblem(EndpointPath + ".global.colour", "unknown option; ignored"),
            ],
            warnings);
    }

    [Fact]
    public void ResolveBackend_WithoutOverride_UsesServiceLevel()
    {
        var options = Valid(Service);

        Assert.Same(options.Layers.Backend, options.ResolveBackend(null, null));
        Assert.Same(options.Layers.Backend, options.ResolveBackend(null, Backend("{}")));
        Assert.Same(options.Layers.Backend, options.ResolveBackend(Endpoint("{}"), Backend("""{"proxy":{}}""")));
    }

    [Fact]
    public void ResolveBackend_Override_ReplacesBothStaticAttributeLists()
    {
        var backend = Valid(Service).ResolveBackend(null, Backend("""
            {"backend":{"metrics":{"static_attributes":[{"key":"x","value":"1"}]},
                        "traces":{"static_attributes":[{"key":"y","value":"2"},{"key":"z","value":"3"}]}}}
            """));

        Assert.Equal("x=1", Attributes(backend.Metrics.StaticAttributes));
        Assert.Equal("y=2,z=3", Attributes(backend.Traces.StaticAttributes));
        // Present objects: every flag left out is false, nothing comes from the service level.
        AssertBackendMetrics(backend.Metrics, false, false, false, false);
        AssertBackendTraces(backend.Traces, false, false, false, false);
    }

    /// <summary>§2.8: a <c>metrics</c> left out of the override falls back to the all-true defaults, not to the service level.</summary>
    [Fact]
    public void ResolveBackend_OverrideWithoutMetrics_UsesMissingObjectDefaults()
    {
        var backend = Valid(Service).ResolveBackend(null, Backend("""{"backend":{"traces":{}}}"""));

        AssertBackendMetrics(backend.Metrics, false, true, true, true);
        Assert.Empty(backend.Metrics.StaticAttributes);
        AssertBackendTraces(backend.Traces, false, false, false, false);
    }

    /// <summary>Q9: KrakenD CE may panic here; we apply the same rule as for metrics.</summary>
    [Fact]
    public void ResolveBackend_OverrideWithoutTraces_UsesMissingObjectDefaults()
    {
        var backend = Valid(Service).ResolveBackend(null, Backend("""{"backend":{"metrics":{"round_trip":true}}}"""));

        AssertBackendMetrics(backend.Metrics, false, true, false, false);
        AssertBackendTraces(backend.Traces, false, true, true, true);
        Assert.Empty(backend.Traces.StaticAttributes);
    }

    [Fact]
    public void ResolveBackend_EmptyBackendObject_IsAllDefaults()
    {
        var backend = Valid(Service).ResolveBackend(null, Backend("""{"backend":{}}"""));

        Assert.Equal(BackendLayerOptions.Default, backend);
    }

    [Fact]
    public void ResolveBackend_EndpointLevelBackend_AppliesUnlessTheBackendHasItsOwn()
    {
        var options = Valid(Service);
        var endpoint = Endpoint("""{"backend":{"metrics":{"detailed_connection":true}}}""");

        var fromEndpoint = options.ResolveBackend(endpoint, null);
        AssertBackendMetrics(fromEndpoint.Metrics, false, false, false, true);
        AssertBackendTraces(fromEndpoint.Traces, false, true, true, true);

        var fromBackend = options.ResolveBackend(endpoint, Backend("""{"backend":{"metrics":{"read_payload":true}}}"""));
        AssertBackendMetrics(fromBackend.Metrics, false, false, true, false);
    }

    [Theory]
    [InlineData("""{"backend":{"metrics":{}},"proxy":{}}""", BackendPath + ".proxy", "is not read at backend level (only backend is); ignored")]
    [InlineData("""{"global":{}}""", BackendPath + ".global", "is not read at backend level (only backend is); ignored")]
    [InlineData("""{"layers":{"backend":{}}}""", BackendPath + ".layers", "override keys sit directly under the namespace (backend), without \"layers\"; ignored")]
    [InlineData("""{"backend":{"metrics":{"x":1}}}""", BackendPath + ".backend.metrics.x", "unknown option; ignored")]
    [InlineData("""{"something":1}""", BackendPath + ".something", "unknown option; ignored")]
    public void ParseBackendOverride_IgnoredKeys_AreWarnings(string json, string path, string message)
    {
        var warnings = new List<TelemetryConfigProblem>();

        Backend(json, warnings);

        Assert.Equal(new TelemetryConfigProblem(path, message), Assert.Single(warnings));
    }

    [Theory]
    [InlineData("""{"exporters_override":{"metric_exporters":["o"]}}""", EndpointPath + ".exporters_override", "per-endpoint exporter selection (KrakenD Enterprise) is not supported; ignored")]
    [InlineData("""{"layers":{"proxy":{}}}""", EndpointPath + ".layers", "override keys sit directly under the namespace (proxy, global, backend), without \"layers\"; ignored")]
    [InlineData("""{"proxy":{"foo":true}}""", EndpointPath + ".proxy.foo", "unknown option; ignored")]
    [InlineData("""{"trace_sample_rate":0.5}""", EndpointPath + ".trace_sample_rate", "unknown option; ignored")]
    public void ParseEndpointOverride_IgnoredKeys_AreWarnings(string json, string path, string message)
    {
        var warnings = new List<TelemetryConfigProblem>();

        Endpoint(json, warnings);

        Assert.Equal(new TelemetryConfigProblem(path, message), Assert.Single(warnings));
    }

    [Theory]
    [InlineData("""[]""", EndpointPath, "must be an object")]
    [InlineData("""{"proxy":[]}""", EndpointPath + ".proxy", "must be an object")]
    [InlineData("""{"proxy":{"disable_metrics":"yes"}}""", EndpointPath + ".proxy.disable_metrics", "must be true or false")]
    [InlineData("""{"global":"x"}""", EndpointPath + ".global", "must be an object")]
    [InlineData("""{"global":{"metrics_static_attributes":[{"key":"k","value":1}]}}""", EndpointPath + ".global.metrics_static_attributes[0].value", "must be a string")]
    [InlineData("""{"backend":{"traces":{"report_headers":1}}}""", EndpointPath + ".backend.traces.report_headers", "must be true or false")]
    public void ParseEndpointOverride_InvalidValue_ReportsPath(string json, string path, string message)
    {
        var problems = new List<TelemetryConfigProblem>();

        var result = TelemetryOptionsParser.ParseEndpointOverride(Json(json), EndpointPath, problems);

        Assert.Null(result);
        Assert.Equal(new TelemetryConfigProblem(path, message), Assert.Single(problems));
    }

    [Theory]
    [InlineData("""1""", BackendPath, "must be an object")]
    [InlineData("""{"backend":[]}""", BackendPath + ".backend", "must be an object")]
    [InlineData("""{"backend":{"metrics":"on"}}""", BackendPath + ".backend.metrics", "must be an object")]
    [InlineData("""{"backend":{"metrics":{"disable_stage":"true"}}}""", BackendPath + ".backend.metrics.disable_stage", "must be true or false")]
    [InlineData("""{"backend":{"traces":{"skip_headers":[1]}}}""", BackendPath + ".backend.traces.skip_headers[0]", "must be a string")]
    public void ParseBackendOverride_InvalidValue_ReportsPath(string json, string path, string message)
    {
        var problems = new List<TelemetryConfigProblem>();

        var result = TelemetryOptionsParser.ParseBackendOverride(Json(json), BackendPath, problems);

        Assert.Null(result);
        Assert.Equal(new TelemetryConfigProblem(path, message), Assert.Single(problems));
    }

    [Fact]
    public void ParseOverrides_Null_MeansNothingOverridden()
    {
        var options = Valid(Service);

        Assert.Same(options.Layers.Proxy, options.ResolveProxy(Endpoint("null")));
        Assert.Same(options.Layers.Backend, options.ResolveBackend(Endpoint("""{"backend":null}"""), Backend("null")));
        Assert.Same(options.Layers.Backend, options.ResolveBackend(null, Backend("""{"backend":null}""")));
    }

    [Fact]
    public void AttributeMerge_LaterWins_KeepsFirstPosition()
    {
        TelemetryAttribute[] first = [new("a", "1"), new("b", "2")];
        TelemetryAttribute[] second = [new("b", "3"), new("c", "4"), new("c", "5")];

        Assert.Equal("a=1,b=3,c=5", Attributes(TelemetryAttribute.Merge(first, second)));
        Assert.Same(first, TelemetryAttribute.Merge(first, []));
        Assert.Same(second, TelemetryAttribute.Merge([], second));
    }
}
