using static Telemetry.Configuration.Tests.TelemetryTestConfig;

namespace Telemetry.Configuration.Tests;

/// <summary>Every validation error, with its exact JSON path and message; and what is only a warning.</summary>
public sealed class TelemetryValidationTests
{
    private const string Ns = ServicePath;

    [Theory]
    // the namespace and its objects
    [InlineData("""[]""", Ns, "must be an object")]
    [InlineData("""{"exporters":[]}""", Ns + ".exporters", "must be an object")]
    [InlineData("""{"layers":true}""", Ns + ".layers", "must be an object")]
    [InlineData("""{"layers":{"global":1}}""", Ns + ".layers.global", "must be an object")]
    [InlineData("""{"layers":{"proxy":"x"}}""", Ns + ".layers.proxy", "must be an object")]
    [InlineData("""{"layers":{"backend":[]}}""", Ns + ".layers.backend", "must be an object")]
    [InlineData("""{"layers":{"backend":{"metrics":true}}}""", Ns + ".layers.backend.metrics", "must be an object")]
    [InlineData("""{"layers":{"backend":{"traces":1}}}""", Ns + ".layers.backend.traces", "must be an object")]
    [InlineData("""{"histograms":[]}""", Ns + ".histograms", "must be an object")]
    // scalar types
    [InlineData("""{"service_name":1}""", Ns + ".service_name", "must be a string")]
    [InlineData("""{"service_version":true}""", Ns + ".service_version", "must be a string")]
    [InlineData("""{"deploy_env":{}}""", Ns + ".deploy_env", "must be a string")]
    [InlineData("""{"layers":{"global":{"disable_metrics":"yes"}}}""", Ns + ".layers.global.disable_metrics", "must be true or false")]
    [InlineData("""{"layers":{"global":{"disable_propagation":0}}}""", Ns + ".layers.global.disable_propagation", "must be true or false")]
    [InlineData("""{"layers":{"global":{"semantic_convention":1.27}}}""", Ns + ".layers.global.semantic_convention", "must be a string")]
    [InlineData("""{"layers":{"proxy":{"report_headers":"true"}}}""", Ns + ".layers.proxy.report_headers", "must be true or false")]
    [InlineData("""{"layers":{"backend":{"metrics":{"round_trip":1}}}}""", Ns + ".layers.backend.metrics.round_trip", "must be true or false")]
    [InlineData("""{"layers":{"backend":{"traces":{"disable_stage":"no"}}}}""", Ns + ".layers.backend.traces.disable_stage", "must be true or false")]
    // arrays
    [InlineData("""{"skip_paths":"/__health"}""", Ns + ".skip_paths", "must be an array of strings")]
    [InlineData("""{"skip_paths":["/a",1]}""", Ns + ".skip_paths[1]", "must be a string")]
    [InlineData("""{"layers":{"global":{"skip_headers":"Cookie"}}}""", Ns + ".layers.global.skip_headers", "must be an array of strings")]
    [InlineData("""{"layers":{"proxy":{"report_headers_allow_secrets":[true]}}}""", Ns + ".layers.proxy.report_headers_allow_secrets[0]", "must be a string")]
    [InlineData("""{"layers":{"global":{"metrics_static_attributes":{}}}}""", Ns + ".layers.global.metrics_static_attributes", "must be an array of {\"key\": …, \"value\": …} objects")]
    [InlineData("""{"layers":{"proxy":{"traces_static_attributes":["a=b"]}}}""", Ns + ".layers.proxy.traces_static_attributes[0]", "must be an object with key and value")]
    [InlineData("""{"layers":{"backend":{"metrics":{"static_attributes":[{"key":1,"value":"v"}]}}}}""", Ns + ".layers.backend.metrics.static_attributes[0].key", "must be a string")]
    [InlineData("""{"layers":{"backend":{"traces":{"static_attributes":[{"key":"k","value":2}]}}}}""", Ns + ".layers.backend.traces.static_attributes[0].value", "must be a string")]
    // numbers
    [InlineData("""{"metric_reporting_period":0}""", Ns + ".metric_reporting_period", "must be a whole number of seconds greater than zero")]
    [InlineData("""{"metric_reporting_period":-5}""", Ns + ".metric_reporting_period", "must be a whole number of seconds greater than zero")]
    [InlineData("""{"metric_reporting_period":1.5}""", Ns + ".metric_reporting_period", "must be a whole number of seconds greater than zero")]
    [InlineData("""{"metric_reporting_period":"30s"}""", Ns + ".metric_reporting_period", "must be a whole number of seconds greater than zero")]
    [InlineData("""{"trace_sample_rate":1.5}""", Ns + ".trace_sample_rate", "must be a number between 0 and 1")]
    [InlineData("""{"trace_sample_rate":-0.1}""", Ns + ".trace_sample_rate", "must be a number between 0 and 1")]
    [InlineData("""{"trace_sample_rate":"0.5"}""", Ns + ".trace_sample_rate", "must be a number between 0 and 1")]
    [InlineData("""{"histograms":{"time_buckets":[]}}""", Ns + ".histograms.time_buckets", "must be a non-empty array of increasing numbers")]
    [InlineData("""{"histograms":{"size_buckets":"x"}}""", Ns + ".histograms.size_buckets", "must be a non-empty array of increasing numbers")]
    [InlineData("""{"histograms":{"time_buckets":[1,0.5]}}""", Ns + ".histograms.time_buckets[1]", "must be greater than the previous boundary (boundaries are strictly increasing)")]
    [InlineData("""{"histograms":{"time_buckets":[1,1]}}""", Ns + ".histograms.time_buckets[1]", "must be greater than the previous boundary (boundaries are strictly increasing)")]
    [InlineData("""{"histograms":{"size_buckets":[-1]}}""", Ns + ".histograms.size_buckets[0]", "must be a number, zero or more")]
    [InlineData("""{"histograms":{"size_buckets":["1"]}}""", Ns + ".histograms.size_buckets[0]", "must be a number, zero or more")]
    public void Parse_InvalidValue_ReportsPathAndMessage(string json, string path, string message)
    {
        var problem = Assert.Single(Errors(json));

        Assert.Equal(path, problem.Path);
        Assert.Equal(message, problem.Message);
    }

