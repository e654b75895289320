using System.Diagnostics;
using System.Net;
using FunctionApp.Tests.Common;
using FunctionApp.Tests.Common.Otlp;
using FunctionApp.Tests.Telemetry.Export.AzureMonitor;
using global::Telemetry.Runtime;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Tests.Telemetry.Flush;

/// <summary>
/// The point of per-invocation flushing, end to end: in Functions mode a request's spans and metric points have
/// reached a real OTLP receiver (or the Azure Monitor ingestion endpoint) by the time the client has the response,
/// and a slow, failing or absent collector costs a request at most the flush budget and never its response.
/// </summary>
public sealed class InvocationFlushWireTests
{
    private static Task<TestBackend> StartBackendAsync() => TestBackend.StartAsync(async context =>
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("{\"id\":1}");
    });

    private static string Config(TestBackend backend, string exporters) => $$"""
        {
          "version": 3,
          "name": "flush-test",
          "extra_config": { "telemetry/opentelemetry": { "exporters": {{exporters}} } },
          "endpoints": [
            { "endpoint": "/users/{id}", "backend": [ { "host": ["{{backend.BaseUrl}}"], "url_pattern": "/api/users/{id}" } ] }
          ]
        }
        """;

    private static string OtlpExporters(OtlpReceiver receiver) =>
        $$"""{ "otlp": [ { "name": "local", "host": "127.0.0.1", "port": {{receiver.Port}}, "use_http": {{(receiver.Protocol == OtlpReceiverProtocol.HttpProtobuf ? "true" : "false")}} } ] }""";

    private static TelemetryRuntimeSettings Settings(string budget = "5s") => new()
    {
        SourcesName = "test." + Guid.NewGuid().ToString("N"),
        GetSetting = name => name switch
        {
            TelemetryRuntimeSettings.FlushBudgetVariable => budget,
            _ => null,
        },
    };

    private static HttpRequestMessage Invocation(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        return request;
    }

    [Theory]
    [InlineData(OtlpReceiverProtocol.HttpProtobuf)]
    [InlineData(OtlpReceiverProtocol.Grpc)]
    public async Task FunctionsMode_ResponseReceived_SpansAndMetricsAlreadyAtTheCollector(OtlpReceiverProtocol protocol)
    {
        await using var backend = await StartBackendAsync();
        await using var receiver = await OtlpReceiver.StartAsync(protocol);
        await using var gateway = await TestGateway.StartAsync(Config(backend, OtlpExporters(receiver)), answersHostProbe: true, telemetry: Settings());

        for (var i = 1; i <= 3; i++)
        {
            using var request = Invocation($"/users/{i}");
            var invocationId = request.Headers.GetValues("X-Azure-Functions-InvocationId").Single();
            using var response = await gateway.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("{\"id\":1}", await response.Content.ReadAsStringAsync());

            // No waiting: everything of this invocation is already there.
            var spans = receiver.Spans.Where(s => Equals(s.Attributes.GetValueOrDefault("faas.invocation_id"), invocationId)).ToList();
            Assert.Contains(spans, s => s.Name == $"/users/{i}" && Equals(s.Attributes["krakend.stage"], "global"));
            Assert.Contains(spans, s => Equals(s.Attributes["krakend.stage"], "proxy"));
            Assert.Contains(spans, s => Equals(s.Attributes["krakend.stage"], "backend"));
            Assert.Contains(spans, s => Equals(s.Attributes["krakend.stage"], "backend-request"));
            var server = receiver.MetricPoints.Where(p => p.Name == "http.server.duration").OrderBy(p => p.TimeUnixNano).Last();
            Assert.Equal((ulong)i, server.Count);
            Assert.Equal("/users/:id", server.Attributes["http.route"]);
        }

        var resource = receiver.Spans[0].ResourceAttributes;
        Assert.Equal("flush-test", resource["service.name"]);
        Assert.Equal("azure", resource["cloud.provider"]);
        Assert.Equal("azure_functions", resource["cloud.platform"]);
        Assert.True(resource.ContainsKey("service.instance.id"));
    }

    [Fact]
    public async Task FunctionsMode_AzureMonitor_EnvelopesArriveWithinTheInvocation()
    {
        await using var backend = await StartBackendAsync();
        await using var ingestion = await FakeIngestionEndpoint.StartAsync();
        var exporters = $$"""{ "azure_monitor": [ { "name": "appinsights", "connection_string": "{{ingestion.ConnectionString}}" } ] }""";
        await using var gateway = await TestGateway.StartAsync(Config(backend, exporters), answersHostProbe: true, telemetry: Settings());

        using var request = Invocation("/users/5");
        using var response = await gateway.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var requests = ingestion.EnvelopesOf("RequestData");
        var requestData = Assert.Single(requests).GetProperty("data").GetProperty("baseData");
        Assert.Equal("200", requestData.GetProperty("responseCode").GetString());
        Assert.NotEmpty(ingestion.EnvelopesOf("RemoteDependencyData"));
        Assert.Contains(ingestion.Metrics, m => m.GetProperty("metrics")[0].GetProperty("name").GetString() == "http.server.duration");
    }

    [Theory]
    [InlineData("down")]
    [InlineData("slow")]
    [InlineData("503")]
    [InlineData("429")]
    public async Task FaultyCollector_RequestsStillSucceedWithinTheBudget(string fault)
    {
        await using var backend = await StartBackendAsync();
        await using var receiver = await OtlpReceiver.StartAsync(OtlpReceiverProtocol.HttpProtobuf);
        switch (fault)
        {
            case "down":
                await receiver.StopAsync();
                break;
            case "slow":
                receiver.SetFault(OtlpReceiverFault.Delay(TimeSpan.FromSeconds(30)));
                break;
            case "503":
                receiver.SetFault(OtlpReceiverFault.Unavailable(TimeSpan.FromSeconds(30)));
                break;
            case "429":
                receiver.SetFault(OtlpReceiverFault.Throttled(TimeSpan.FromSeconds(30)));
                break;
        }

        // A budget far below the collector's delays: what a request waits is bounded by it, not by the collector.
        await using var gateway = await TestGateway.StartAsync(Config(backend, OtlpExporters(receiver)), answersHostProbe: true, telemetry: Settings(budget: "200ms"));
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 20; i++)
        {
            using var request = Invocation("/users/1");
            var started = Stopwatch.GetTimestamp();
            using var response = await gateway.Client.SendAsync(request);
            slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, Stopwatch.GetElapsedTime(started).Ticks));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("{\"id\":1}", await response.Content.ReadAsStringAsync());
        }

        // Not a performance assertion: a request blocked on a 30 s collector would take 30 s, not a few seconds.
        Assert.True(slowest < TimeSpan.FromSeconds(10), $"a request waited {slowest} for a collector that takes 30 s");
    }
}
