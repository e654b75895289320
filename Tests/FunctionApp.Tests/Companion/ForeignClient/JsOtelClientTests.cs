using System.Globalization;
using System.Text.RegularExpressions;
using FunctionApp.Tests.Common;

namespace FunctionApp.Tests.Companion.ForeignClient;

/// <summary>
/// A client that is not ours: the OpenTelemetry JS metrics SDK (<c>Tests/js-otel-client</c>) pushes counters, an
/// up-down counter, a gauge and two explicit-bucket histograms (bounds from a View and from advice) to a real companion
/// process, as two instances (one cumulative, one delta, each flushing twice). <c>/metrics</c> must show the
/// Prometheus names the companion's naming rules give, the attribute labels, and the exact sums over both instances.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed partial class JsOtelClientTests
{
    private const string Scope = "otel_scope_name=\"js-otel-client\",otel_scope_version=\"1.0.0\"";
    private const string Route = "http_response_status_code=\"200\",http_route=\"/a\"," + Scope;

    [Fact]
    public async Task JsSdkInstances_PushToCompanionProcess_MetricsShowPrometheusNamesAndExactSums()
    {
        var client = JsOtelClient.Find();
        var port = GatewayProcess.FreePort();
        await using var companion = GatewayProcess.Start(GatewayProcess.BuiltBinary, ["companion", "-p", port.ToString(CultureInfo.InvariantCulture), "--listen-ip", "127.0.0.1"]);
        using var scraper = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        (await companion.WaitForAsync(scraper, "/metrics", TimeSpan.FromSeconds(30))).Dispose();
        var ingest = $"http://127.0.0.1:{port}/v1/metrics";

        // Instance 1: factor 1, cumulative temporality (the SDK's default). Two pushes of growing cumulative values
        // must count once, not twice.
        await client.PushAsync(ingest, "js-instance-1", factor: 1, "cumulative");
        var first = Lines(await scraper.GetStringAsync("/metrics"));
        Assert.Contains($"jobs_processed_total{{{Scope},queue=\"high\"}} 5", first);
        Assert.Contains($"request_duration_seconds_count{{{Route}}} 5", first);

        // Instance 2: factor 2, delta temporality (the up-down counter stays cumulative, as the SDK's delta selector
        // does). The totals become 1 + 2 = 3 times the factor-1 scenario.
        await client.PushAsync(ingest, "js-instance-2", factor: 2, "delta");
        var exposition = await scraper.GetStringAsync("/metrics");
        var lines = Lines(exposition);
        string[] expected =
        [
            // Monotonic counters: _total; unit "s" adds _seconds before it, an annotation unit ({job}) adds nothing.
            "# HELP jobs_processed_total Jobs processed",
            "# TYPE jobs_processed_total counter",
            $"jobs_processed_total{{{Scope},queue=\"high\"}} 15",
            $"jobs_processed_total{{{Scope},queue=\"low\"}} 3",
            "# TYPE cpu_time_seconds_total counter",
            $"cpu_time_seconds_total{{mode=\"user\",{Scope}}} 2.25",

            // Up-down counter and gauge: gauges, the last value of each instance summed (4 + 8, 3 + 6).
            "# TYPE queue_depth gauge",
            $"queue_depth{{{Scope},queue=\"high\"}} 12",
            "# TYPE connections_open gauge",
            $"connections_open{{{Scope}}} 9",

            // Histogram with a View's bounds [0.1, 0.5, 1, 2.5]: 0.5 lands in le="0.5" (upper-inclusive), 4 only in +Inf.
            "# HELP request_duration_seconds Request duration",
            "# TYPE request_duration_seconds histogram",
            $"request_duration_seconds_bucket{{{Route},le=\"0.1\"}} 0",
            $"request_duration_seconds_bucket{{{Route},le=\"0.5\"}} 9",
            $"request_duration_seconds_bucket{{{Route},le=\"1\"}} 12",
            $"request_duration_seconds_bucket{{{Route},le=\"2.5\"}} 12",
            $"request_duration_seconds_bucket{{{Route},le=\"+Inf\"}} 15",
            $"request_duration_seconds_sum{{{Route}}} 16.875",
            $"request_duration_seconds_count{{{Route}}} 15",

            // Histogram with the advice's bounds [100, 1000], unit By → _bytes.
            "# TYPE payload_size_bytes histogram",
            $"payload_size_bytes_bucket{{{Scope},le=\"100\"}} 3",
            $"payload_size_bytes_bucket{{{Scope},le=\"1000\"}} 6",
            $"payload_size_bytes_bucket{{{Scope},le=\"+Inf\"}} 9",
            $"payload_size_bytes_sum{{{Scope}}} 7872",
            $"payload_size_bytes_count{{{Scope}}} 9",

            // Stable resource attributes only, once for both instances; the scope once.
            "target_info{service_name=\"js-otel-client\",service_version=\"1.2.3\"} 1",
            $"otel_scope_info{{{Scope}}} 1",
            "aggregator_instances 2",
            "aggregator_series 7",
        ];
        foreach (var line in expected)
        {
            Assert.True(lines.Contains(line), $"missing line: {line}\n--- /metrics ---\n{exposition}");
        }

        Assert.Single(lines, static l => l.StartsWith("jobs_processed_total{", StringComparison.Ordinal) && l.Contains("queue=\"high\"", StringComparison.Ordinal));
        Assert.All(RejectedLine().Matches(exposition), static m => Assert.Equal("0", m.Groups["value"].Value));
        foreach (var instanceIdentity in new[] { "service_instance_id", "js-instance-", "host_name", "host-of-" })
        {
            Assert.DoesNotContain(instanceIdentity, exposition, StringComparison.Ordinal);
        }
    }

    private static HashSet<string> Lines(string exposition) => [.. exposition.Split('\n')];

    [GeneratedRegex(@"^aggregator_points_rejected_total\{reason=""[a-z_]+""\} (?<value>\S+)$", RegexOptions.Multiline)]
    private static partial Regex RejectedLine();
}
