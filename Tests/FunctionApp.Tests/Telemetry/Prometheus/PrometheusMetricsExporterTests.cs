using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Telemetry.Prometheus;

namespace FunctionApp.Tests.Telemetry.Prometheus;

public class PrometheusMetricsExporterTests
{
    internal static readonly double[] TimeBuckets = [0.010, 0.020, 0.050, 0.075, 0.100, 0.125, 0.150, 0.175, 0.200, 0.250, 0.300, 0.350, 0.500, 0.750, 1.0, 1.5, 2.0, 3.5, 5.0, 10.0];
    internal static readonly long[] SizeBuckets = [128, 256, 512, 1024, 4096, 8192, 16384, 32768, 65536, 262144, 524288, 1048576, 4194304, 16777216, 67108864];

    internal static readonly KeyValuePair<string, string>[] Resource =
    [
        new("service.name", "krakend"),
        new("service.version", "2.10.0"),
        new("deployment.environment", "test"),
    ];

    [Fact]
    public void Scrape_LegacyServerHistogram_RendersKrakenDExposition()
    {
        using var harness = new Harness();
        var duration = harness.Meter.CreateHistogram("http.server.duration", unit: null, description: null, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = TimeBuckets });
        TagList tags = new()
        {
            { "http.request.method", "GET" },
            { "url.scheme", "http" },
            { "http.route", "/users/:id" },
            { "http.response.status_code", 200 },
        };
        duration.Record(0.25, tags);
        duration.Record(2, tags);

        var text = harness.Scrape();

