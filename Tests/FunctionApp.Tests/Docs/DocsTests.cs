using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FunctionApp.Gateway.Configuration;
using FunctionApp.Tests.Common;

namespace FunctionApp.Tests.Docs;

/// <summary>
/// The documentation under <c>docs/</c>: the Grafana dashboard queries only metric families the gateway or the
/// metrics companion emit, and every JSON snippet in <c>docs/integrations.md</c> is valid JSON that the gateway's own
/// config validation accepts.
/// </summary>
public sealed partial class DocsTests
{
    /// <summary>
    /// The Prometheus families the gateway emits (reference krakend-otel.md §6.2), histograms without their
    /// <c>_bucket</c>/<c>_sum</c>/<c>_count</c> suffix, both naming conventions.
    /// </summary>
    private static readonly string[] GatewayFamilies =
    [
        // Global layer: legacy and 1.27.
        "http_server_duration", "http_server_response_size",
        "http_server_request_duration_seconds", "http_server_response_body_size_bytes",

        // Proxy and backend stage.
        "krakend_proxy_duration", "krakend_backend_duration",

        // Backend request (round trip): legacy.
        "http_client_request_started_count_total", "http_client_request_failed_count_total",
        "http_client_request_canceled_count_total", "http_client_request_timedout_count_total",
        "http_client_request_size_total", "http_client_duration", "http_client_response_size",
        "http_client_response_no_content_length_total",
        "http_client_request_get_conn_duration", "http_client_request_dns_duration", "http_client_request_tls_duration",

        // Backend request: 1.27.
        "http_client_request_duration_seconds", "http_client_request_body_size_bytes", "http_client_response_body_size_bytes",
        "http_client_response_no_content_length_bytes_total",
        "http_client_request_get_conn_duration_seconds", "http_client_request_dns_duration_seconds",
        "http_client_request_tls_duration_seconds",

        // Backend response body read.
        "http_client_response_read_size_total", "http_client_response_read_size_hist",
        "http_client_response_read_time_seconds_total", "http_client_response_read_time_hist_seconds",

        // Exporter metadata.
        "target_info", "otel_scope_info",
    ];

    private static readonly HashSet<string> PromQlKeywords =
        new(["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"], StringComparer.OrdinalIgnoreCase);

    private static string Root => GatewayProcess.RepositoryRoot;

    private static string DashboardPath => Path.Combine(Root, "docs", "grafana", "gateway-dashboard.json");

    private static string IntegrationsPath => Path.Combine(Root, "docs", "integrations.md");

    [Fact]
    public void Dashboard_is_a_grafana_dashboard_with_datasource_and_route_variables()
    {
        var dashboard = LoadDashboard();

        Assert.InRange(dashboard["schemaVersion"]!.GetValue<int>(), 36, 41);
        Assert.False(string.IsNullOrWhiteSpace(dashboard["title"]?.GetValue<string>()));
        Assert.False(string.IsNullOrWhiteSpace(dashboard["uid"]?.GetValue<string>()));

        var variables = dashboard["templating"]!["list"]!.AsArray().Select(v => v!).ToDictionary(v => v["name"]!.GetValue<string>(), StringComparer.Ordinal);
        var datasource = variables["datasource"];
        Assert.Equal("datasource", datasource["type"]!.GetValue<string>());
        Assert.Equal("prometheus", datasource["query"]!.GetValue<string>());

        var route = variables["route"];
        Assert.Equal("query", route["type"]!.GetValue<string>());
        Assert.Equal("${datasource}", route["datasource"]!["uid"]!.GetValue<string>());
        Assert.Equal("label_values(http_server_duration_count, http_route)", route["definition"]!.GetValue<string>());

        var panels = AllPanels(dashboard).ToList();
        Assert.Equal(panels.Count, panels.Select(p => p["id"]!.GetValue<int>()).Distinct().Count());
        foreach (var panel in panels.Where(p => p["type"]!.GetValue<string>() != "row"))
        {
            var title = panel["title"]!.GetValue<string>();
            Assert.True(panel["datasource"]?["uid"]?.GetValue<string>() == "${datasource}", $"panel \"{title}\" must use ${{datasource}}");
            Assert.False(string.IsNullOrWhiteSpace(panel["description"]?.GetValue<string>()), $"panel \"{title}\" has no description");
            var targets = panel["targets"]!.AsArray();
            Assert.NotEmpty(targets);
            Assert.All(targets, t => Assert.False(string.IsNullOrWhiteSpace(t!["expr"]?.GetValue<string>()), $"panel \"{title}\" has a target without expr"));
        }
    }