    [Theory]
    [InlineData("""{"otlp":{}}""", ".exporters.otlp", "must be an array")]
    [InlineData("""{"prometheus":"p"}""", ".exporters.prometheus", "must be an array")]
    [InlineData("""{"azure_monitor":1}""", ".exporters.azure_monitor", "must be an array")]
    [InlineData("""{"otlp":["o"]}""", ".exporters.otlp[0]", "must be an object")]
    [InlineData("""{"otlp":[{}]}""", ".exporters.otlp[0].name", "is required (a name unique across every exporter)")]
    [InlineData("""{"otlp":[{"name":""}]}""", ".exporters.otlp[0].name", "is required (a name unique across every exporter)")]
    [InlineData("""{"otlp":[{"name":3}]}""", ".exporters.otlp[0].name", "must be a string")]
    [InlineData("""{"prometheus":[{"port":9090}]}""", ".exporters.prometheus[0].name", "is required (a name unique across every exporter)")]
    [InlineData("""{"azure_monitor":[{}]}""", ".exporters.azure_monitor[0].name", "is required (a name unique across every exporter)")]
    [InlineData("""{"otlp":[{"name":"a"},{"name":"a"}]}""", ".exporters.otlp[1].name", "duplicate exporter name \"a\" (already used at exporters.otlp[0])")]
    [InlineData("""{"otlp":[{"name":"a"}],"prometheus":[{"name":"a"}]}""", ".exporters.prometheus[0].name", "duplicate exporter name \"a\" (already used at exporters.otlp[0])")]
    [InlineData("""{"prometheus":[{"name":"x"}],"azure_monitor":[{"name":"y"},{"name":"x"}]}""", ".exporters.azure_monitor[1].name", "duplicate exporter name \"x\" (already used at exporters.prometheus[0])")]
    [InlineData("""{"otlp":[{"name":"o","port":0}]}""", ".exporters.otlp[0].port", "must be between 1 and 65535")]
    [InlineData("""{"otlp":[{"name":"o","port":65536}]}""", ".exporters.otlp[0].port", "must be between 1 and 65535")]
    [InlineData("""{"otlp":[{"name":"o","port":-1}]}""", ".exporters.otlp[0].port", "must be between 1 and 65535")]
    [InlineData("""{"otlp":[{"name":"o","port":"4317"}]}""", ".exporters.otlp[0].port", "must be a whole number between 1 and 65535")]
    [InlineData("""{"otlp":[{"name":"o","port":4317.5}]}""", ".exporters.otlp[0].port", "must be a whole number between 1 and 65535")]
    [InlineData("""{"otlp":[{"name":"o","use_http":"true"}]}""", ".exporters.otlp[0].use_http", "must be true or false")]
    [InlineData("""{"otlp":[{"name":"o","disable_metrics":1}]}""", ".exporters.otlp[0].disable_metrics", "must be true or false")]
    [InlineData("""{"otlp":[{"name":"o","disable_traces":null,"host":5}]}""", ".exporters.otlp[0].host", "must be a string")]
    [InlineData("""{"otlp":[{"name":"o","host":"ftp://collector"}]}""", ".exporters.otlp[0].host", "\"ftp://collector\" has an unsupported scheme (use http:// or https://, or none)")]
    [InlineData("""{"otlp":[{"name":"o","host":"collector:4317"}]}""", ".exporters.otlp[0].host", "\"collector:4317\" must not carry a port: use the port field")]
    [InlineData("""{"otlp":[{"name":"o","host":"http://collector:4318"}]}""", ".exporters.otlp[0].host", "\"http://collector:4318\" must not carry a port: use the port field")]
    [InlineData("""{"otlp":[{"name":"o","host":"::1"}]}""", ".exporters.otlp[0].host", "\"::1\": write an IPv6 address in brackets, e.g. [::1]")]
    [InlineData("""{"otlp":[{"name":"o","host":""}]}""", ".exporters.otlp[0].host", "\"\" is not a valid host")]
    [InlineData("""{"otlp":[{"name":"o","host":"bad host"}]}""", ".exporters.otlp[0].host", "\"bad host\" is not a valid host")]
    [InlineData("""{"otlp":[{"name":"o","custom_metric_reporting_period":-1}]}""", ".exporters.otlp[0].custom_metric_reporting_period", "must be a whole number of seconds, zero or more (0 uses metric_reporting_period)")]
    [InlineData("""{"prometheus":[{"name":"p","port":70000}]}""", ".exporters.prometheus[0].port", "must be between 1 and 65535")]
    [InlineData("""{"prometheus":[{"name":"p","process_metrics":"yes"}]}""", ".exporters.prometheus[0].process_metrics", "must be true or false")]
    [InlineData("""{"prometheus":[{"name":"p","listen_ip":"not an ip"}]}""", ".exporters.prometheus[0].listen_ip", "\"not an ip\" is not an IP address or host name")]
    [InlineData("""{"prometheus":[{"name":"p","host":"0.0.0.0","listen_ip":"127.0.0.1"}]}""", ".exporters.prometheus[0].listen_ip", "\"127.0.0.1\" conflicts with host \"0.0.0.0\" at extra_config.telemetry/opentelemetry.exporters.prometheus[0].host (both set the listen address)")]
    [InlineData("""{"prometheus":[{"name":"p","companion_url":"/relative"}]}""", ".exporters.prometheus[0].companion_url", "\"/relative\" is not an absolute http or https URL")]
    [InlineData("""{"prometheus":[{"name":"p","companion_url":"ftp://x/y"}]}""", ".exporters.prometheus[0].companion_url", "\"ftp://x/y\" is not an absolute http or https URL")]
    [InlineData("""{"prometheus":[{"name":"p","companion_key":1}]}""", ".exporters.prometheus[0].companion_key", "must be a string")]
    [InlineData("""{"azure_monitor":[{"name":"a","connection_string":"s3cr3t"}]}""", ".exporters.azure_monitor[0].connection_string", "is not an Application Insights connection string (InstrumentationKey=…;IngestionEndpoint=…)")]
    [InlineData("""{"azure_monitor":[{"name":"a","connection_string":"IngestionEndpoint=https://x/"}]}""", ".exporters.azure_monitor[0].connection_string", "is not an Application Insights connection string (InstrumentationKey=…;IngestionEndpoint=…)")]
    [InlineData("""{"azure_monitor":[{"name":"a","disable_traces":"no"}]}""", ".exporters.azure_monitor[0].disable_traces", "must be true or false")]
    public void Parse_InvalidExporter_ReportsPathAndMessage(string exporters, string path, string message)
    {
        var problem = Assert.Single(Errors($$$"""{"exporters":{{{exporters}}}}"""));

        Assert.Equal(Ns + path, problem.Path);
        Assert.Equal(message, problem.Message);
    }

