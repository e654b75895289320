using System.Net;
using FunctionApp.Gateway.Configuration;
using FunctionApp.Tests.Common;
using global::Telemetry.Runtime;

namespace FunctionApp.Tests.Telemetry;

/// <summary>
/// The README's first command runs the embedded default config: its telemetry block must show the product's point at
/// once (layer metrics on a local Prometheus port after the first request), and reach an OTLP collector only when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> says where one is.
/// </summary>
public sealed class EmbeddedDefaultTelemetryTests
{
    [Fact]
    public async Task EmbeddedDefault_AfterOneRequest_PrometheusPortServesEveryLayer()
    {
        var gatewayPort = GatewayProcess.FreePort();
        var metricsPort = GatewayProcess.FreePort();
        var json = ConfigLoader.ReadEmbeddedDefault(gatewayPort).Replace("\"port\": 9090", $"\"port\": {metricsPort}", StringComparison.Ordinal);
        var settings = new TelemetryRuntimeSettings { SourcesName = "test." + Guid.NewGuid().ToString("N") };
        await using var gateway = await TestGateway.StartAsync(json, telemetry: settings, port: gatewayPort);

        using var response = await gateway.Client.GetAsync("/echo/hello");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        using var scraper = new HttpClient();
        string exposition = "";
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!exposition.Contains("krakend_proxy_duration_bucket", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            try
            {
                exposition = await scraper.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
            }
            catch (HttpRequestException)
            {
                await Task.Delay(50);
            }
        }

        Assert.Contains("http_server_duration_bucket{", exposition, StringComparison.Ordinal);
        Assert.Contains("http_route=\"/echo/:word\"", exposition, StringComparison.Ordinal);
        Assert.Contains("krakend_proxy_duration_bucket{", exposition, StringComparison.Ordinal);
        Assert.Contains("krakend_backend_duration_bucket{", exposition, StringComparison.Ordinal);
        Assert.Contains("http_client_request_started_count_total{", exposition, StringComparison.Ordinal);
        Assert.Contains("service_name=\"serverless-gateway\"", exposition, StringComparison.Ordinal);
        Assert.Contains("process_resident_memory_bytes ", exposition, StringComparison.Ordinal);
    }

    [Fact]
    public void EmbeddedDefault_WithoutOtlpEndpoint_HasNoOtlpExporter()
    {
        var model = ConfigLoader.Load(ConfigLoader.ReadEmbeddedDefault(8080, _ => null), "(embedded default)");

        Assert.NotNull(model.Telemetry);
        Assert.Empty(model.Telemetry.Exporters.Otlp);
        Assert.Single(model.Telemetry.Exporters.Prometheus);
    }

    [Fact]
    public void EmbeddedDefault_WithOtlpEndpoint_ExportsThere()
    {
        var model = ConfigLoader.Load(
            ConfigLoader.ReadEmbeddedDefault(8080, name => name == "OTEL_EXPORTER_OTLP_ENDPOINT" ? "http://collector:4318" : null),
            "(embedded default)");

        var otlp = Assert.Single(model.Telemetry!.Exporters.Otlp);
        var environment = global::Telemetry.Configuration.TelemetryEnvironment.Read(name => name switch
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT" => "http://collector:4318",
            "OTEL_EXPORTER_OTLP_PROTOCOL" => "http/protobuf",
            _ => null,
        });
        var connection = otlp.ResolveConnection(environment);
        Assert.Equal(new Uri("http://collector:4318"), connection.Endpoint);
        Assert.Equal(global::Telemetry.Configuration.OtlpProtocol.HttpProtobuf, connection.Protocol);
    }
}