    [Fact]
    public void Dashboard_queries_only_metrics_the_gateway_or_the_companion_emits()
    {
        var allowed = new HashSet<string>(GatewayFamilies.Concat(AggregatorFamilies()), StringComparer.Ordinal);
        var dashboard = LoadDashboard();

        var queried = new HashSet<string>(StringComparer.Ordinal);
        var unknown = new List<string>();
        foreach (var (where, expr) in Expressions(dashboard))
        {
            var names = MetricNames(expr);
            Assert.True(names.Count > 0, $"{where}: no metric found in \"{expr}\"");
            foreach (var name in names)
            {
                var family = Family(name);
                queried.Add(family);
                if (!allowed.Contains(family))
                {
                    unknown.Add($"{where}: {name}");
                }
            }
        }

        Assert.Empty(unknown);

        // Every layer is on the dashboard, and every companion self-metric too.
        Assert.Contains("http_server_duration", queried);
        Assert.Contains("http_server_response_size", queried);
        Assert.Contains("krakend_proxy_duration", queried);
        Assert.Contains("krakend_backend_duration", queried);
        Assert.Contains("http_client_duration", queried);
        Assert.Contains("http_client_request_failed_count_total", queried);
        Assert.Contains("http_client_request_timedout_count_total", queried);
        Assert.Contains("http_client_request_canceled_count_total", queried);
        Assert.All(AggregatorFamilies(), family => Assert.Contains(family, queried));
    }

