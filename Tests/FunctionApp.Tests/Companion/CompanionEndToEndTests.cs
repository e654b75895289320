using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using FunctionApp.Companion;
using FunctionApp.Tests.Common;
using global::Telemetry.Runtime;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Tests.Companion;

/// <summary>
/// The user story of the companion: gateways in Functions mode push their metrics at the end of every invocation, and
/// one Prometheus <c>/metrics</c> on the companion shows the exact sums over every instance.
/// </summary>
public sealed partial class CompanionEndToEndTests
{
    private static Task<TestBackend> StartBackendAsync() => TestBackend.StartAsync(async context =>
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("{\"id\":1}");
    });

    private static string GatewayConfig(TestBackend backend) => $$"""
        {
          "version": 3,
          "name": "pushing-gateway",
          "extra_config": { "telemetry/opentelemetry": { "exporters": { "prometheus": [ { "name": "companion" } ] } } },
          "endpoints": [
            { "endpoint": "/users/{id}", "backend": [ { "host": ["{{backend.BaseUrl}}"], "url_pattern": "/api/users/{id}" } ] }
          ]
        }
        """;

    private static HttpRequestMessage Invocation(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        return request;
    }

    [Fact]
    public async Task FunctionsModeGateway_EveryInvocation_IsCountedOnTheCompanionAtOnce()
    {
        await using var backend = await StartBackendAsync();
        var companion = CompanionHost.Build(new CompanionOptions(), new IPEndPoint(IPAddress.Loopback, 0), answersHostProbe: false);
        await companion.StartAsync();
        try
        {
            var companionUrl = companion.Urls.First() + "/v1/metrics";
            var settings = new TelemetryRuntimeSettings
            {
                SourcesName = "test." + Guid.NewGuid().ToString("N"),
                GetSetting = name => name == TelemetryRuntimeSettings.CompanionUrlVariable ? companionUrl : null,
            };
            await using var gateway = await TestGateway.StartAsync(GatewayConfig(backend), answersHostProbe: true, telemetry: settings);
            using var scraper = new HttpClient { BaseAddress = new Uri(companion.Urls.First()) };

            for (var i = 1; i <= 5; i++)
            {
                using var request = Invocation($"/users/{i}");
                using var response = await gateway.Client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);

                // Per-invocation flush: the push has reached the companion before the response completed.
                var exposition = await scraper.GetStringAsync("/metrics");
                Assert.Equal(i, ServerCount(exposition, "/users/:id"));
            }
        }
        finally
        {
            await companion.StopAsync();
            await companion.DisposeAsync();
        }
    }

    [Fact]
    public async Task Companion_BadPushes_GetProperStatusCodes()
    {
        var companion = CompanionHost.Build(new CompanionOptions { MaxBodyBytes = 1024 }, new IPEndPoint(IPAddress.Loopback, 0), answersHostProbe: false);
        await companion.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(companion.Urls.First()) };
            using var wrongType = await client.PostAsync("/v1/metrics", new StringContent("x", System.Text.Encoding.UTF8, "text/plain"));
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);

            using var truncated = new ByteArrayContent([0x0a, 0x10, 0x01]);
            truncated.Headers.ContentType = new("application/x-protobuf");
            using var undecodable = await client.PostAsync("/v1/metrics", truncated);
            Assert.Equal(HttpStatusCode.BadRequest, undecodable.StatusCode);

            using var huge = new ByteArrayContent(new byte[4096]);
            huge.Headers.ContentType = new("application/x-protobuf");
            using var tooLarge = await client.PostAsync("/v1/metrics", huge);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);

            using var get = await client.GetAsync("/v1/metrics");
            Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);

            using var empty = new ByteArrayContent([]);
            empty.Headers.ContentType = new("application/x-protobuf");
            using var ok = await client.PostAsync("/v1/metrics", empty);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("application/x-protobuf", ok.Content.Headers.ContentType?.MediaType);

            using var scrape = await client.GetAsync("/metrics");
            Assert.Equal("text/plain; version=0.0.4; charset=utf-8", scrape.Content.Headers.ContentType?.ToString());
            Assert.Contains("\nprocess_start_time_seconds ", await scrape.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var openMetrics = new HttpRequestMessage(HttpMethod.Get, "/metrics");
            openMetrics.Headers.TryAddWithoutValidation("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
            using var openMetricsScrape = await client.SendAsync(openMetrics);
            Assert.StartsWith("application/openmetrics-text", openMetricsScrape.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
            Assert.EndsWith("# EOF\n", await openMetricsScrape.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await companion.StopAsync();
            await companion.DisposeAsync();
        }
    }

    /// <summary>The <c>http_server_duration_count</c> of a route, summed over status codes and other labels.</summary>
    internal static long ServerCount(string exposition, string route)
    {
        long total = 0;
        foreach (Match match in ServerCountLine().Matches(exposition))
        {
            if (match.Groups["labels"].Value.Contains($"http_route=\"{route}\"", StringComparison.Ordinal))
            {
                total += long.Parse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    [GeneratedRegex(@"^http_server_duration_count\{(?<labels>[^}]*)\} (?<value>\S+)$", RegexOptions.Multiline)]
    private static partial Regex ServerCountLine();
}
