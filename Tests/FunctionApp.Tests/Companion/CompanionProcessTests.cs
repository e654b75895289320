using System.Globalization;
using System.Net;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Tests.Companion;

/// <summary>
/// Real processes, as in Azure: two gateway instances (the FunctionApp binary as a custom handler, each its own
/// <c>service.instance.id</c>) push to one companion (<c>FunctionApp companion</c>); its <c>/metrics</c> adds them up.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class CompanionProcessTests
{
    [Fact]
    public async Task TwoGatewayProcesses_OneCompanion_CountsAreExactSums()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"id\":1}");
        });
        var companionPort = GatewayProcess.FreePort();
        await using var companion = GatewayProcess.Start(GatewayProcess.BuiltBinary, ["companion", "-p", companionPort.ToString(CultureInfo.InvariantCulture), "--listen-ip", "127.0.0.1"]);
        using var scraper = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{companionPort}") };
        (await companion.WaitForAsync(scraper, "/metrics", TimeSpan.FromSeconds(30))).Dispose();

        var config = Path.Combine(Path.GetTempPath(), $"companion-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "version": 3,
              "extra_config": { "telemetry/opentelemetry": { "exporters": { "prometheus": [ { "name": "companion" } ] } } },
              "endpoints": [ { "endpoint": "/users/{id}", "backend": [ { "host": ["{{backend.BaseUrl}}"], "url_pattern": "/api/users/{id}" } ] } ]
            }
            """);
        try
        {
            var sent = new[] { 7, 11 };
            var gateways = new List<(GatewayProcess Process, HttpClient Client)>();
            try
            {
                foreach (var _ in sent)
                {
                    var port = GatewayProcess.FreePort();
                    var process = GatewayProcess.Start(GatewayProcess.BuiltBinary, ["-c", config], new Dictionary<string, string>
                    {
                        ["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(CultureInfo.InvariantCulture),
                        ["METRICS_COMPANION_URL"] = $"http://127.0.0.1:{companionPort}",
                    });
                    var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
                    gateways.Add((process, client));
                    (await process.WaitForAsync(client, "/", TimeSpan.FromSeconds(30))).Dispose();
                }

                for (var g = 0; g < gateways.Count; g++)
                {
                    for (var i = 0; i < sent[g]; i++)
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Get, $"/users/{i}");
                        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
                        using var response = await gateways[g].Client.SendAsync(request);
                        Assert.True(response.StatusCode == HttpStatusCode.OK, $"gateway {g}, request {i}: {(int)response.StatusCode}\n{gateways[g].Process.Output}");
                    }
                }

                var exposition = await scraper.GetStringAsync("/metrics");
                Assert.Equal(sent.Sum(), CompanionEndToEndTests.ServerCount(exposition, "/users/:id"));
                Assert.DoesNotContain("service_instance_id", exposition, StringComparison.Ordinal);
            }
            finally
            {
                foreach (var (process, client) in gateways)
                {
                    client.Dispose();
                    await process.DisposeAsync();
                }
            }
        }
        finally
        {
            File.Delete(config);
        }
    }
}
