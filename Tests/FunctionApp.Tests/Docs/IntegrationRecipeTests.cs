using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FunctionApp.Companion;
using FunctionApp.Tests.Common;
using FunctionApp.Tests.Common.Otlp;
using FunctionApp.Tests.Telemetry.Export.AzureMonitor;
using FunctionApp.Tests.Telemetry.Prometheus;
using global::Telemetry.Configuration;
using global::Telemetry.Runtime;
using Microsoft.AspNetCore.Http;
using AggregationTemporality = OpenTelemetry.Proto.Metrics.V1.AggregationTemporality;

namespace FunctionApp.Tests.Docs;

/// <summary>
/// Our half of every recipe in <c>docs/integrations.md</c>, for real. Each test takes its section's own
/// <c>```json</c> block (parsed out of the Markdown), changes only where the telemetry goes (host and port, and
/// <c>https://</c> to <c>http://</c>, since the local receivers speak cleartext), runs the gateway in-process in Azure
/// Functions mode (per-invocation flush: what a request produced has been exported when its response is complete),
/// sends requests, and checks what the destination would receive: a real OTLP receiver (gRPC or HTTP/protobuf) where
/// the recipe talks OTLP to Jaeger, the Datadog Agent or an OpenTelemetry Collector; the companion or the standalone
/// <c>/metrics</c> for Prometheus; a local Application Insights ingestion endpoint for Azure Monitor. The Collector
/// YAML is parsed and its wiring checked against the JSON; the Prometheus <c>scrape_config</c> goes through
/// <c>promtool check config</c>.
/// </summary>
public sealed partial class IntegrationRecipeTests
{
    private const string OpenTelemetry = "telemetry/opentelemetry";
    private const string Security = "telemetry/opentelemetry-security";
    private const string TraceServicePath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

    private static readonly string[] Destinations = ["Prometheus", "Azure Monitor", "Jaeger", "Datadog", "Zipkin", "InfluxDB"];

    [Fact]
    public async Task Jaeger_recipe_sends_OTLP_gRPC_traces_of_every_request_and_no_metrics()
    {
        var recipe = IntegrationsDoc.Section("Jaeger").RecipeJson();
        await using var receiver = await OtlpReceiver.StartAsync(OtlpReceiverProtocol.Grpc);
        var adapted = PointOtlpAt(recipe, receiver);
        await using var run = await RecipeRun.StartAsync(adapted, Settings());

        await run.InvokeAsync(3);

        // trace_sample_rate 1: every request is a trace, all layers in it.
        await receiver.WaitForAsync(r => GlobalSpans(r).Count == 3);
        Assert.Equal(3, GlobalSpans(receiver).Select(s => s.TraceId).Distinct().Count());
        foreach (var stage in new[] { "proxy", "backend", "backend-request" })
        {
            Assert.Contains(receiver.Spans, s => Equals(s.Attributes.GetValueOrDefault("krakend.stage"), stage));
        }

        Assert.All(receiver.Spans, s => Assert.Equal(ServiceName(recipe), s.ResourceAttributes["service.name"]));
        Assert.Equal("my-gateway", ServiceName(recipe));

        // disable_metrics: the Jaeger endpoint never sees a metrics export (the flush of each invocation is over).
        Assert.All(receiver.Exports, e =>
        {
            Assert.Equal(OtlpReceivedSignal.Traces, e.Signal);
            Assert.Equal(TraceServicePath, e.Path);
        });
        Assert.Empty(receiver.MetricPoints);
    }