        var labels = $"http_request_method=\"GET\",http_response_status_code=\"200\",http_route=\"/users/:id\",otel_scope_name=\"{harness.MeterName}\",otel_scope_version=\"\",url_scheme=\"http\"";
        var expected = new StringBuilder()
            .Append("# HELP http_server_duration \n")
            .Append("# TYPE http_server_duration histogram\n");
        string[] bounds = ["0.01", "0.02", "0.05", "0.075", "0.1", "0.125", "0.15", "0.175", "0.2", "0.25", "0.3", "0.35", "0.5", "0.75", "1", "1.5", "2", "3.5", "5", "10"];
        int[] counts = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2];
        for (var i = 0; i < bounds.Length; i++)
        {
            expected.Append($"http_server_duration_bucket{{{labels},le=\"{bounds[i]}\"}} {counts[i]}\n");
        }

        expected
            .Append($"http_server_duration_bucket{{{labels},le=\"+Inf\"}} 2\n")
            .Append($"http_server_duration_sum{{{labels}}} 2.25\n")
            .Append($"http_server_duration_count{{{labels}}} 2\n")
            .Append("# HELP otel_scope_info Instrumentation Scope metadata\n")
            .Append("# TYPE otel_scope_info gauge\n")
            .Append($"otel_scope_info{{otel_scope_name=\"{harness.MeterName}\",otel_scope_version=\"\"}} 1\n")
            .Append("# HELP target_info Target metadata\n")
            .Append("# TYPE target_info gauge\n")
            .Append("target_info{deployment_environment=\"test\",service_name=\"krakend\",service_version=\"2.10.0\"} 1\n");
        Assert.Equal(expected.ToString(), text);
    }

    [Fact]
    public void Scrape_Semconv127Instruments_AppendKnownUnitSuffixesOnly()
    {
        using var harness = new Harness();
        var meter = harness.Meter;
        meter.CreateHistogram("http.server.request.duration", "s", "Duration of HTTP server requests.", tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = TimeBuckets }).Record(0.1);
        meter.CreateHistogram("http.server.response.body.size", "By", "Size of HTTP server response bodies.", tags: null, advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = SizeBuckets }).Record(300);
        meter.CreateCounter<long>("http.client.response.no-content-length", "By", "no content length").Add(1);
        meter.CreateCounter<long>("http.client.response.read.size", "b").Add(7);
        meter.CreateCounter<double>("http.client.response.read.time", "s").Add(0.5);
        meter.CreateHistogram("http.client.response.read.size-hist", "b", null, tags: null, advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = SizeBuckets }).Record(7);
        meter.CreateHistogram("http.client.response.read.time-hist", "s", null, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = TimeBuckets }).Record(0.5);
        meter.CreateCounter<long>("http.client.request.started.count").Add(3);

        var text = harness.Scrape();
        var scope = harness.ScopeLabels;

        Assert.Contains("# HELP http_server_request_duration_seconds Duration of HTTP server requests.\n# TYPE http_server_request_duration_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_server_request_duration_seconds_bucket{{{scope},le=\"0.1\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_server_response_body_size_bytes_bucket{{{scope},le=\"256\"}} 0\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_server_response_body_size_bytes_bucket{{{scope},le=\"512\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_server_response_body_size_bytes_sum{{{scope}}} 300\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE http_client_response_no_content_length_bytes_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_client_response_no_content_length_bytes_total{{{scope}}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_client_response_read_size_total{{{scope}}} 7\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_client_response_read_time_seconds_total{{{scope}}} 0.5\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_client_response_read_size_hist_count{{{scope}}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_client_response_read_time_hist_seconds_bucket{{{scope},le=\"0.5\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_client_request_started_count_total{{{scope}}} 3\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_ProxyHistogram_BoolIntAndStringAttributesBecomeLabels()
    {
        using var harness = new Harness();
        var proxy = harness.Meter.CreateHistogram("krakend.proxy.duration", unit: null, description: null, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = TimeBuckets });
        proxy.Record(0.05, new TagList
        {
            { "http.request.method", "POST" },
            { "http.route", "/orders" },
            { "error", false },
            { "canceled", false },
            { "complete", true },
            { "attempt", 2L },
        });

        var text = harness.Scrape();

        Assert.Contains(
            $"krakend_proxy_duration_bucket{{attempt=\"2\",canceled=\"false\",complete=\"true\",error=\"false\",http_request_method=\"POST\",http_route=\"/orders\",{harness.ScopeLabels},le=\"0.05\"}} 1\n",
            text,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_SizeHistogram_BoundsAndCountsCumulativeInGoFormat()
    {
        using var harness = new Harness();
        var size = harness.Meter.CreateHistogram("http.client.response.size", unit: null, description: null, tags: null, advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = SizeBuckets });
        size.Record(100);
        size.Record(2_000_000);
        size.Record(100_000_000);

        var text = harness.Scrape();
        var scope = harness.ScopeLabels;

        Assert.Contains($"http_client_response_size_bucket{{{scope},le=\"128\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_client_response_size_bucket{{{scope},le=\"524288\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_client_response_size_bucket{{{scope},le=\"1.048576e+06\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_client_response_size_bucket{{{scope},le=\"4.194304e+06\"}} 2\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_client_response_size_bucket{{{scope},le=\"6.7108864e+07\"}} 2\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_client_response_size_bucket{{{scope},le=\"+Inf\"}} 3\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_client_response_size_sum{{{scope}}} 1.020001e+08\n", text, StringComparison.Ordinal);
        Assert.Contains($"http_client_response_size_count{{{scope}}} 3\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_UpDownCounterAndGauge_RenderAsGaugesWithoutTotal()
    {
        using var harness = new Harness();
        harness.Meter.CreateUpDownCounter<long>("krakend.inflight").Add(-2);
        harness.Meter.CreateObservableGauge("krakend.temperature", () => 36.6, "Cel");

        var text = harness.Scrape();

        Assert.Contains("# TYPE krakend_inflight gauge\n", text, StringComparison.Ordinal);
        Assert.Contains($"krakend_inflight{{{harness.ScopeLabels}}} -2\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE krakend_temperature_celsius gauge\n", text, StringComparison.Ordinal);
        Assert.Contains($"krakend_temperature_celsius{{{harness.ScopeLabels}}} 36.6\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_CounterAfterMoreRecordings_IsCumulative()
    {
        using var harness = new Harness();
        var counter = harness.Meter.CreateCounter<long>("http.client.request.failed.count");
        counter.Add(1);
        var first = harness.Scrape();
        counter.Add(4);

        var second = harness.Scrape();

        Assert.Contains($"http_client_request_failed_count_total{{{harness.ScopeLabels}}} 1\n", first, StringComparison.Ordinal);
        Assert.Contains($"http_client_request_failed_count_total{{{harness.ScopeLabels}}} 5\n", second, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_OtherMetersOnTheProvider_AreNotRendered()
    {
        var otherName = Harness.UniqueMeterName();
        using var other = new Meter(otherName);
        using var harness = new Harness(extraMeters: [otherName]);
        other.CreateCounter<long>("foreign.counter").Add(1);
        harness.Meter.CreateCounter<long>("own.counter").Add(1);

        var text = harness.Scrape();

        Assert.Contains("own_counter_total", text, StringComparison.Ordinal);
        Assert.DoesNotContain("foreign_counter", text, StringComparison.Ordinal);
        Assert.DoesNotContain(otherName, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_SameNameWithAnotherType_KeepsTheFirstType()
    {
        using var harness = new Harness();
        harness.Meter.CreateCounter<long>("dup", "s", "first help").Add(1);
        var secondMeterName = harness.MeterName;
        harness.Meter.CreateUpDownCounter<long>("dup_seconds_total").Add(5);

        var text = harness.Scrape();

        Assert.Contains("# HELP dup_seconds_total first help\n# TYPE dup_seconds_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains($"dup_seconds_total{{otel_scope_name=\"{secondMeterName}\",otel_scope_version=\"\"}} 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("} 5\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_ProcessMetricsEnabled_RendersProcessFamilies()
    {
        using var harness = new Harness(options => options with { ProcessMetrics = true });

        var text = harness.Scrape();

        Assert.Contains("# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes ", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds ", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE process_open_fds gauge\nprocess_open_fds ", text, StringComparison.Ordinal);
        if (OperatingSystem.IsLinux())
        {
            Assert.Contains("# TYPE process_max_fds gauge\nprocess_max_fds ", text, StringComparison.Ordinal);
            Assert.Contains("# TYPE process_virtual_memory_max_bytes gauge\nprocess_virtual_memory_max_bytes ", text, StringComparison.Ordinal);
        }

        var start = double.Parse(ValueOf(text, "process_start_time_seconds"), System.Globalization.CultureInfo.InvariantCulture);
        var startedAt = DateTimeOffset.FromUnixTimeMilliseconds((long)(start * 1000));
        Assert.InRange(startedAt, DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.True(double.Parse(ValueOf(text, "process_resident_memory_bytes"), System.Globalization.CultureInfo.InvariantCulture) > 1_000_000);
    }

    [Fact]
    public void Scrape_ProcessMetricsDisabled_HasNoProcessFamilies()
    {
        using var harness = new Harness();
        harness.Meter.CreateCounter<long>("c").Add(1);

        var text = harness.Scrape();

        Assert.DoesNotContain("process_", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_RuntimeMetricsEnabled_RendersSystemRuntimeInstruments()
    {
        using var harness = new Harness(options => options with { RuntimeMetrics = true }, extraMeters: [PrometheusMetricsExporterOptions.RuntimeMeterName]);

        var text = harness.Scrape();

        Assert.Contains("# TYPE dotnet_process_cpu_time_seconds_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE dotnet_process_memory_working_set_bytes gauge\n", text, StringComparison.Ordinal);
        Assert.Contains("otel_scope_name=\"System.Runtime\"", text, StringComparison.Ordinal);
        Assert.Contains("otel_scope_info{otel_scope_name=\"System.Runtime\",", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_RuntimeMetricsDisabled_LeavesSystemRuntimeOut()
    {
        using var harness = new Harness(extraMeters: [PrometheusMetricsExporterOptions.RuntimeMeterName]);
        harness.Meter.CreateCounter<long>("c").Add(1);

        var text = harness.Scrape();

        Assert.Contains("c_total", text, StringComparison.Ordinal);
        Assert.DoesNotContain("dotnet_", text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.Runtime", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_DisableMetricsWithRuntimeMetrics_LeavesGatewayFamiliesOut()
    {
        using var harness = new Harness(
            options => options with { IncludeGatewayMeter = false, RuntimeMetrics = true },
            extraMeters: [PrometheusMetricsExporterOptions.RuntimeMeterName]);
        harness.Meter.CreateHistogram<double>("http.server.duration").Record(1);

        var text = harness.Scrape();

        Assert.DoesNotContain("http_server_duration", text, StringComparison.Ordinal);
        Assert.DoesNotContain(harness.MeterName, text, StringComparison.Ordinal);
        Assert.Contains("dotnet_process_cpu_time_seconds_total", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_DisableMetricsOnly_RendersNothingButProcessFamilies()
    {
        var options = PrometheusMetricsExporterOptions.From(
            new global::Telemetry.Configuration.PrometheusExporterOptions { Name = "prom", DisableMetrics = true, ProcessMetrics = true },
            Harness.UniqueMeterName());
        using var exporter = new PrometheusMetricsExporter(options, Resource);

        var text = Encoding.UTF8.GetString(exporter.Scrape());

        Assert.False(options.UsesMeterProvider);
        Assert.DoesNotContain("target_info", text, StringComparison.Ordinal);
        Assert.DoesNotContain("otel_scope_info", text, StringComparison.Ordinal);
        Assert.Contains("process_cpu_seconds_total", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_ReaderNotAddedToAProvider_RendersNoOpenTelemetryFamilies()
    {
        using var exporter = new PrometheusMetricsExporter(new PrometheusMetricsExporterOptions { GatewayMeterName = Harness.UniqueMeterName() }, Resource);

        Assert.Equal("", Encoding.UTF8.GetString(exporter.Scrape()));
    }

    [Fact]
    public void Scrape_AfterTheProviderIsDisposed_RendersOnlyProcessFamilies()
    {
        var harness = new Harness(options => options with { ProcessMetrics = true });
        harness.Meter.CreateCounter<long>("c").Add(1);
        harness.Dispose();

        var text = harness.Scrape();

        Assert.DoesNotContain("c_total", text, StringComparison.Ordinal);
        Assert.DoesNotContain("target_info", text, StringComparison.Ordinal);
        Assert.Contains("process_cpu_seconds_total", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_EmptyResource_RendersTargetInfoWithoutLabels()
    {
        using var harness = new Harness(resource: []);

        var text = harness.Scrape();

        Assert.Contains("# TYPE target_info gauge\ntarget_info 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("otel_scope_info", text, StringComparison.Ordinal);
    }

    [Fact]
    public void From_ExporterConfig_MapsFlags()
    {
        var options = PrometheusMetricsExporterOptions.From(
            new global::Telemetry.Configuration.PrometheusExporterOptions { Name = "p", ProcessMetrics = true, GoMetrics = true },
            "gw.meter");

        Assert.Equal(new PrometheusMetricsExporterOptions { GatewayMeterName = "gw.meter", IncludeGatewayMeter = true, ProcessMetrics = true, RuntimeMetrics = true }, options);
        Assert.True(options.UsesMeterProvider);
    }

    [Fact]
    public async Task ScrapeAsync_ConcurrentScrapes_EachGetsACompleteExposition()
    {
        using var harness = new Harness(options => options with { ProcessMetrics = true });
        var counter = harness.Meter.CreateCounter<long>("http.client.request.started.count");
        var histogram = harness.Meter.CreateHistogram("http.client.duration", unit: null, description: null, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = TimeBuckets });
        counter.Add(1);

        var scrapes = Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            counter.Add(1, new KeyValuePair<string, object?>("worker", i % 3));
            histogram.Record(0.1);
            return Encoding.UTF8.GetString(await harness.Exporter.ScrapeAsync());
        })).ToArray();
        var texts = await Task.WhenAll(scrapes);

        foreach (var text in texts)
        {
            Assert.Single(Lines(text), l => l == "# TYPE http_client_request_started_count_total counter");
            Assert.Single(Lines(text), l => l == "# TYPE http_client_duration histogram");
            Assert.Single(Lines(text), l => l == "# TYPE target_info gauge");
            Assert.Single(Lines(text), l => l == "# TYPE process_cpu_seconds_total counter");
            Assert.EndsWith("\n", text, StringComparison.Ordinal);
        }

        var last = harness.Scrape();
        Assert.Contains($"http_client_duration_count{{{harness.ScopeLabels}}} 24\n", last, StringComparison.Ordinal);
    }

    [PromtoolFact]
    public void Promtool_CheckMetrics_AcceptsTheExposition()
    {
        using var harness = new Harness(options => options with { ProcessMetrics = true });
        RecordEveryKrakenDInstrument(harness.Meter, describe: true);

        var text = harness.Scrape();
        var (exitCode, output) = Promtool.CheckMetrics(text);

        Assert.True(exitCode == 0, $"promtool check metrics exited {exitCode}:\n{output}\n---\n{text}");
    }

    [PromtoolFact]
    public void Promtool_CheckMetrics_UndescribedInstruments_OnlyLackHelpText()
    {
        // KrakenD's legacy instruments have no description: Go writes an empty "# HELP", which parses but which
        // promtool's linter reports (exit 3). Anything else reported would be our bug.
        using var harness = new Harness(options => options with { ProcessMetrics = true });
        RecordEveryKrakenDInstrument(harness.Meter, describe: false);

        var text = harness.Scrape();
        var (exitCode, output) = Promtool.CheckMetrics(text);

        Assert.True(exitCode == 3, $"promtool check metrics exited {exitCode}:\n{output}\n---\n{text}");
        var problems = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("http_server_duration no help text", problems);
        Assert.All(problems, p => Assert.EndsWith(" no help text", p, StringComparison.Ordinal));
    }

    /// <summary>
    /// One recording on every instrument of reference §4 (legacy and 1.27 names). <paramref name="describe"/> gives
    /// the undescribed ones a description.
    /// </summary>
    internal static void RecordEveryKrakenDInstrument(Meter meter, bool describe)
    {
        TagList server = new()
        {
            { "http.request.method", "GET" },
            { "url.scheme", "http" },
            { "http.route", "/users/:id" },
            { "http.response.status_code", 200 },
        };
        TagList stage = new()
        {
            { "http.request.method", "GET" },
            { "http.route", "/users/:id" },
            { "error", false },
            { "canceled", false },
            { "complete", true },
        };
        TagList client = new()
        {
            { "http.route", "/u/:id" },
            { "krakend.endpoint.route", "/users/:id" },
            { "krakend.endpoint.method", "GET" },
            { "clientname", "/u/:id" },
            { "http.request.method", "GET" },
            { "server.address", "backend" },
            { "server.port", 80 },
            { "http.response.status_code", 200 },
        };

        string? Help(string name, string? description) => description ?? (describe ? $"KrakenD {name}." : null);
        Histogram<double> Time(string name, string? unit = null, string? description = null) =>
            meter.CreateHistogram(name, unit, Help(name, description), null, new InstrumentAdvice<double> { HistogramBucketBoundaries = TimeBuckets });
        Histogram<long> Size(string name, string? unit = null, string? description = null) =>
            meter.CreateHistogram(name, unit, Help(name, description), null, new InstrumentAdvice<long> { HistogramBucketBoundaries = SizeBuckets });
        Counter<T> Count<T>(string name, string? unit = null)
            where T : struct => meter.CreateCounter<T>(name, unit, Help(name, null));

        Time("http.server.duration").Record(0.02, server);
        Size("http.server.response.size").Record(512, server);
        Time("http.server.request.duration", "s", "Duration of HTTP server requests.").Record(0.02, server);
        Size("http.server.response.body.size", "By", "Size of HTTP server response bodies.").Record(512, server);
        Time("krakend.proxy.duration").Record(0.01, stage);
        Time("krakend.backend.duration").Record(0.01, stage);
        foreach (var name in new[] { "started", "failed", "canceled", "timedout" })
        {
            Count<long>($"http.client.request.{name}.count").Add(1, client);
        }

        Count<long>("http.client.request.size").Add(0, client);
        Time("http.client.duration").Record(0.005, client);
        Size("http.client.response.size").Record(2_000_000, client);
        Count<long>("http.client.response.no-content-length").Add(1, client);
        Time("http.client.request.get-conn.duration").Record(0.001, client);
        Time("http.client.request.dns.duration", "s", "Time spent resolving the backend host.").Record(0, client);
        Time("http.client.request.tls.duration", "s", "Time spent in the TLS handshake.").Record(0, client);
        Time("http.client.request.duration", "s", "Duration of HTTP client requests.").Record(0.005, client);
        Size("http.client.request.body.size", "By", "Size of HTTP client request bodies.").Record(0, client);
        Size("http.client.response.body.size", "By", "Size of HTTP client response bodies.").Record(7, client);
        Count<long>("http.client.response.read.size", "b").Add(7, client);
        Size("http.client.response.read.size-hist", "b").Record(7, client);
        Count<double>("http.client.response.read.time", "s").Add(0.001, client);
        Time("http.client.response.read.time-hist", "s").Record(0.001, client);
    }

    private static IEnumerable<string> Lines(string text) => text.Split('\n');

    private static string ValueOf(string text, string name) =>
        Lines(text).Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..];

    /// <summary>A meter with a unique name, an exporter for it and a MeterProvider reading it: one per test.</summary>
    internal sealed class Harness : IDisposable
    {
        private readonly MeterProvider _provider;

        public Harness(
            Func<PrometheusMetricsExporterOptions, PrometheusMetricsExporterOptions>? configure = null,
            string[]? extraMeters = null,
            KeyValuePair<string, string>[]? resource = null)
        {
            MeterName = UniqueMeterName();
            Meter = new Meter(MeterName);
            var options = new PrometheusMetricsExporterOptions { GatewayMeterName = MeterName };
            Exporter = new PrometheusMetricsExporter(configure?.Invoke(options) ?? options, resource ?? Resource);
            _provider = Sdk.CreateMeterProviderBuilder()
                .AddMeter([MeterName, .. extraMeters ?? []])
                .AddReader(Exporter.Reader)
                .Build();
        }

        public string MeterName { get; }

        public Meter Meter { get; }

        public PrometheusMetricsExporter Exporter { get; }

        public string ScopeLabels => $"otel_scope_name=\"{MeterName}\",otel_scope_version=\"\"";

        public static string UniqueMeterName() => $"test.prometheus.{Guid.NewGuid():N}";

        public string Scrape() => Encoding.UTF8.GetString(Exporter.Scrape());

        public void Dispose()
        {
            _provider.Dispose();
            Meter.Dispose();
        }
    }
}
