using static Telemetry.Configuration.Tests.TelemetryTestConfig;

namespace Telemetry.Configuration.Tests;

/// <summary>The <c>OTEL_*</c> variables, and the precedence: config value → environment → built-in default.</summary>
public sealed class TelemetryEnvironmentTests
{
    [Fact]
    public void Read_NothingSet_IsEmpty()
    {
        var environment = TelemetryEnvironment.Read(_ => null);

        Assert.Null(environment.ServiceName);
        Assert.Empty(environment.ResourceAttributes);
        Assert.Null(environment.OtlpEndpoint);
        Assert.Empty(environment.OtlpHeaders);
        Assert.Null(environment.OtlpProtocol);
        Assert.Equal(MetricTemporalityPreference.Cumulative, environment.TemporalityPreference);
        Assert.Equal(["tracecontext", "baggage"], environment.Propagators);
        Assert.Null(environment.ApplicationInsightsConnectionString);
        Assert.Empty(environment.Problems);
    }

    [Fact]
    public void Read_EveryVariable()
    {
        var environment = TelemetryEnvironment.Read(Variables(
            ("OTEL_SERVICE_NAME", " api "),
            ("OTEL_RESOURCE_ATTRIBUTES", "team=core, region=west%20eu,team=edge"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector.example:4318/base"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=abc%3D%3D,x-tenant=1"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "Delta"),
            ("OTEL_PROPAGATORS", "b3multi, TraceContext,b3multi"),
            ("APPLICATIONINSIGHTS_CONNECTION_STRING", "InstrumentationKey=k")));

        Assert.Equal("api", environment.ServiceName);
        Assert.Equal([new("team", "edge"), new("region", "west eu")], environment.ResourceAttributes);
        Assert.Equal(new Uri("https://collector.example:4318/base"), environment.OtlpEndpoint);
        Assert.Equal([new("api-key", "abc=="), new("x-tenant", "1")], environment.OtlpHeaders);
        Assert.Equal(OtlpProtocol.HttpProtobuf, environment.OtlpProtocol);
        Assert.Equal(MetricTemporalityPreference.Delta, environment.TemporalityPreference);
        Assert.Equal(["b3multi", "tracecontext"], environment.Propagators);
        Assert.Equal("InstrumentationKey=k", environment.ApplicationInsightsConnectionString);
        Assert.Empty(environment.Problems);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "GRPC")]
    public void Read_GrpcProtocol(string name, string value)
    {
        Assert.Equal(OtlpProtocol.Grpc, TelemetryEnvironment.Read(Variables((name, value))).OtlpProtocol);
    }

    [Theory]
    [InlineData("cumulative", MetricTemporalityPreference.Cumulative)]
    [InlineData("delta", MetricTemporalityPreference.Delta)]
    [InlineData("LowMemory", MetricTemporalityPreference.LowMemory)]
    public void Read_Temporality(string value, MetricTemporalityPreference expected)
    {
        Assert.Equal(expected, TelemetryEnvironment.Read(Variables(("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", value))).TemporalityPreference);
    }

    [Theory]
    [InlineData("none", new string[0])]
    [InlineData("tracecontext,none", new string[0])]
    [InlineData("xray,ottrace,jaeger,b3,baggage", new[] { "xray", "ottrace", "jaeger", "b3", "baggage" })]
    [InlineData(" , ", new[] { "tracecontext", "baggage" })]
    public void Read_Propagators(string value, string[] expected)
    {
        var environment = TelemetryEnvironment.Read(Variables(("OTEL_PROPAGATORS", value)));

        Assert.Equal(expected, environment.Propagators);
        Assert.Empty(environment.Problems);
    }

    [Theory]
    [InlineData("OTEL_RESOURCE_ATTRIBUTES", "a=1,broken", "\"broken\" is not key=value; the variable is ignored")]
    [InlineData("OTEL_RESOURCE_ATTRIBUTES", "=1", "\"=1\" is not key=value; the variable is ignored")]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "api-key", "\"api-key\" is not key=value; the variable is ignored")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317", "\"collector:4317\" is not an absolute http or https URL; ignored")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "/relative", "\"/relative\" is not an absolute http or https URL; ignored")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "\"http/json\" is not supported (grpc or http/protobuf); ignored")]
    [InlineData("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "sometimes", "\"sometimes\" is not cumulative, delta or lowmemory; cumulative is used")]
    [InlineData("OTEL_PROPAGATORS", "tracecontext,w3c", "unknown propagator \"w3c\" (tracecontext, baggage, b3, b3multi, jaeger, xray, ottrace, none); the default tracecontext,baggage is used")]
    public void Read_MalformedVariable_IsReportedAndIgnored(string name, string value, string message)
    {
        var environment = TelemetryEnvironment.Read(Variables((name, value)));

        Assert.Equal(new TelemetryConfigProblem(name, message), Assert.Single(environment.Problems));
        Assert.Empty(environment.ResourceAttributes);
        Assert.Empty(environment.OtlpHeaders);
        Assert.Null(environment.OtlpEndpoint);
        Assert.Null(environment.OtlpProtocol);
        Assert.Equal(MetricTemporalityPreference.Cumulative, environment.TemporalityPreference);
        Assert.Equal(["tracecontext", "baggage"], environment.Propagators);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Read_BlankVariable_IsUnset(string blank)
    {
        var environment = TelemetryEnvironment.Read(_ => blank);

        Assert.Null(environment.ServiceName);
        Assert.Null(environment.ApplicationInsightsConnectionString);
        Assert.Empty(environment.Problems);
    }

    // ---- resource precedence ----------------------------------------------------------------------------------

    [Theory]
    // config service_name wins over everything
    [InlineData("""{"service_name":"cfg"}""", "env", "attr", "root", "cfg")]
    // then OTEL_SERVICE_NAME, then service.name in OTEL_RESOURCE_ATTRIBUTES
    [InlineData("""{}""", "env", "attr", "root", "env")]
    [InlineData("""{"service_name":""}""", null, "attr", "root", "attr")]
    // then the config's root name, then "KrakenD"
    [InlineData("""{}""", null, null, "root", "root")]
    [InlineData("""{}""", null, null, "", "KrakenD")]
    [InlineData("""{}""", null, null, null, "KrakenD")]
    public void ResolveResource_ServiceName(string json, string? envName, string? envAttribute, string? rootName, string expected)
    {
        var variables = new List<(string, string)>();
        if (envName is not null)
        {
            variables.Add(("OTEL_SERVICE_NAME", envName));
        }

        if (envAttribute is not null)
        {
            variables.Add(("OTEL_RESOURCE_ATTRIBUTES", "service.name=" + envAttribute));
        }

        var resource = Valid(json).ResolveResource(TelemetryEnvironment.Read(Variables([.. variables])), rootName, "2.13.0");

        Assert.Equal(expected, resource.ServiceName);
        Assert.Equal(new KeyValuePair<string, string>("service.name", expected), resource.Attributes[0]);
    }

    [Theory]
    [InlineData("""{"service_version":"9"}""", "service.version=8", "9")]
    [InlineData("""{}""", "service.version=8", "8")]
    [InlineData("""{}""", "other=1", "2.13.0")]
    public void ResolveResource_ServiceVersion(string json, string attributes, string expected)
    {
        var resource = Valid(json).ResolveResource(TelemetryEnvironment.Read(Variables(("OTEL_RESOURCE_ATTRIBUTES", attributes))), null, "2.13.0");

        Assert.Equal(expected, resource.ServiceVersion);
    }

    [Theory]
    [InlineData("""{"deploy_env":"prod"}""", "deployment.environment=staging", "prod")]
    [InlineData("""{}""", "deployment.environment=staging", "staging")]
    [InlineData("""{"deploy_env":""}""", "x=1", null)]
    public void ResolveResource_DeploymentEnvironment(string json, string attributes, string? expected)
    {
        var resource = Valid(json).ResolveResource(TelemetryEnvironment.Read(Variables(("OTEL_RESOURCE_ATTRIBUTES", attributes))), null, "v");

        Assert.Equal(expected, resource.DeploymentEnvironment);
        Assert.Equal(expected is not null, resource.Attributes.Any(a => a.Key == "deployment.environment"));
    }

    [Fact]
    public void ResolveResource_AddsOtherEnvironmentAttributes()
    {
        var resource = Valid("""{"service_name":"gw","deploy_env":"prod"}""")
            .ResolveResource(TelemetryEnvironment.Read(Variables(("OTEL_RESOURCE_ATTRIBUTES", "service.name=x,team=core,deployment.environment=y"))), null, "1.0");

        Assert.Equal(
            [new("service.name", "gw"), new("service.version", "1.0"), new("deployment.environment", "prod"), new("team", "core")],
            resource.Attributes);
        Assert.Equal("https://opentelemetry.io/schemas/1.21.0", TelemetryResource.SchemaUrl);
    }

    // ---- OTLP connection precedence ---------------------------------------------------------------------------

    [Theory]
    // defaults: gRPC on localhost:4317; HTTP on 4318 (§2.10)
    [InlineData("""{"name":"o"}""", "", "http://localhost:4317/", OtlpProtocol.Grpc, false)]
    [InlineData("""{"name":"o","use_http":true}""", "", "http://localhost:4318/", OtlpProtocol.HttpProtobuf, false)]
    [InlineData("""{"name":"o","use_http":true,"port":4317}""", "", "http://localhost:4317/", OtlpProtocol.HttpProtobuf, false)]
    [InlineData("""{"name":"o","host":"collector","port":1234}""", "", "http://collector:1234/", OtlpProtocol.Grpc, false)]
    [InlineData("""{"name":"o","host":"http://collector/ignored"}""", "", "http://collector:4317/", OtlpProtocol.Grpc, false)]
    // https means TLS, for gRPC too (docs; CE is always plaintext over gRPC)
    [InlineData("""{"name":"o","host":"https://collector"}""", "", "https://collector:4317/", OtlpProtocol.Grpc, true)]
    [InlineData("""{"name":"o","host":"https://collector","use_http":true}""", "", "https://collector:4318/", OtlpProtocol.HttpProtobuf, true)]
    [InlineData("""{"name":"o","host":"[::1]"}""", "", "http://[::1]:4317/", OtlpProtocol.Grpc, false)]
    [InlineData("""{"name":"o","host":"10.0.0.1"}""", "", "http://10.0.0.1:4317/", OtlpProtocol.Grpc, false)]
    // the environment fills in what the config leaves out
    [InlineData("""{"name":"o"}""", "https://env.example:5555/base", "https://env.example:5555/base", OtlpProtocol.Grpc, true)]
    [InlineData("""{"name":"o"}""", "http://env.example", "http://env.example:80/", OtlpProtocol.Grpc, false)]
    [InlineData("""{"name":"o","port":7777}""", "https://env.example:5555", "https://env.example:7777/", OtlpProtocol.Grpc, true)]
    [InlineData("""{"name":"o","host":"cfg"}""", "https://env.example:5555", "http://cfg:4317/", OtlpProtocol.Grpc, false)]
    public void ResolveConnection_Endpoint(string exporter, string envEndpoint, string expected, OtlpProtocol protocol, bool tls)
    {
        var otlp = Assert.Single(Valid($$$"""{"exporters":{"otlp":[{{{exporter}}}]}}""").Exporters.Otlp);
        var environment = TelemetryEnvironment.Read(Variables(("OTEL_EXPORTER_OTLP_ENDPOINT", envEndpoint)));

        var connection = otlp.ResolveConnection(environment);

        Assert.Equal(new Uri(expected), connection.Endpoint);
        Assert.Equal(protocol, connection.Protocol);
        Assert.Equal(tls, connection.UseTls);
    }

    [Theory]
    [InlineData("""{"name":"o"}""", "http/protobuf", OtlpProtocol.HttpProtobuf, 4318)]
    [InlineData("""{"name":"o"}""", "grpc", OtlpProtocol.Grpc, 4317)]
    [InlineData("""{"name":"o","use_http":false}""", "http/protobuf", OtlpProtocol.Grpc, 4317)]
    [InlineData("""{"name":"o","use_http":true}""", "grpc", OtlpProtocol.HttpProtobuf, 4318)]
    public void ResolveConnection_Protocol_ConfigWinsOverEnvironment(string exporter, string envProtocol, OtlpProtocol expected, int port)
    {
        var otlp = Assert.Single(Valid($$$"""{"exporters":{"otlp":[{{{exporter}}}]}}""").Exporters.Otlp);

        var connection = otlp.ResolveConnection(TelemetryEnvironment.Read(Variables(("OTEL_EXPORTER_OTLP_PROTOCOL", envProtocol))));

        Assert.Equal(expected, connection.Protocol);
        Assert.Equal(port, connection.Endpoint.Port);
    }

    [Fact]
    public void ResolveConnection_Headers_ConfigWinsKeyByKey()
    {
        var options = Valid(WithExporter, """{"otlp":[{"name":"otel","headers":{"API-KEY":"cfg","x-only-cfg":"1"}}]}""");
        var environment = TelemetryEnvironment.Read(Variables(("OTEL_EXPORTER_OTLP_HEADERS", "api-key=env,x-only-env=2")));

        var headers = options.Exporters.Otlp[0].ResolveConnection(environment).Headers;

        Assert.Equal(3, headers.Count);
        Assert.Equal("cfg", headers["api-key"]);
        Assert.Equal("1", headers["x-only-cfg"]);
        Assert.Equal("2", headers["x-only-env"]);
    }

    [Theory]
    [InlineData("""{"name":"a","connection_string":"InstrumentationKey=cfg"}""", "InstrumentationKey=env", "InstrumentationKey=cfg")]
    [InlineData("""{"name":"a"}""", "InstrumentationKey=env", "InstrumentationKey=env")]
    [InlineData("""{"name":"a"}""", null, null)]
    public void ResolveConnectionString_ConfigThenEnvironment(string exporter, string? env, string? expected)
    {
        var azure = Assert.Single(Valid($$$"""{"exporters":{"azure_monitor":[{{{exporter}}}]}}""").Exporters.AzureMonitor);
        var environment = env is null ? TelemetryEnvironment.Empty : TelemetryEnvironment.Read(Variables(("APPLICATIONINSIGHTS_CONNECTION_STRING", env)));

        Assert.Equal(expected, azure.ResolveConnectionString(environment));
    }
}
