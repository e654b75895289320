using System.Globalization;
using System.Net;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace FunctionApp.Tests.Telemetry.Flush;

/// <summary>
/// A dead collector must not make the gateway hoard what it cannot export: the real binary, as a custom handler with
/// per-invocation flush towards a port where nothing listens, serves many invocations with flat memory.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class FlushMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task CollectorDown_ManyInvocations_ResidentMemoryStaysFlat()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"id\":1,\"payload\":\"" + new string('x', 512) + "\"}");
        });
        var port = GatewayProcess.FreePort();
        var deadCollector = GatewayProcess.FreePort();
        var config = Path.Combine(Path.GetTempPath(), $"flush-memory-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "version": 3,
              "extra_config": { "telemetry/opentelemetry": { "exporters": { "otlp": [ { "name": "dead", "host": "127.0.0.1", "port": {{deadCollector}}, "use_http": true } ] } } },
              "endpoints": [ { "endpoint": "/users/{id}", "backend": [ { "host": ["{{backend.BaseUrl}}"], "url_pattern": "/api/users/{id}" } ] } ]
            }
            """);
        try
        {
            await using var gateway = GatewayProcess.Start(GatewayProcess.BuiltBinary, ["-c", config], new Dictionary<string, string>
            {
                ["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(CultureInfo.InvariantCulture),
                ["GATEWAY_TELEMETRY_FLUSH_BUDGET"] = "100ms",
            });
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            (await gateway.WaitForAsync(client, "/", TimeSpan.FromSeconds(30))).Dispose();

            await SendInvocationsAsync(client, 3000);
            var afterWarmUp = gateway.ResidentBytes();
            await SendInvocationsAsync(client, 6000);
            var afterRun = gateway.ResidentBytes();

            // Every span and metric export fails; a leak of a few hundred bytes per request would show as megabytes.
            var growth = afterRun - afterWarmUp;
            output.WriteLine($"resident memory: {afterWarmUp / 1024} KiB after 3000 invocations, {afterRun / 1024} KiB after 9000");
            Assert.True(growth < 24 * 1024 * 1024, $"resident memory grew by {growth / 1024} KiB over 6000 invocations ({afterWarmUp / 1024} → {afterRun / 1024} KiB)");
        }
        finally
        {
            File.Delete(config);
        }
    }

    private static async Task SendInvocationsAsync(HttpClient client, int count)
    {
        var next = 0;
        var workers = Enumerable.Range(0, 16).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/users/1");
                request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
                using var response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        });
        await Task.WhenAll(workers);
    }
}