    [Fact]
    public async Task Datadog_recipe_sends_OTLP_HTTP_traces_and_metrics_with_the_security_header_and_deploy_env()
    {
        var recipe = IntegrationsDoc.Section("Datadog").RecipeJson();
        await using var receiver = await OtlpReceiver.StartAsync(OtlpReceiverProtocol.HttpProtobuf);
        var adapted = PointOtlpAt(recipe, receiver);
        await using var run = await RecipeRun.StartAsync(adapted, Settings());

        await run.InvokeAsync(3);

        await receiver.WaitForAsync(r => GlobalSpans(r).Count == 3 && ServerDurationCount(r) == 3);
        var authorization = recipe[ExtraConfig]![Security]!["otlp"]![0]!["headers"]!["authorization"]!.GetValue<string>();
        Assert.Equal("Bearer <collector token>", authorization);
        Assert.Contains(receiver.Exports, e => e.Signal == OtlpReceivedSignal.Traces);
        Assert.Contains(receiver.Exports, e => e.Signal == OtlpReceivedSignal.Metrics);
        Assert.All(receiver.Exports, e =>
        {
            Assert.Equal(authorization, e.Headers["authorization"]);
            Assert.Equal(e.Signal == OtlpReceivedSignal.Traces ? "/v1/traces" : "/v1/metrics", e.Path);
            Assert.Equal("application/x-protobuf", e.Headers["content-type"]);
        });

        var deployEnv = recipe[ExtraConfig]![OpenTelemetry]!["deploy_env"]!.GetValue<string>();
        Assert.Equal("production", deployEnv);
        Assert.All(receiver.Spans, s => Assert.Equal(deployEnv, s.ResourceAttributes["deployment.environment"]));
        Assert.All(receiver.MetricPoints, p => Assert.Equal(deployEnv, p.ResourceAttributes["deployment.environment"]));
        Assert.All(receiver.MetricPoints, p => Assert.Equal(ServiceName(recipe), p.ResourceAttributes["service.name"]));

        // Without the temporality setting the doc recommends for Datadog, the default (cumulative) applies.
        Assert.All(receiver.MetricPoints.Where(p => p.Kind != ReceivedMetricKind.Gauge), p => Assert.Equal(AggregationTemporality.Cumulative, p.Temporality));
    }

    /// <summary>
    /// The alternative the Datadog section recommends: the token in <c>OTEL_EXPORTER_OTLP_HEADERS</c> (an app
    /// setting) instead of <c>telemetry/opentelemetry-security</c>, and delta temporality.
    /// </summary>
    [Fact]
    public async Task Datadog_recipe_with_the_token_and_delta_temporality_in_app_settings()
    {
        var section = IntegrationsDoc.Section("Datadog");
        Assert.Contains("OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer <token>", section.Text, StringComparison.Ordinal);
        Assert.Contains("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta", section.Text, StringComparison.Ordinal);
        var recipe = section.RecipeJson();
        var withoutSecurity = (JsonObject)recipe.DeepClone();
        Assert.True(withoutSecurity[ExtraConfig]!.AsObject().Remove(Security));

        await using var receiver = await OtlpReceiver.StartAsync(OtlpReceiverProtocol.HttpProtobuf);
        var adapted = PointOtlpAt(withoutSecurity, receiver);
        var environment = new Dictionary<string, string>
        {
            [TelemetryEnvironment.OtlpHeadersVariable] = "authorization=Bearer from-app-setting",
            [TelemetryEnvironment.TemporalityPreferenceVariable] = "delta",
        };
        await using var run = await RecipeRun.StartAsync(adapted, Settings(environment: environment));

        await run.InvokeAsync(2);

        await receiver.WaitForAsync(r => GlobalSpans(r).Count == 2 && r.MetricPoints.Any(p => p.Name == "http.server.duration"));
        Assert.All(receiver.Exports, e => Assert.Equal("Bearer from-app-setting", e.Headers["authorization"]));

        // Delta: each flush carries what happened since the previous one, so the counts add up to the requests.
        var durations = receiver.MetricPoints.Where(p => p.Name == "http.server.duration").ToList();
        Assert.All(durations, p => Assert.Equal(AggregationTemporality.Delta, p.Temporality));
        Assert.Equal(2UL, durations.Aggregate(0UL, (sum, p) => sum + p.Count));
    }