    [Fact]
    public void Aggregator_families_are_read_from_the_companion_source()
    {
        var families = AggregatorFamilies();
        Assert.Contains("aggregator_points_accepted_total", families);
        Assert.Contains("aggregator_points_dropped_total", families);
        Assert.Contains("aggregator_series", families);
        Assert.Contains("aggregator_last_persist_timestamp_seconds", families);
        Assert.All(families, f => Assert.StartsWith("aggregator_", f, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("histogram_quantile(0.95, sum by (le, http_route) (rate(http_server_duration_bucket{http_route=~\"$route\"}[$__rate_interval])))", "http_server_duration_bucket")]
    [InlineData("sum(rate(a_total{x=\"5..\"}[5m])) / sum(rate(b_count[1m])) by (le)", "a_total,b_count")]
    [InlineData("time() - max(aggregator_last_persist_timestamp_seconds)", "aggregator_last_persist_timestamp_seconds")]
    [InlineData("sum without (instance) (up offset 5m) > bool 0", "up")]
    [InlineData("label_values(http_server_duration_count, http_route)", "http_server_duration_count")]
    public void Metric_names_are_extracted_from_PromQL(string expr, string expected)
    {
        Assert.Equal(expected.Split(',').Order(StringComparer.Ordinal), MetricNames(expr).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("http_server_duration_bucket", "http_server_duration")]
    [InlineData("http_server_request_duration_seconds_count", "http_server_request_duration_seconds")]
    [InlineData("http_client_request_started_count_total", "http_client_request_started_count_total")]
    [InlineData("aggregator_series", "aggregator_series")]
    public void Histogram_suffixes_are_stripped(string name, string family) => Assert.Equal(family, Family(name));

    [Fact]
    public void Integrations_cover_every_destination_KrakenD_lists()
    {
        var text = File.ReadAllText(IntegrationsPath);
        foreach (var heading in new[] { "## Prometheus", "## Azure Monitor", "## Jaeger", "## Datadog", "## Zipkin", "## InfluxDB" })
        {
            Assert.Contains(heading, text, StringComparison.Ordinal);
        }

        foreach (var setting in new[] { "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS", "APPLICATIONINSIGHTS_CONNECTION_STRING", "METRICS_COMPANION_URL", "telemetry/opentelemetry-security" })
        {
            Assert.Contains(setting, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Integration_json_snippets_parse_and_pass_config_validation()
    {
        var snippets = JsonSnippets(File.ReadAllText(IntegrationsPath));
        Assert.NotEmpty(snippets);

        var validated = 0;
        foreach (var (line, json) in snippets)
        {
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(json);
            }
            catch (JsonException e)
            {
                Assert.Fail($"docs/integrations.md line {line}: not valid JSON: {e.Message}");
                return;
            }

            if (!json.Contains("telemetry/opentelemetry", StringComparison.Ordinal))
            {
                continue;
            }

            var config = EmbedInMinimalConfig(node, line);
            try
            {
                ConfigLoader.Load(config, $"docs/integrations.md line {line}");
            }
            catch (ConfigException e)
            {
                Assert.Fail($"docs/integrations.md line {line}: rejected by the config validation:\n{string.Join("\n", e.Problems)}");
            }

            validated++;
        }

        // Prometheus, Azure Monitor, Jaeger, Datadog, Zipkin, InfluxDB, several at once.
        Assert.True(validated >= 7, $"only {validated} telemetry snippets validated");
    }

    [Fact]
    public void The_snippet_harness_rejects_an_invalid_telemetry_snippet()
    {
        const string Broken = """
            {
              "extra_config": {
                "telemetry/opentelemetry": { "exporters": { "otlp": [ { "name": "a", "host": "collector" } ] } },
                "telemetry/opentelemetry-security": { "otlp": [ { "name": "b", "headers": { "api-key": "x" } } ] }
              }
            }
            """;
        var config = EmbedInMinimalConfig(JsonNode.Parse(Broken), 1);
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(config, "broken snippet"));
        Assert.Contains(e.Problems, p => p.ToString().Contains("telemetry/opentelemetry-security", StringComparison.Ordinal));
    }

    /// <summary>
    /// A full configuration around a snippet: the snippet's <c>extra_config</c> at service level, one endpoint with
    /// one backend. A snippet that is already a full configuration (it has <c>endpoints</c>) is used as is.
    /// </summary>
    private static string EmbedInMinimalConfig(JsonNode? snippet, int line)
    {
        var root = Assert.IsType<JsonObject>(snippet, exactMatch: false);
        if (root.ContainsKey("endpoints"))
        {
            return root.ToJsonString();
        }

        var extra = root["extra_config"];
        Assert.True(extra is JsonObject, $"docs/integrations.md line {line}: a telemetry snippet must be an object with \"extra_config\"");
        var config = new JsonObject
        {
            ["version"] = 3,
            ["extra_config"] = extra!.DeepClone(),
            ["endpoints"] = new JsonArray(new JsonObject
            {
                ["endpoint"] = "/a",
                ["backend"] = new JsonArray(new JsonObject
                {
                    ["host"] = new JsonArray("http://backend.test:8080"),
                    ["url_pattern"] = "/b",
                }),
            }),
        };
        return config.ToJsonString();
    }

    /// <summary>The <c>```json</c> blocks of a Markdown text, with the line their fence starts on.</summary>
    private static List<(int Line, string Json)> JsonSnippets(string markdown)
    {
        var result = new List<(int, string)>();
        var lines = markdown.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimEnd() != "```json")
            {
                continue;
            }

            var start = i + 1;
            var end = start;
            while (end < lines.Length && lines[end].TrimEnd() != "```")
            {
                end++;
            }

            Assert.True(end < lines.Length, $"docs/integrations.md line {i + 1}: unterminated ```json block");
            result.Add((i + 1, string.Join('\n', lines[start..end])));
            i = end;
        }

        return result;
    }

    private static JsonNode LoadDashboard()
    {
        var text = File.ReadAllText(DashboardPath);
        using (JsonDocument.Parse(text))
        {
            // Strict JSON: no comments, no trailing commas.
        }

        return JsonNode.Parse(text)!;
    }

    private static IEnumerable<JsonNode> AllPanels(JsonNode dashboard)
    {
        foreach (var panel in dashboard["panels"]!.AsArray())
        {
            yield return panel!;
            if (panel!["panels"] is JsonArray nested)
            {
                foreach (var inner in nested)
                {
                    yield return inner!;
                }
            }
        }
    }

    /// <summary>Every PromQL expression of the dashboard: panel targets and query variables.</summary>
    private static IEnumerable<(string Where, string Expr)> Expressions(JsonNode dashboard)
    {
        foreach (var panel in AllPanels(dashboard))
        {
            if (panel["targets"] is not JsonArray targets)
            {
                continue;
            }

            foreach (var target in targets)
            {
                if (target!["expr"]?.GetValue<string>() is { } expr)
                {
                    yield return ($"panel \"{panel["title"]}\" {target["refId"]}", expr);
                }
            }
        }

        foreach (var variable in dashboard["templating"]!["list"]!.AsArray())
        {
            if (variable!["type"]!.GetValue<string>() != "query")
            {
                continue;
            }

            var query = variable["query"] is JsonObject o ? o["query"]!.GetValue<string>() : variable["query"]!.GetValue<string>();
            yield return ($"variable {variable["name"]}", query);
            if (variable["definition"]?.GetValue<string>() is { } definition)
            {
                yield return ($"variable {variable["name"]} definition", definition);
            }
        }
    }

    /// <summary>
    /// The metric names a PromQL expression (or a Grafana <c>label_values(metric, label)</c> query) selects: what is
    /// left once strings, label matchers, ranges, grouping clauses, numbers, function calls and keywords are removed.
    /// </summary>
    private static List<string> MetricNames(string expr)
    {
        var labelValues = LabelValuesQuery().Match(expr);
        if (labelValues.Success)
        {
            return [labelValues.Groups["metric"].Value];
        }

        var text = StringLiteral().Replace(expr, " ");
        text = LabelMatchers().Replace(text, " ");
        text = RangeOrSubquery().Replace(text, " ");
        text = GroupingClause().Replace(text, " ");
        text = NumberLiteral().Replace(text, " ");
        text = GrafanaVariable().Replace(text, " ");

        var names = new List<string>();
        foreach (Match match in Identifier().Matches(text))
        {
            var rest = text.AsSpan(match.Index + match.Length).TrimStart();
            if (rest.StartsWith("(") || PromQlKeywords.Contains(match.Value))
            {
                continue;
            }

            names.Add(match.Value);
        }

        return names;
    }

    private static string Family(string name)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                return name[..^suffix.Length];
            }
        }