    [Fact]
    public void Parse_InvalidConnectionString_NeverEchoesTheSecret()
    {
        var problem = Assert.Single(Errors("""{"exporters":{"azure_monitor":[{"name":"a","connection_string":"TopSecretValue"}]}}"""));

        Assert.DoesNotContain("TopSecretValue", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SeveralProblems_AreAllReported()
    {
        var problems = Errors("""{"trace_sample_rate":2,"metric_reporting_period":0,"exporters":{"otlp":[{"port":0}]}}""");

        Assert.Equal(
            [Ns + ".trace_sample_rate", Ns + ".metric_reporting_period", Ns + ".exporters.otlp[0].name", Ns + ".exporters.otlp[0].port"],
            problems.Select(p => p.Path));
    }

    [Theory]
    [InlineData("""[]""", SecurityPath, "must be an object")]
    [InlineData("""{"otlp":{}}""", SecurityPath + ".otlp", "must be an array")]
    [InlineData("""{"otlp":[1]}""", SecurityPath + ".otlp[0]", "must be an object")]
    [InlineData("""{"otlp":[{"headers":{}}]}""", SecurityPath + ".otlp[0].name", "is required (the name of an exporters.otlp entry)")]
    [InlineData("""{"otlp":[{"name":"nope","headers":{}}]}""", SecurityPath + ".otlp[0].name", "no exporters.otlp entry is named \"nope\"")]
    [InlineData("""{"otlp":[{"name":"p","headers":{}}]}""", SecurityPath + ".otlp[0].name", "no exporters.otlp entry is named \"p\"")]
    [InlineData("""{"otlp":[{"name":"o"},{"name":"o"}]}""", SecurityPath + ".otlp[1].name", "duplicate name \"o\" (already used at otlp[0])")]
    [InlineData("""{"otlp":[{"name":"o","headers":[]}]}""", SecurityPath + ".otlp[0].headers", "must be an object")]
    [InlineData("""{"otlp":[{"name":"o","headers":{"api-key":1}}]}""", SecurityPath + ".otlp[0].headers.api-key", "must be a string")]
    [InlineData("""{"otlp":[{"name":"o","headers":{"bad header":"v"}}]}""", SecurityPath + ".otlp[0].headers.bad header", "is not a valid header name")]
    [InlineData("""{"otlp":[{"name":"o","headers":{"x":"a\r\nInjected: 1"}}]}""", SecurityPath + ".otlp[0].headers.x", "must not contain CR or LF")]
    public void Parse_InvalidSecurityNamespace_ReportsPathAndMessage(string security, string path, string message)
    {
        var problem = Assert.Single(Errors("""{"exporters":{"otlp":[{"name":"o"}],"prometheus":[{"name":"p"}]}}""", security));

        Assert.Equal(path, problem.Path);
        Assert.Equal(message, problem.Message);
    }

    [Fact]
    public void Parse_SecurityPath_CanBeGivenExplicitly()
    {
        var problems = new List<TelemetryConfigProblem>();

        TelemetryOptionsParser.Parse(Json(WithExporter), Json("[]"), "ns", problems, securityPath: "sec");

        Assert.Equal("sec", Assert.Single(problems).Path);
        Assert.Equal("ns-security", TelemetryOptionsParser.SecurityPathFor("ns"));
        Assert.Equal(SecurityPath, TelemetryOptionsParser.SecurityPathFor(ServicePath));
    }

    [Fact]
    public void Parse_NullSecurityNamespace_IsIgnored()
    {
        Assert.Empty(Valid(WithExporter, "null").Exporters.Otlp[0].Headers);
    }

    [Theory]
    // unknown keys: KrakenD's Go decoder ignores them (§2.1), so they are warnings
    [InlineData("""{"exporters":{"otlp":[{"name":"o"}]},"colour":"red"}""", Ns + ".colour", "unknown option; ignored")]
    [InlineData("""{"exporters":{"otlp":[{"name":"o","compression":"gzip"}]}}""", Ns + ".exporters.otlp[0].compression", "unknown option; ignored")]
    [InlineData("""{"exporters":{"otlp":[{"name":"o"}],"zipkin":[]}}""", Ns + ".exporters.zipkin", "unknown option; ignored")]
    [InlineData("""{"exporters":{"prometheus":[{"name":"p","path":"/m"}]}}""", Ns + ".exporters.prometheus[0].path", "unknown option; ignored")]
    [InlineData("""{"exporters":{"azure_monitor":[{"name":"a","sampling":1}]}}""", Ns + ".exporters.azure_monitor[0].sampling", "unknown option; ignored")]
    [InlineData(WithExporter, null, null)]
    public void Parse_UnknownKey_IsAWarning(string json, string? path, string? message)
    {
        var warnings = Warnings(json, out _);

        if (path is null)
        {
            Assert.Empty(warnings);
            return;
        }

        var warning = Assert.Single(warnings);
        Assert.Equal(path, warning.Path);
        Assert.Equal(message, warning.Message);
    }

    [Theory]
    [InlineData("""{"layers":{"tracing":{}}}""", ".layers.tracing", "unknown option; ignored")]
    [InlineData("""{"layers":{"global":{"sample":1}}}""", ".layers.global.sample", "unknown option; ignored")]
    [InlineData("""{"layers":{"proxy":{"semantic_convention":"1.27"}}}""", ".layers.proxy.semantic_convention", "unknown option; ignored")]
    [InlineData("""{"layers":{"backend":{"logs":{}}}}""", ".layers.backend.logs", "unknown option; ignored")]
    [InlineData("""{"layers":{"backend":{"metrics":{"report_headers":true}}}}""", ".layers.backend.metrics.report_headers", "is only read under traces; ignored")]
    [InlineData("""{"layers":{"backend":{"traces":{"x":1}}}}""", ".layers.backend.traces.x", "unknown option; ignored")]
    [InlineData("""{"layers":{"global":{"metrics_static_attributes":[{"key":"k","value":"v","type":"int"}]}}}""", ".layers.global.metrics_static_attributes[0].type", "unknown option; ignored")]
    [InlineData("""{"layers":{"global":{"metrics_static_attributes":[{"key":"","value":"v"}]}}}""", ".layers.global.metrics_static_attributes[0]", "skipped: the key or the value is empty")]
    [InlineData("""{"layers":{"global":{"semantic_convention":"1.26"}}}""", ".layers.global.semantic_convention", "\"1.26\" is not a known semantic convention (\"\" or \"1.27\"): the legacy metric names are used")]
    [InlineData("""{"layers":{"global":{"report_headers_allow_secrets":["X-Api-Key"]}}}""", ".layers.global.report_headers_allow_secrets[0]", "\"X-Api-Key\" is not a redacted header (Authorization, Proxy-Authorization, Cookie, Set-Cookie, x-functions-key): nothing to allow")]
    [InlineData("""{"semantic_convention":"1.27"}""", ".semantic_convention", "belongs in layers.global; ignored here")]
    [InlineData("""{"proxy":{}}""", ".proxy", "at service level the layers sit under \"layers\"; ignored here")]
    [InlineData("""{"skip_paths":["__health"]}""", ".skip_paths[0]", "\"__health\" does not start with /: it never matches")]
    [InlineData("""{"histograms":{"buckets":[1]}}""", ".histograms.buckets", "unknown option; ignored")]
    public void Parse_IgnoredOption_IsAWarning(string layers, string path, string message)
    {
        var json = layers.Insert(1, "\"exporters\":{\"otlp\":[{\"name\":\"o\"}]},");
        var warning = Assert.Single(Warnings(json, out _));

        Assert.Equal(Ns + path, warning.Path);
        Assert.Equal(message, warning.Message);
    }

    [Theory]
    [InlineData("""{}""", ".exporters", "is missing: telemetry is recorded but exported nowhere")]
    [InlineData("""{"exporters":null}""", ".exporters", "is missing: telemetry is recorded but exported nowhere")]
    [InlineData("""{"exporters":{}}""", ".exporters", "lists no exporter: telemetry is recorded but exported nowhere")]
    [InlineData("""{"exporters":{"otlp":[]}}""", ".exporters", "lists no exporter: telemetry is recorded but exported nowhere")]
    [InlineData("""{"exporters":{"otlp":[{"name":"o","disable_metrics":true,"disable_traces":true}]}}""", ".exporters.otlp[0]", "disable_metrics and disable_traces are both true: this exporter sends nothing")]
    [InlineData("""{"exporters":{"azure_monitor":[{"name":"a","disable_metrics":true,"disable_traces":true}]}}""", ".exporters.azure_monitor[0]", "disable_metrics and disable_traces are both true: this exporter sends nothing")]
    [InlineData("""{"exporters":{"otlp":[{"name":"o","host":"http://collector/v1/traces"}]}}""", ".exporters.otlp[0].host", "\"http://collector/v1/traces\": the path after the host is ignored")]
    [InlineData("""{"exporters":{"prometheus":[{"name":"p","companion_key":"k"}]}}""", ".exporters.prometheus[0].companion_key", "has no effect without companion_url")]
    [InlineData("""{"exporters":{"prometheus":[{"name":"p","custom_metric_reporting_period":5}]}}""", ".exporters.prometheus[0].custom_metric_reporting_period", "has no effect on a pull exporter (KrakenD CE does not read it either); ignored")]
    public void Parse_ExporterWithoutEffect_IsAWarning(string json, string path, string message)
    {
        var warning = Assert.Single(Warnings(json, out _));

        Assert.Equal(Ns + path, warning.Path);
        Assert.Equal(message, warning.Message);
    }

    [Fact]
    public void Parse_UnknownKeyInSecurityNamespace_IsAWarning()
    {
        var problems = new List<TelemetryConfigProblem>();
        var warnings = new List<TelemetryConfigProblem>();

        var options = TelemetryOptionsParser.Parse(Json(WithExporter), Json("""{"otlp":[{"name":"otel","tls":true}],"grpc":[]}"""), ServicePath, problems, warnings);

        Assert.NotNull(options);
        Assert.Empty(problems);
        Assert.Equal([SecurityPath + ".otlp[0].tls", SecurityPath + ".grpc"], warnings.Select(w => w.Path));
    }

    [Fact]
    public void Parse_WithoutWarningsCollection_DropsThem()
    {
        var problems = new List<TelemetryConfigProblem>();

        var options = TelemetryOptionsParser.Parse(Json("""{"colour":"red"}"""), null, ServicePath, problems);

        Assert.NotNull(options);
        Assert.Empty(problems);
    }

    [Fact]
    public void Problem_ToString_IsPathColonMessage()
    {
        Assert.Equal("a.b: broken", new TelemetryConfigProblem("a.b", "broken").ToString());
        Assert.Equal("broken", new TelemetryConfigProblem("", "broken").ToString());
    }
}
