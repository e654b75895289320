using System.Net;
using FunctionApp.Companion;
using FunctionApp.Tests.Telemetry.Prometheus;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Telemetry.Export.Companion;

namespace FunctionApp.Tests.Companion;

/// <summary>
/// The same recordings give the same exposition standalone (the gateway's own <c>/metrics</c>) and in Functions mode
/// (pushed to the companion, which aggregates and renders them): one naming and rendering engine, so dashboards and
/// alerts work unchanged when a gateway moves from a VM to Azure Functions.
/// </summary>
public sealed class StandaloneParityTests
{
    [Fact]
    public async Task EveryKrakenDFamily_RendersTheSame_StandaloneAndThroughTheCompanion()
    {
        using var standalone = new PrometheusMetricsExporterTests.Harness();

        var aggregated = GatewayFamilies(await RecordAndScrapeCompanionAsync(standalone, ResourceBuilder.CreateEmpty().AddService("gateway", serviceInstanceId: "instance-1")));
        var own = GatewayFamilies(standalone.Scrape());

        Assert.NotEmpty(own);
        Assert.Equal(own, aggregated);
    }

    [PromtoolFact]
    public async Task CompanionExposition_PassesPromtool_WithKrakenDFamiliesAndSelfMetrics()
    {
        using var recordings = new PrometheusMetricsExporterTests.Harness();

        var exposition = await RecordAndScrapeCompanionAsync(recordings, ResourceBuilder.CreateEmpty().AddService("gateway", serviceVersion: "1.0.0", serviceInstanceId: "instance-1"));

        Assert.Contains("aggregator_points_accepted_total", exposition, StringComparison.Ordinal);
        Assert.Contains("target_info{", exposition, StringComparison.Ordinal);
        var (exitCode, output) = Promtool.CheckMetrics(exposition);
        Assert.True(exitCode == 0, $"promtool check metrics exited {exitCode}:\n{output}\n---\n{exposition}");
    }

    /// <summary>
    /// Records one value on every KrakenD instrument of <paramref name="harness"/>'s meter, pushes it with the gateway's
    /// push exporter (resource <paramref name="resource"/>) to an in-process companion, and returns its <c>/metrics</c>.
    /// </summary>
    private static async Task<string> RecordAndScrapeCompanionAsync(PrometheusMetricsExporterTests.Harness harness, ResourceBuilder resource)
    {
        var companion = CompanionHost.Build(new CompanionOptions { ReadEnvironment = false }, new IPEndPoint(IPAddress.Loopback, 0), answersHostProbe: false);
        await companion.StartAsync();
        try
        {
            var baseUri = new Uri(companion.Urls.First());
            using var push = new CompanionPushExporter(new Uri(baseUri, "/v1/metrics"), new Dictionary<string, string>(), TimeSpan.FromSeconds(10));
            using var pushing = Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(resource)
                .AddMeter(harness.MeterName)
                .AddReader(new BaseExportingMetricReader(push) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative })
                .Build();
            PrometheusMetricsExporterTests.RecordEveryKrakenDInstrument(harness.Meter, describe: true);
            Assert.True(pushing.ForceFlush(10_000));

            using var client = new HttpClient();
            return await client.GetStringAsync(new Uri(baseUri, "/metrics"));
        }
        finally
        {
            await companion.StopAsync();
            await companion.DisposeAsync();
        }
    }

    /// <summary>The HELP, TYPE and sample lines of the gateway's own families, sorted (the order of families may differ).</summary>
    private static string[] GatewayFamilies(string exposition) =>
    [
        .. exposition.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(static line => Family(line) is { } name && (name.StartsWith("http_", StringComparison.Ordinal) || name.StartsWith("krakend_", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal),
    ];

    private static string? Family(string line)
    {
        var text = line.StartsWith("# HELP ", StringComparison.Ordinal) || line.StartsWith("# TYPE ", StringComparison.Ordinal) ? line[7..] : line;
        var end = text.IndexOfAny([' ', '{']);
        return end > 0 ? text[..end] : null;
    }
}