        return name;
    }

    /// <summary>The companion's self-metric families, read from <c>AggregatorSelfMetrics.cs</c> so new ones are seen.</summary>
    private static List<string> AggregatorFamilies()
    {
        var source = File.ReadAllText(Path.Combine(Root, "Telemetry", "Aggregation", "AggregatorSelfMetrics.cs"));
        var names = SelfMetricName().Matches(source).Select(m => "aggregator_" + m.Groups["name"].Value).Distinct(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(names);
        return names;
    }

    [GeneratedRegex(@"^\s*label_values\(\s*(?<metric>[A-Za-z_:][A-Za-z0-9_:]*)\s*,")]
    private static partial Regex LabelValuesQuery();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|'(?:[^'\\]|\\.)*'|`[^`]*`")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex RangeOrSubquery();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", RegexOptions.IgnoreCase)]
    private static partial Regex GroupingClause();

    [GeneratedRegex(@"(?<![A-Za-z_:0-9])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:ms|s|m|h|d|w|y)?(?![A-Za-z_:0-9])")]
    private static partial Regex NumberLiteral();

    [GeneratedRegex(@"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")]
    private static partial Regex GrafanaVariable();

    [GeneratedRegex(@"[A-Za-z_:][A-Za-z0-9_:]*")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"(?:(?:Counter|Gauge)\(|Prefix \+ )""(?<name>[a-z0-9_]+)""")]
    private static partial Regex SelfMetricName();
}