    [Fact]
    public async Task Zipkin_recipe_sends_gRPC_traces_only_sampled_at_the_configured_rate()
    {
        var recipe = IntegrationsDoc.Section("Zipkin").RecipeJson();
        var rate = recipe[ExtraConfig]![OpenTelemetry]!["trace_sample_rate"]!.GetValue<double>();
        Assert.Equal(0.1, rate);
        await using var receiver = await OtlpReceiver.StartAsync(OtlpReceiverProtocol.Grpc);
        var adapted = PointOtlpAt(recipe, receiver);
        await using var run = await RecipeRun.StartAsync(adapted, Settings());

        const int Requests = 200;
        await run.InvokeAsync(Requests);

        // Every request was flushed before its response completed: the sampled traces are all there.
        var sampled = GlobalSpans(receiver).Select(s => s.TraceId).Distinct().ToList();

        // The decision, exactly: a root is sampled when the last 8 bytes of its trace id, shifted right by one, are
        // below rate·2^63 (Go's TraceIDRatioBased, as KrakenD). Every trace that arrived must pass that test.
        var bound = (ulong)(rate * (1UL << 63));
        Assert.All(sampled, traceId => Assert.True(
            BinaryPrimitives.ReadUInt64BigEndian(Convert.FromHexString(traceId).AsSpan(8)) >> 1 < bound,
            $"trace {traceId} was exported but is above the 0.1 ratio bound"));

        // And loosely, the count: about 10 % of 200. Below 2 or above 45 has a probability under 1e-7 each.
        Assert.InRange(sampled.Count, 2, 45);

        // Each sampled trace is complete, and nothing but traces left the gateway (disable_metrics).
        Assert.All(sampled, traceId => Assert.Contains(receiver.Spans, s => s.TraceId == traceId && Equals(s.Attributes.GetValueOrDefault("krakend.stage"), "backend-request")));
        Assert.All(receiver.Exports, e => Assert.Equal(TraceServicePath, e.Path));
        Assert.Empty(receiver.MetricPoints);
    }

    [Fact]
    public async Task InfluxDB_recipe_sends_OTLP_HTTP_cumulative_metrics_and_no_traces()
    {
        var recipe = IntegrationsDoc.Section("InfluxDB").RecipeJson();
        await using var receiver = await OtlpReceiver.StartAsync(OtlpReceiverProtocol.HttpProtobuf);
        var adapted = PointOtlpAt(recipe, receiver);
        await using var run = await RecipeRun.StartAsync(adapted, Settings());

        await run.InvokeAsync(3);

        await receiver.WaitForAsync(r => ServerDurationCount(r) == 3);
        Assert.All(receiver.Exports, e =>
        {
            Assert.Equal(OtlpReceivedSignal.Metrics, e.Signal);
            Assert.Equal("/v1/metrics", e.Path);
        });
        Assert.Empty(receiver.Spans);

        // Cumulative: the last point of each series is the running total, as InfluxDB's telegraf-prometheus-v1
        // schema (and Prometheus) expect.
        var points = receiver.MetricPoints;
        Assert.All(points.Where(p => p.Kind != ReceivedMetricKind.Gauge), p => Assert.Equal(AggregationTemporality.Cumulative, p.Temporality));
        foreach (var name in new[] { "http.server.duration", "krakend.proxy.duration", "krakend.backend.duration", "http.client.duration" })
        {
            var last = points.Where(p => p.Name == name).MaxBy(p => p.TimeUnixNano);
            Assert.True(last is not null, $"no {name} point");
            Assert.Equal(3UL, last.Count);
        }

        var started = points.Where(p => p.Name == "http.client.request.started.count").MaxBy(p => p.TimeUnixNano);
        Assert.NotNull(started);
        Assert.True(started.IsMonotonic);
        Assert.Equal(3, started.IntValue);
        Assert.All(points, p => Assert.Equal(ServiceName(recipe), p.ResourceAttributes["service.name"]));
    }

