using System.Globalization;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Tests.Companion.Prometheus;

/// <summary>
/// A real Prometheus server scrapes the companion, as in production: what its query API answers is what users see.
/// The companion (<c>FunctionApp companion</c>) and the gateways (the FunctionApp binary in Functions mode, each its
/// own <c>service.instance.id</c>) are real processes.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class CompanionPrometheusTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RealPrometheus_ScrapingTheCompanion_QueriesTheExactCountPerRouteAndStatus()
    {
        await using var backend = await CountedTraffic.StartBackendAsync();
        var companionPort = GatewayProcess.FreePort();
        await using var companion = GatewayProcess.Start(GatewayProcess.BuiltBinary, ["companion", "-p", companionPort.ToString(CultureInfo.InvariantCulture), "--listen-ip", "127.0.0.1"]);
        var prometheusStart = PrometheusServer.StartAsync(new PrometheusScrapeTarget($"127.0.0.1:{companionPort}"));
        await using var prometheus = await prometheusStart;
        using var scraper = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri($"http://127.0.0.1:{companionPort}") };
        (await companion.WaitForAsync(scraper, "/metrics", StartTimeout)).Dispose();

        var config = Path.Combine(Path.GetTempPath(), $"prometheus-companion-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, CountedTraffic.GatewayConfig(backend));
        var gateways = new List<(GatewayProcess Process, HttpClient Client)>();
        try
        {
            for (var g = 0; g < 2; g++)
            {
                var port = GatewayProcess.FreePort();
                var process = GatewayProcess.Start(GatewayProcess.BuiltBinary, ["-c", config], CountedTraffic.GatewayEnvironment(port, $"http://127.0.0.1:{companionPort}"));
                gateways.Add((process, new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") }));
            }

            foreach (var (process, client) in gateways)
            {
                (await process.WaitForAsync(client, "/", StartTimeout)).Dispose();
            }

            var traffic = new CountedTraffic();
            RouteCall ok = RouteCall.Ok, failing = RouteCall.Failing, unknown = RouteCall.Unknown;
            RouteCall[][] schedule =
            [
                [ok, ok, failing, ok, unknown, ok, failing, ok],
                [failing, ok, unknown, unknown, ok, ok],
            ];
            await Task.WhenAll(gateways.Select((gateway, g) =>
                traffic.SendAsync(gateway.Client, schedule[g], () => gateway.Process.Output + "\ncompanion:\n" + companion.Output)));
            var sentAll = DateTimeOffset.UtcNow;

            // Every invocation pushed before its response completed; the next scrape has it all.
            await prometheus.WaitForScrapeAsync(sentAll, TimeSpan.FromSeconds(30));
            var counts = CountedTraffic.ByRouteAndStatus(await prometheus.QueryAsync(
                "sum by (http_route, http_response_status_code) (http_server_duration_count{job=\"companion\"})"));
            Assert.True(
                traffic.Sent.Count == counts.Count && traffic.Sent.All(p => counts.TryGetValue(p.Key, out var n) && n == p.Value),
                $"sent: {CountedTraffic.Describe(traffic.Sent)}\nPrometheus: {CountedTraffic.Describe(counts)}");
            Assert.Equal(3, counts.Count);
            Assert.Equal(14, traffic.Total);

            var total = Assert.Single(await prometheus.QueryAsync("sum(http_server_duration_count)"));
            Assert.Equal(traffic.Total, total.Value);

            // One series per route and status: the gateway instances are summed, never labels.
            Assert.Empty(await prometheus.QueryAsync("http_server_duration_count{service_instance_id!=\"\"}"));
            Assert.Equal(3, Assert.Single(await prometheus.QueryAsync("count(http_server_duration_count)")).Value);
            Assert.Equal(1, Assert.Single(await prometheus.QueryAsync("up{job=\"companion\"}")).Value);
        }
        finally
        {
            foreach (var (process, client) in gateways)
            {
                client.Dispose();
                await process.DisposeAsync();
            }

            File.Delete(config);
        }
    }

    [Fact]
    public async Task RealPrometheus_WithAFunctionKey_ScrapesWithTheCodeParameter()
    {
        const string Key = "k3y/with+special=chars";
        await using var target = await TestBackend.StartAsync(async context =>
        {
            // As the Functions host does for authLevel function: the key in the code parameter, else 401.
            if (context.Request.Path != "/api/metrics" || context.Request.Query["code"] != Key)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await context.Response.WriteAsync("# TYPE demo_total counter\ndemo_total 42\n");
        });

        var started = DateTimeOffset.UtcNow;
        await using var prometheus = await PrometheusServer.StartAsync(new PrometheusScrapeTarget($"127.0.0.1:{target.Port}", "/api/metrics", Key));
        await prometheus.WaitForScrapeAsync(started, TimeSpan.FromSeconds(30));

        Assert.Equal(42, Assert.Single(await prometheus.QueryAsync("demo_total")).Value);
        var (scrapeUrl, health, _) = await prometheus.TargetAsync();
        Assert.Equal("up", health);
        Assert.Contains("code=" + Uri.EscapeDataString(Key), scrapeUrl, StringComparison.Ordinal);
    }
}