    [Fact]
    public async Task Prometheus_recipe_standalone_serves_the_families_the_doc_names()
    {
        var section = IntegrationsDoc.Section("Prometheus");
        var recipe = section.RecipeJson();
        var metricsPort = GatewayProcess.FreePort();
        var adapted = (JsonObject)recipe.DeepClone();
        var entry = Assert.Single(Exporters(adapted, "prometheus"))!;
        entry["port"] = metricsPort;
        Assert.Equal([$"extra_config.{OpenTelemetry}.exporters.prometheus[0].port: 9090 → {metricsPort}"], IntegrationsDoc.Differences(recipe, adapted));
        await using var run = await RecipeRun.StartAsync(adapted, Settings(), functionsMode: false);

        await run.InvokeAsync(2);

        var families = DocumentedFamilies(section);
        using var scraper = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var exposition = await ScrapeUntilAsync(scraper, $"http://127.0.0.1:{metricsPort}/metrics", text => text.Contains("krakend_backend_duration_bucket{", StringComparison.Ordinal));
        foreach (var family in families)
        {
            Assert.Matches(new Regex($"(?m)^{Regex.Escape(family)}[{{ ]"), exposition);
        }

        Assert.Contains("http_route=\"/users/:id\"", exposition, StringComparison.Ordinal);
        Assert.Contains($"service_name=\"{ServiceName(recipe)}\"", exposition, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^http_server_duration_count\{[^}]*http_route=""/users/:id""[^}]*\} 2$", exposition);
    }

    [Fact]
    public async Task Prometheus_recipe_in_Functions_mode_pushes_to_the_companion_with_only_the_app_settings()
    {
        var section = IntegrationsDoc.Section("Prometheus");
        var recipe = section.RecipeJson();
        var companion = CompanionHost.Build(new CompanionOptions(), new IPEndPoint(IPAddress.Loopback, 0), answersHostProbe: false);
        await companion.StartAsync();
        try
        {
            // The recipe as is: infra/ sets the two app settings, the entry names no URL. A bare host gets /v1/metrics.
            var companionBase = companion.Urls.First();
            var settings = new Dictionary<string, string>
            {
                [TelemetryRuntimeSettings.CompanionUrlVariable] = companionBase,
                [TelemetryRuntimeSettings.CompanionKeyVariable] = "companion-function-key",
            };
            await using var run = await RecipeRun.StartAsync(recipe, Settings(settings: settings));

            await run.InvokeAsync(3);

            using var scraper = new HttpClient { BaseAddress = new Uri(companionBase), Timeout = TimeSpan.FromSeconds(10) };
            var exposition = await scraper.GetStringAsync(new CompanionOptions().MetricsPath);

            // Per-invocation flush: all three are counted at once. The gateway's process families stay with the
            // standalone /metrics (the companion serves its own process_* for itself).
            Assert.Matches(@"(?m)^http_server_duration_count\{[^}]*http_route=""/users/:id""[^}]*\} 3$", exposition);
            foreach (var family in DocumentedFamilies(section).Where(f => !f.StartsWith("process_", StringComparison.Ordinal)))
            {
                Assert.Matches(new Regex($"(?m)^{Regex.Escape(family)}[{{ ]"), exposition);
            }
        }
        finally
        {
            await companion.StopAsync();
            await companion.DisposeAsync();
        }
    }

    [Fact]
    public async Task Prometheus_scrape_config_passes_promtool_check_config()
    {
        var block = IntegrationsDoc.Section("Prometheus").Yaml();
        Assert.Contains("\"<companion host>\"", block.Text, StringComparison.Ordinal);
        Assert.Contains("\"<companion function key>\"", block.Text, StringComparison.Ordinal);
        var text = block.Text
            .Replace("<companion host>", "func-companion-test.azurewebsites.net", StringComparison.Ordinal)
            .Replace("<companion function key>", "test-function-key", StringComparison.Ordinal);

        // What the companion serves: /metrics, with the function key as the `code` query parameter, over https.
        var job = Assert.Single(IntegrationsDoc.ParseYaml(block with { Text = text }).Items("scrape_configs"));
        Assert.Equal(new CompanionOptions().MetricsPath, job.Scalar("metrics_path"));
        Assert.Equal("https", job.Scalar("scheme"));
        Assert.Equal(["test-function-key"], job.Map("params").Strings("code"));

        var promtool = Promtool.Path;
        Assert.True(promtool is not null, "promtool is not on PATH: run ./test.sh, which installs it (Debian package prometheus), or apt-get install prometheus");
        var file = System.IO.Path.Combine(Directory.CreateTempSubdirectory("recipe-prometheus-").FullName, "prometheus.yml");
        try
        {
            await File.WriteAllTextAsync(file, text);
            var (exitCode, output) = await RunAsync(promtool, ["check", "config", file]);
            Assert.True(exitCode == 0, $"promtool check config exited {exitCode}:\n{output}\n---\n{text}");
            Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(System.IO.Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    [Fact]
    public async Task AzureMonitor_recipe_sends_sampled_requests_dependencies_and_every_request_as_metrics()
    {
        var recipe = IntegrationsDoc.Section("Azure Monitor").RecipeJson();
        var rate = recipe[ExtraConfig]![OpenTelemetry]!["trace_sample_rate"]!.GetValue<double>();
        Assert.Equal(0.25, rate);
        await using var ingestion = await FakeIngestionEndpoint.StartAsync();

        // The recipe as is: the connection string comes from the app setting.
        var environment = new Dictionary<string, string> { [AzureMonitorExporterOptions.ConnectionStringVariable] = ingestion.ConnectionString };
        await using var run = await RecipeRun.StartAsync(recipe, Settings(environment: environment));

        // Sampling is random per trace: send until one request is sampled (P(none in 200) < 1e-24).
        var sent = 0;
        while (ingestion.EnvelopesOf("RequestData").Count == 0 && sent < 200)
        {
            await run.InvokeAsync(1);
            sent++;
        }

        var request = Assert.Single(ingestion.EnvelopesOf("RequestData"));
        Assert.Equal(ingestion.InstrumentationKey, request.GetProperty("iKey").GetString());
        Assert.Equal(ServiceName(recipe), request.GetProperty("tags").GetProperty("ai.cloud.role").GetString());
        Assert.Equal(rate * 100, request.GetProperty("sampleRate").GetDouble(), precision: 3);
        Assert.Equal("200", request.GetProperty("data").GetProperty("baseData").GetProperty("responseCode").GetString());
        var operation = request.GetProperty("tags").GetProperty("ai.operation.id").GetString();
        Assert.Contains(ingestion.EnvelopesOf("RemoteDependencyData"), d => d.GetProperty("tags").GetProperty("ai.operation.id").GetString() == operation);

        // Metrics are not sampled: every request sent is in http.server.duration (delta MetricData, summed here).
        var counted = ingestion.Metrics
            .Select(m => m.GetProperty("metrics")[0])
            .Where(m => m.GetProperty("name").GetString() == "http.server.duration")
            .Sum(m => m.GetProperty("count").GetInt32());
        Assert.Equal(sent, counted);
    }

    [Theory]
    [InlineData("Datadog", "datadog")]
    [InlineData("Zipkin", "zipkin")]
    [InlineData("InfluxDB", "influxdb")]
    public void Collector_config_receives_what_the_recipe_sends_and_exports_it_to_the_destination(string heading, string exporter)
    {
        var section = IntegrationsDoc.Section(heading);
        var recipe = section.RecipeJson();
        var otlp = Assert.Single(Exporters(recipe, "otlp"))!;
        var yaml = IntegrationsDoc.ParseYaml(section.Yaml());

        // The Collector listens with the protocol and on the port the gateway's entry sends to.
        var useHttp = otlp["use_http"]?.GetValue<bool>() ?? false;
        var port = otlp["port"]!.GetValue<int>();
        var protocols = yaml.Map("receivers").Map("otlp").Map("protocols");
        var endpoint = protocols.Map(useHttp ? "http" : "grpc").Scalar("endpoint");
        Assert.Equal($"0.0.0.0:{port}", endpoint);

        // One pipeline per signal the entry sends, each from the otlp receiver to the destination's exporter.
        var signals = new List<string>();
        if (!(otlp["disable_metrics"]?.GetValue<bool>() ?? false))
        {
            signals.Add("metrics");
        }

        if (!(otlp["disable_traces"]?.GetValue<bool>() ?? false))
        {
            signals.Add("traces");
        }

        var pipelines = yaml.Map("service").Map("pipelines");
        Assert.Equal(signals, pipelines.Keys().Order(StringComparer.Ordinal));
        foreach (var signal in signals)
        {
            var pipeline = pipelines.Map(signal);
            Assert.Contains("otlp", pipeline.Strings("receivers"));
            Assert.Contains(exporter, pipeline.Strings("exporters"));

            // Everything a pipeline names is defined.
            foreach (var (kind, names) in new[] { ("receivers", pipeline.Strings("receivers")), ("processors", pipeline.Strings("processors")), ("exporters", pipeline.Strings("exporters")) })
            {
                var defined = yaml.Map(kind).Keys();
                Assert.All(names, name => Assert.Contains(name, defined));
            }
        }

        // Credentials come from the Collector's environment, never from the file.
        var destination = yaml.Map("exporters").Map(exporter);
        foreach (var secret in new[] { destination.MapOrNull("api")?.Scalar("key"), destination.Scalar("token") }.OfType<string>())
        {
            Assert.Matches(@"^\$\{env:[A-Z_]+\}$", secret);
        }
    }

    [Fact]
    public void Every_destination_says_what_is_tested_here_and_what_is_not()
    {
        foreach (var heading in Destinations)
        {
            var section = IntegrationsDoc.Section(heading);
            Assert.Contains("**Tested here**", section.Text, StringComparison.Ordinal);
            Assert.Contains("**Not tested here**", section.Text, StringComparison.Ordinal);
            Assert.Contains(nameof(IntegrationRecipeTests), section.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_adaptation_changes_only_where_the_telemetry_goes()
    {
        // The harness itself: every OTLP recipe, pointed at a receiver, differs from the doc in host and port only.
        foreach (var heading in new[] { "Jaeger", "Datadog", "Zipkin", "InfluxDB" })
        {
            var recipe = IntegrationsDoc.Section(heading).RecipeJson();
            var adapted = PointOtlpAt(recipe, port: 45678, out _);
            var differences = IntegrationsDoc.Differences(recipe, adapted);
            Assert.Equal(2, differences.Count);
            Assert.All(differences, d => Assert.Matches(@"^extra_config\.telemetry/opentelemetry\.exporters\.otlp\[0\]\.(host|port): ", d));
        }

        var changed = IntegrationsDoc.Differences(JsonNode.Parse("""{"a":{"b":[1,{"c":"x"}]},"d":true}"""), JsonNode.Parse("""{"a":{"b":[1,{"c":"y"}]},"e":1}"""));
        Assert.Equal(["a.b[1].c: \"x\" → \"y\"", "d: true → (absent)", "e: (absent) → 1"], changed);
    }

    private static string ExtraConfig => "extra_config";

    private static string ServiceName(JsonObject recipe) => recipe[ExtraConfig]![OpenTelemetry]!["service_name"]!.GetValue<string>();

    private static JsonArray Exporters(JsonObject recipe, string kind) => recipe[ExtraConfig]![OpenTelemetry]!["exporters"]![kind]!.AsArray();

    /// <summary>
    /// The recipe with its one <c>otlp</c> entry sent to <paramref name="receiver"/>: host <c>127.0.0.1</c> (with
    /// <c>http://</c> where the recipe wrote a scheme: the receiver has no TLS) and the receiver's port. The receiver
    /// must speak the protocol the entry asks for, and nothing else may change.
    /// </summary>
    private static JsonObject PointOtlpAt(JsonObject recipe, OtlpReceiver receiver)
    {
        var adapted = PointOtlpAt(recipe, receiver.Port, out var useHttp);
        Assert.Equal(useHttp ? OtlpReceiverProtocol.HttpProtobuf : OtlpReceiverProtocol.Grpc, receiver.Protocol);
        var differences = IntegrationsDoc.Differences(recipe, adapted);
        Assert.All(differences, d => Assert.Matches(@"^extra_config\.telemetry/opentelemetry\.exporters\.otlp\[0\]\.(host|port): ", d));
        return adapted;
    }

    private static JsonObject PointOtlpAt(JsonObject recipe, int port, out bool useHttp)
    {
        var adapted = (JsonObject)recipe.DeepClone();
        var entry = Assert.Single(Exporters(adapted, "otlp"))!;
        var host = entry["host"]!.GetValue<string>();
        entry["host"] = host.Contains("://", StringComparison.Ordinal) ? "http://127.0.0.1" : "127.0.0.1";
        entry["port"] = port;
        useHttp = entry["use_http"]?.GetValue<bool>() ?? false;
        return adapted;
    }

    private static Dictionary<string, string> NoSettings() => new(StringComparer.Ordinal);

    /// <summary>
    /// Telemetry settings isolated from the machine: no <c>OTEL_*</c> or Application Insights variable leaks in, a
    /// scope name of its own, and a flush budget generous enough for a loaded CI machine.
    /// </summary>
    private static TelemetryRuntimeSettings Settings(Dictionary<string, string>? settings = null, Dictionary<string, string>? environment = null)
    {
        settings ??= NoSettings();
        environment ??= NoSettings();
        return new TelemetryRuntimeSettings
        {
            SourcesName = "test." + Guid.NewGuid().ToString("N"),
            Environment = TelemetryEnvironment.Read(name => environment.GetValueOrDefault(name)),
            GetSetting = name => name == TelemetryRuntimeSettings.FlushBudgetVariable ? "10s" : settings.GetValueOrDefault(name),
        };
    }

    private static List<ReceivedSpan> GlobalSpans(OtlpReceiver receiver) =>
        [.. receiver.Spans.Where(s => Equals(s.Attributes.GetValueOrDefault("krakend.stage"), "global"))];

    /// <summary>The newest cumulative count of <c>http.server.duration</c> (0 before any).</summary>
    private static ulong ServerDurationCount(OtlpReceiver receiver) =>
        receiver.MetricPoints.Where(p => p.Name == "http.server.duration").MaxBy(p => p.TimeUnixNano)?.Count ?? 0;

    /// <summary>The families the Prometheus section promises, from its "Families on `/metrics`" paragraph.</summary>
    private static List<string> DocumentedFamilies(DocSection section)
    {
        var lines = section.Text.Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith("Families on `/metrics`", StringComparison.Ordinal));
        Assert.True(start >= 0, "the Prometheus section has no \"Families on `/metrics`\" paragraph");
        var paragraph = string.Join(' ', lines.Skip(start).TakeWhile(l => l.Trim().Length > 0));
        var families = BacktickedName().Matches(paragraph).Select(m => m.Groups["name"].Value).Where(n => n != "metrics").ToList();
        Assert.Contains("http_server_duration_bucket", families);
        Assert.Contains("process_resident_memory_bytes", families);
        return families;
    }

    private static async Task<string> ScrapeUntilAsync(HttpClient scraper, string url, Func<string, bool> ready)
    {
        var text = "";
        var deadline = Stopwatch.StartNew();
        while (!ready(text) && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                text = await scraper.GetStringAsync(url);
            }
            catch (HttpRequestException)
            {
            }

            if (!ready(text))
            {
                await Task.Delay(50);
            }
        }

        return text;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>`name` or `name{…}` between backticks, where name is a Prometheus metric name.</summary>
    [GeneratedRegex(@"`(?<name>[a-z_:][a-z0-9_:]*)(\{[^`]*\})?`")]
    private static partial Regex BacktickedName();

    /// <summary>A backend, and the gateway running a recipe's <c>extra_config</c> in front of it.</summary>
    private sealed class RecipeRun : IAsyncDisposable
    {
        private readonly TestBackend _backend;
        private readonly TestGateway _gateway;
        private readonly HttpClient _client;
        private readonly bool _functionsMode;
        private int _sent;

        private RecipeRun(TestBackend backend, TestGateway gateway, bool functionsMode)
        {
            _backend = backend;
            _gateway = gateway;
            _functionsMode = functionsMode;

            // No trace context from the test process: every request is a root, so the recipe's sampler decides.
            _client = new HttpClient(new SocketsHttpHandler { UseProxy = false, ActivityHeadersPropagator = null })
            {
                BaseAddress = gateway.Client.BaseAddress,
                Timeout = TimeSpan.FromSeconds(30),
            };
        }

        /// <summary>
        /// A gateway with the recipe's <c>extra_config</c> and one endpoint, <c>/users/{id}</c>, proxied to a JSON
        /// backend; in Functions mode unless <paramref name="functionsMode"/> is false.
        /// </summary>
        public static async Task<RecipeRun> StartAsync(JsonObject recipe, TelemetryRuntimeSettings settings, bool functionsMode = true)
        {
            var backend = await TestBackend.StartAsync(async context =>
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"id\":1}");
            });
            var config = new JsonObject
            {
                ["version"] = 3,
                ["extra_config"] = recipe["extra_config"]!.DeepClone(),
                ["endpoints"] = new JsonArray(new JsonObject
                {
                    ["endpoint"] = "/users/{id}",
                    ["backend"] = new JsonArray(new JsonObject
                    {
                        ["host"] = new JsonArray(backend.BaseUrl),
                        ["url_pattern"] = "/api/users/{id}",
                    }),
                }),
            };
            try
            {
                var gateway = await TestGateway.StartAsync(config.ToJsonString(), answersHostProbe: functionsMode, telemetry: settings);
                return new RecipeRun(backend, gateway, functionsMode);
            }
            catch
            {
                await backend.DisposeAsync();
                throw;
            }
        }

        /// <summary>Sends <paramref name="count"/> requests (as invocations in Functions mode), each answered 200.</summary>
        public async Task InvokeAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/users/{++_sent}");
                if (_functionsMode)
                {
                    request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
                }

                using var response = await _client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("{\"id\":1}", await response.Content.ReadAsStringAsync());
            }
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await _gateway.DisposeAsync();
            await _backend.DisposeAsync();
        }
    }
}
