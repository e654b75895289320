using System.Text.Json;

namespace Telemetry.Configuration;

/// <summary>
/// Reads the <c>telemetry/opentelemetry</c> namespaces (reference §2) from <see cref="JsonElement"/>s, without
/// reflection (AOT-safe). Every problem is collected with its JSON path, as for the rest of the config:
/// <list type="bullet">
/// <item><description><b>problems</b>: values KrakenD cannot decode (wrong JSON type) or that are out of range (ports
/// 1–65535, <c>trace_sample_rate</c> 0–1, periods &gt; 0, …), missing or duplicate exporter names. Any problem makes
/// the method return null.</description></item>
/// <item><description><b>warnings</b>: what KrakenD's runtime ignores silently: unknown keys (KrakenD decodes with Go's
/// lenient JSON; only <c>krakend check --lint</c> applies the schema), options read elsewhere, options without effect.
/// </description></item>
/// </list>
/// Keys starting with <c>@ $ _ #</c> are comments and are ignored. A JSON <c>null</c> counts as a missing field, as in
/// Go.
/// </summary>
public static class TelemetryOptionsParser
{
    private static readonly string[] GlobalOnlyKeys =
        ["disable_metrics", "disable_traces", "disable_propagation", "report_headers", "skip_headers", "report_headers_allow_secrets", "semantic_convention"];

    /// <summary>Parses the service-level namespace, with the Enterprise security namespace supplying OTLP headers.</summary>
    /// <param name="serviceNamespace">The value of the service's <c>extra_config["telemetry/opentelemetry"]</c>.</param>
    /// <param name="securityNamespace">The value of <c>extra_config["telemetry/opentelemetry-security"]</c>, if present.</param>
    /// <param name="path">The JSON path of <paramref name="serviceNamespace"/>, e.g. <c>extra_config.telemetry/opentelemetry</c>.</param>
    /// <param name="problems">Receives the errors.</param>
    /// <param name="warnings">Receives what is ignored; null to drop them.</param>
    /// <param name="securityPath">The JSON path of <paramref name="securityNamespace"/>; by default derived from <paramref name="path"/>.</param>
    /// <returns>The options, or null when any problem was found.</returns>
    public static TelemetryOptions? Parse(
        JsonElement serviceNamespace,
        JsonElement? securityNamespace,
        string path,
        ICollection<TelemetryConfigProblem> problems,
        ICollection<TelemetryConfigProblem>? warnings = null,
        string? securityPath = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(problems);
        var reader = new Reader(problems, warnings);
        var options = reader.Service(serviceNamespace, path);
        if (options is not null && securityNamespace is { } security && security.ValueKind != JsonValueKind.Null)
        {
            options = reader.Security(options, security, securityPath ?? SecurityPathFor(path));
        }

        return reader.ErrorCount == 0 ? options : null;
    }

    /// <summary>
    /// Parses an endpoint's <c>extra_config["telemetry/opentelemetry"]</c>: <c>proxy</c>, <c>global</c> (static
    /// attributes only) and, as in KrakenD Enterprise, <c>backend</c>. Returns null when any problem was found.
    /// </summary>
    public static EndpointTelemetryOverride? ParseEndpointOverride(
        JsonElement endpointNamespace,
        string path,
        ICollection<TelemetryConfigProblem> problems,
        ICollection<TelemetryConfigProblem>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(problems);
        var reader = new Reader(problems, warnings);
        var result = reader.EndpointOverride(endpointNamespace, path);
        return reader.ErrorCount == 0 ? result : null;
    }

    /// <summary>
    /// Parses a backend's <c>extra_config["telemetry/opentelemetry"]</c>: only <c>backend</c> is read. Returns null
    /// when any problem was found.
    /// </summary>
    public static BackendTelemetryOverride? ParseBackendOverride(
        JsonElement backendNamespace,
        string path,
        ICollection<TelemetryConfigProblem> problems,
        ICollection<TelemetryConfigProblem>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(problems);
        var reader = new Reader(problems, warnings);
        var result = reader.BackendOverride(backendNamespace, path);
        return reader.ErrorCount == 0 ? result : null;
    }

    /// <summary>
    /// The path of the security namespace next to <paramref name="servicePath"/>:
    /// <c>extra_config.telemetry/opentelemetry</c> → <c>extra_config.telemetry/opentelemetry-security</c>.
    /// </summary>
    public static string SecurityPathFor(string servicePath)
    {
        ArgumentNullException.ThrowIfNull(servicePath);
        return servicePath.EndsWith(TelemetryNamespaces.OpenTelemetry, StringComparison.Ordinal)
            ? servicePath[..^TelemetryNamespaces.OpenTelemetry.Length] + TelemetryNamespaces.OpenTelemetrySecurity
            : servicePath + "-security";
    }

    /// <summary>Keys starting with @, $, _ or # are comments or metadata (allowed everywhere by KrakenD's schema).</summary>
    public static bool IsIgnoredKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Length > 0 && key[0] is '@' or '$' or '_' or '#';
    }

    private sealed class Reader(ICollection<TelemetryConfigProblem> problems, ICollection<TelemetryConfigProblem>? warnings)
    {
        public int ErrorCount { get; private set; }

        private void Error(string path, string message)
        {
            ErrorCount++;
            problems.Add(new TelemetryConfigProblem(path, message));
        }

        private void Warn(string path, string message) => warnings?.Add(new TelemetryConfigProblem(path, message));

        private void Unknown(string path) => Warn(path, "unknown option; ignored");

        // ---- service level -------------------------------------------------------------------------------------

        public TelemetryOptions? Service(JsonElement value, string path)
        {
            if (!IsObject(value, path))
            {
                return null;
            }

            var options = new TelemetryOptions();
            var exportersSeen = false;
            foreach (var (name, item, itemPath) in Properties(value, path))
            {
                switch (name)
                {
                    case "service_name":
                        options = options with { ServiceName = NonEmpty(String(item, itemPath)) };
                        break;
                    case "service_version":
                        options = options with { ServiceVersion = NonEmpty(String(item, itemPath)) };
                        break;
                    case "deploy_env":
                        options = options with { DeployEnv = String(item, itemPath) ?? "" };
                        break;
                    case "metric_reporting_period":
                        options = options with { MetricReportingPeriod = Seconds(item, itemPath, allowZero: false) ?? TelemetryOptions.DefaultMetricReportingPeriod };
                        break;
                    case "trace_sample_rate":
                        options = options with { TraceSampleRate = Rate(item, itemPath) ?? TelemetryOptions.DefaultTraceSampleRate };
                        break;
                    case "skip_paths":
                        options = options with { SkipPaths = SkipPathList(item, itemPath) };
                        break;
                    case "exporters":
                        exportersSeen = item.ValueKind != JsonValueKind.Null;
                        options = options with { Exporters = Exporters(item, itemPath) };
                        break;
                    case "layers":
                        options = options with { Layers = Layers(item, itemPath) };
                        break;
                    case "histograms":
                        options = options with { Histograms = Histograms(item, itemPath) };
                        break;
                    case "semantic_convention":
                        Warn(itemPath, "belongs in layers.global; ignored here");
                        break;
                    case "proxy" or "global" or "backend":
                        Warn(itemPath, "at service level the layers sit under \"layers\"; ignored here");
                        break;
                    default:
                        Unknown(itemPath);
                        break;
                }
            }

            if (!exportersSeen)
            {
                Warn(path + ".exporters", "is missing: telemetry is recorded but exported nowhere");
            }

            return options;
        }

        private SkipPaths SkipPathList(JsonElement value, string path)
        {
            var paths = StringArray(value, path);
            if (paths is null || paths.Count == 0)
            {
                return SkipPaths.Default;
            }

            for (var i = 0; i < paths.Count; i++)
            {
                if (paths[i].Length > 0 && paths[i][0] != '/')
                {
                    Warn($"{path}[{i}]", $"\"{paths[i]}\" does not start with /: it never matches");
                }
            }

            return new SkipPaths(paths);
        }

        private HistogramOptions Histograms(JsonElement value, string path)
        {
            var result = HistogramOptions.Default;
            if (!IsObject(value, path))
            {
                return result;
            }

            foreach (var (name, item, itemPath) in Properties(value, path))
            {
                switch (name)
                {
                    case "time_buckets":
                        result = result with { TimeBuckets = Buckets(item, itemPath) ?? HistogramOptions.DefaultTimeBuckets };
                        break;
                    case "size_buckets":
                        result = result with { SizeBuckets = Buckets(item, itemPath) ?? HistogramOptions.DefaultSizeBuckets };
                        break;
                    default:
                        Unknown(itemPath);
                        break;
                }
            }

            return result;
        }

        private List<double>? Buckets(JsonElement value, string path)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
            {
                Error(path, "must be a non-empty array of increasing numbers");
                return null;
            }

            var result = new List<double>();
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                var itemPath = $"{path}[{index++}]";
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out var bound) || !double.IsFinite(bound) || bound < 0)
                {
                    Error(itemPath, "must be a number, zero or more");
                    return null;
                }

                if (result.Count > 0 && bound <= result[^1])
                {
                    Error(itemPath, "must be greater than the previous boundary (boundaries are strictly increasing)");
                    return null;
                }

                result.Add(bound);
            }

            return result;
        }

        // ---- exporters -----------------------------------------------------------------------------------------

        private ExportersOptions Exporters(JsonElement value, string path)
        {
            if (value.ValueKind == JsonValueKind.Null || !IsObject(value, path))
            {
                return ExportersOptions.Empty;
            }

            // Names are unique across every list (KrakenD: "duplicate name"); the value is where the name was first used.
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            var result = ExportersOptions.Empty;
            foreach (var (name, item, itemPath) in Properties(value, path))
            {
                switch (name)
                {
                    case "otlp":
                        result = result with { Otlp = List(item, itemPath, "otlp", names, Otlp) };
                        break;
                    case "prometheus":
                        result = result with { Prometheus = List(item, itemPath, "prometheus", names, Prometheus) };
                        break;
                    case "azure_monitor":
                        result = result with { AzureMonitor = List(item, itemPath, "azure_monitor", names, AzureMonitor) };
                        break;
                    default:
                        Unknown(itemPath);
                        break;
                }
            }

            if (result.IsEmpty)
            {
                Warn(path, "lists no exporter: telemetry is recorded but exported nowhere");
            }

            return result;
        }

        private List<T> List<T>(JsonElement value, string path, string listName, Dictionary<string, string> names, Func<JsonElement, string, string?, T?> parse)
            where T : class
        {
            var result = new List<T>();
            if (value.ValueKind == JsonValueKind.Null)
            {
                return result;
            }

            if (value.ValueKind != JsonValueKind.Array)
            {
                Error(path, "must be an array");
                return result;
            }

            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                var itemPath = $"{path}[{index}]";
                var exporterName = ExporterName(item, itemPath, $"exporters.{listName}[{index}]", names);
                index++;
                if (IsObject(item, itemPath) && parse(item, itemPath, exporterName) is { } exporter)
                {
                    result.Add(exporter);
                }
            }

            return result;
        }

        /// <summary>Reads and checks <c>name</c>: required, unique across the three lists.</summary>
        private string? ExporterName(JsonElement item, string itemPath, string relativePath, Dictionary<string, string> names)
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var namePath = itemPath + ".name";
            var name = item.TryGetProperty("name", out var nameValue) ? NonEmpty(String(nameValue, namePath)) : null;
            if (name is null)
            {
                if (nameValue.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.String)
                {
                    Error(namePath, "is required (a name unique across every exporter)");
                }

                return null;
            }

            if (!names.TryAdd(name, relativePath))
            {
                Error(namePath, $"duplicate exporter name \"{name}\" (already used at {names[name]})");
                return null;
            }

            return name;
        }

        private OtlpExporterOptions? Otlp(JsonElement value, string path, string? name)
        {
            string? host = null;
            int? port = null;
            bool? useHttp = null;
            bool disableMetrics = false, disableTraces = false;
            TimeSpan? customPeriod = null;
            foreach (var (key, item, itemPath) in Properties(value, path))
            {
                switch (key)
                {
                    case "name":
                        break;
                    case "host":
                        host = String(item, itemPath);
                        if (host is not null)
                        {
                            if (!OtlpHost.TryParse(host, out _, out _, out var droppedPath, out var error))
                            {
                                Error(itemPath, error!);
                            }
                            else if (droppedPath)
                            {
                                Warn(itemPath, $"\"{host}\": the path after the host is ignored");
                            }
                        }

                        break;
                    case "port":
                        port = Port(item, itemPath);
                        break;
                    case "use_http":
                        useHttp = Bool(item, itemPath);
                        break;
                    case "disable_metrics":
                        disableMetrics = Bool(item, itemPath) ?? false;
                        break;
                    case "disable_traces":
                        disableTraces = Bool(item, itemPath) ?? false;
                        break;
                    case "custom_metric_reporting_period":
                        customPeriod = Seconds(item, itemPath, allowZero: true) is { } period && period > TimeSpan.Zero ? period : null;
                        break;
                    default:
                        Unknown(itemPath);
                        break;
                }
            }

            if (disableMetrics && disableTraces)
            {
                Warn(path, "disable_metrics and disable_traces are both true: this exporter sends nothing");
            }

            return name is null ? null : new OtlpExporterOptions
            {
                Name = name,
                ConfiguredHost = host,
                ConfiguredPort = port,
                ConfiguredUseHttp = useHttp,
                DisableMetrics = disableMetrics,
                DisableTraces = disableTraces,
                CustomMetricReportingPeriod = customPeriod,
            };
        }

        private PrometheusExporterOptions? Prometheus(JsonElement value, string path, string? name)
        {
            var port = PrometheusExporterOptions.DefaultPort;
            string? host = null, listenIp = null, companionKey = null;
            string hostPath = "", listenIpPath = "", companionKeyPath = "";
            bool processMetrics = false, goMetrics = false, disableMetrics = false;
            Uri? companionUrl = null;
            foreach (var (key, item, itemPath) in Properties(value, path))
            {
                switch (key)
                {
                    case "name":
                        break;
                    case "port":
                        port = Port(item, itemPath) ?? PrometheusExporterOptions.DefaultPort;
                        break;
                    case "host":
                        host = ListenAddress(item, itemPath);
                        hostPath = itemPath;
                        break;
                    case "listen_ip":
                        listenIp = ListenAddress(item, itemPath);
                        listenIpPath = itemPath;
                        break;
                    case "process_metrics":
                        processMetrics = Bool(item, itemPath) ?? false;
                        break;
                    case "go_metrics":
                        goMetrics = Bool(item, itemPath) ?? false;
                        break;
                    case "disable_metrics":
                        disableMetrics = Bool(item, itemPath) ?? false;
                        break;
                    case "custom_metric_reporting_period":
                        Warn(itemPath, "has no effect on a pull exporter (KrakenD CE does not read it either); ignored");
                        break;
                    case "companion_url":
                        companionUrl = CompanionUrl(item, itemPath);
                        break;
                    case "companion_key":
                        companionKey = NonEmpty(String(item, itemPath));
                        companionKeyPath = itemPath;
                        break;
                    default:
                        Unknown(itemPath);
                        break;
                }
            }

            if (host is not null && listenIp is not null && !string.Equals(host, listenIp, StringComparison.OrdinalIgnoreCase))
            {
                Error(listenIpPath, $"\"{listenIp}\" conflicts with host \"{host}\" at {hostPath} (both set the listen address)");
            }

            if (companionKey is not null && companionUrl is null)
            {
                Warn(companionKeyPath, "has no effect without companion_url");
            }

            return name is null ? null : new PrometheusExporterOptions
            {
                Name = name,
                Port = port,
                ListenIp = listenIp ?? host ?? "",
                ProcessMetrics = processMetrics,
                GoMetrics = goMetrics,
                DisableMetrics = disableMetrics,
                CompanionUrl = companionUrl,
                CompanionKey = companionKey,
            };
        }

        private string? ListenAddress(JsonElement value, string path)
        {
            var text = String(value, path);
            if (string.IsNullOrEmpty(text))
            {
                return text;
            }

            if (Uri.CheckHostName(text) == UriHostNameType.Unknown)
            {
                Error(path, $"\"{text}\" is not an IP address or host name");
                return null;
            }

            return text;
        }

        private Uri? CompanionUrl(JsonElement value, string path)
        {
            var text = String(value, path);
            if (text is null)
            {
                return null;
            }

            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            {
                return uri;
            }

            Error(path, $"\"{text}\" is not an absolute http or https URL");
            return null;
        }

        private AzureMonitorExporterOptions? AzureMonitor(JsonElement value, string path, string? name)
        {
            string? connectionString = null;
            bool disableMetrics = false, disableTraces = false;
            foreach (var (key, item, itemPath) in Properties(value, path))
            {
                switch (key)
                {
                    case "name":
                        break;
                    case "connection_string":
                        connectionString = NonEmpty(String(item, itemPath));
                        if (connectionString is not null && !IsConnectionString(connectionString))
                        {
                            // The value is a secret: never echo it.
                            Error(itemPath, "is not an Application Insights connection string (InstrumentationKey=…;IngestionEndpoint=…)");
                            connectionString = null;
                        }

                        break;
                    case "disable_metrics":
                        disableMetrics = Bool(item, itemPath) ?? false;
                        break;
                    case "disable_traces":
                        disableTraces = Bool(item, itemPath) ?? false;
                        break;
                    default:
                        Unknown(itemPath);
                        break;
                }
            }

            if (disableMetrics && disableTraces)
            {
                Warn(path, "disable_metrics and disable_traces are both true: this exporter sends nothing");
            }

            return name is null ? null : new AzureMonitorExporterOptions
            {
                Name = name,
                ConnectionString = connectionString,
                DisableMetrics = disableMetrics,
                DisableTraces = disableTraces,
            };
        }

        private static bool IsConnectionString(string text)
        {
            var hasKey = false;
            foreach (var part in text.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = part.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    return false;
                }

                if (part.AsSpan(0, equals).Trim().Equals("InstrumentationKey", StringComparison.OrdinalIgnoreCase) && equals < part.Length - 1)
                {
                    hasKey = true;
                }
            }

            return hasKey;
        }

        // ---- security namespace (KrakenD Enterprise) -----------------------------------------------------------

        public TelemetryOptions Security(TelemetryOptions options, JsonElement value, string path)
        {
            if (!IsObject(value, path))
            {
                return options;
            }

            var otlp = options.Exporters.Otlp.ToList();
            foreach (var (key, item, itemPath) in Properties(value, path))
            {
                if (key != "otlp")
                {
                    Unknown(itemPath);
                    continue;
                }

                if (item.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                if (item.ValueKind != JsonValueKind.Array)
                {
                    Error(itemPath, "must be an array");
                    continue;
                }

                var seen = new Dictionary<string, int>(StringComparer.Ordinal);
                var index = 0;
                foreach (var entry in item.EnumerateArray())
                {
                    var entryPath = $"{itemPath}[{index}]";
                    SecurityEntry(entry, entryPath, index, otlp, seen);
                    index++;
                }
            }

            return options with { Exporters = options.Exporters with { Otlp = otlp } };
        }

        private void SecurityEntry(JsonElement entry, string path, int index, List<OtlpExporterOptions> otlp, Dictionary<string, int> seen)
        {
            if (!IsObject(entry, path))
            {
                return;
            }

            string? name = null;
            Dictionary<string, string>? headers = null;
            foreach (var (key, item, itemPath) in Properties(entry, path))
            {
                switch (key)
                {
                    case "name":
                        name = NonEmpty(String(item, itemPath));
                        break;
                    case "headers":
                        headers = Headers(item, itemPath);
                        break;
                    default:
                        Unknown(itemPath);
                        break;
                }
            }

            var namePath = path + ".name";
            if (name is null)
            {
                Error(namePath, "is required (the name of an exporters.otlp entry)");
                return;
            }

            if (!seen.TryAdd(name, index))
            {
                Error(namePath, $"duplicate name \"{name}\" (already used at otlp[{seen[name]}])");
                return;
            }

            var target = otlp.FindIndex(exporter => exporter.Name == name);
            if (target < 0)
            {
                Error(namePath, $"no exporters.otlp entry is named \"{name}\"");
                return;
            }

            if (headers is not null)
            {
                otlp[target] = otlp[target] with { Headers = headers };
            }
        }

        private Dictionary<string, string>? Headers(JsonElement value, string path)
        {
            if (value.ValueKind == JsonValueKind.Null || !IsObject(value, path))
            {
                return null;
            }

            var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var property in value.EnumerateObject())
            {
                var itemPath = $"{path}.{property.Name}";
                if (!IsToken(property.Name))
                {
                    Error(itemPath, "is not a valid header name");
                    continue;
                }

                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    Error(itemPath, "must be a string");
                    continue;
                }

                var headerValue = property.Value.GetString()!;
                if (headerValue.AsSpan().IndexOfAny('\r', '\n') >= 0)
                {
                    // The value is a secret: never echo it.
                    Error(itemPath, "must not contain CR or LF");
                    continue;
                }

                result[property.Name] = headerValue;
            }

            return result;
        }

        /// <summary>RFC 9110 token: the characters allowed in a header name.</summary>
        private static bool IsToken(string name)
        {
            if (name.Length == 0)
            {
                return false;
            }

            foreach (var c in name)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)))
                {
                    return false;
                }
            }

            return true;
        }

        // ---- layers --------------------------------------------------------------------------------------------

        private LayersOptions Layers(JsonElement value, string path)
        {
            var result = LayersOptions.Default;
            if (value.ValueKind == JsonValueKind.Null || !IsObject(value, path))
            {
                return result;
            }

            foreach (var (name, item, itemPath) in Properties(value, path))
            {
                switch (name)
                {
                    case "global":
                        result = result with { Global = Global(item, itemPath) };
                        break;
                    case "proxy":
                        result = result with { Proxy = Proxy(item, itemPath) };
                        break;
                    case "backend":
                        result = result with { Backend = Backend(item, itemPath) };
                        break;
                    default:
                        Unknown(itemPath);
                        break;
                }
            }

            return result;
        }

        private GlobalLayerOptions Global(JsonElement value, string path)
        {
            var result = GlobalLayerOptions.Default;
            if (value.ValueKind == JsonValueKind.Null || !IsObject(value, path))
            {
                return result;
            }

            foreach (var (name, item, itemPath) in Properties(value, path))
            {
                switch (name)
                {
                    case "disable_metrics":
                        result = result with { DisableMetrics = Bool(item, itemPath) ?? false };
                        break;
                    case "disable_traces":
                        result = result with { DisableTraces = Bool(item, itemPath) ?? false };
                        break;
                    case "disable_propagation":
                        result = result with { DisablePropagation = Bool(item, itemPath) ?? false };
                        break;
                    case "report_headers":
                        result = result with { ReportHeaders = Bool(item, itemPath) ?? false };
                        break;
                    case "skip_headers":
                        result = result with { SkipHeaders = StringArray(item, itemPath) ?? [] };
                        break;
                    case "report_headers_allow_secrets":
                        result = result with { ReportHeadersAllowSecrets = AllowedSecrets(item, itemPath) };
                        break;
                    case "metrics_static_attributes":
                        result = result with { MetricsStaticAttributes = Attributes(item, itemPath) };
                        break;
                    case "traces_static_attributes":
                        result = result with { TracesStaticAttributes = Attributes(item, itemPath) };
                        break;
                    case "semantic_convention":
                        var convention = String(item, itemPath) ?? "";
                        if (convention is not ("" or GlobalLayerOptions.SemanticConvention127))
                        {
                            Warn(itemPath, $"\"{convention}\" is not a known semantic convention (\"\" or \"1.27\"): the legacy metric names are used");
                        }

                        result = result with { SemanticConvention = convention };
                        break;
                    default:
                        Unknown(itemPath);
                        break;
                }
            }

            return result;
        }

        private ProxyLayerOptions Proxy(JsonElement value, string path)
        {
            var result = ProxyLayerOptions.Default;
            if (value.ValueKind == JsonValueKind.Null || !IsObject(value, path))
            {
                return result;
            }

            foreach (var (name, item, itemPath) in Properties(value, path))
            {
                switch (name)
                {
                    case "disable_metrics":
                        result = result with { DisableMetrics = Bool(item, itemPath) ?? false };
                        break;
                    case "disable_traces":
                        result = result with { DisableTraces = Bool(item, itemPath) ?? false };
                        break;
                    case "report_headers":
                        result = result with { ReportHeaders = Bool(item, itemPath) ?? false };
                        break;
                    case "skip_headers":
                        result = result with { SkipHeaders = StringArray(item, itemPath) ?? [] };
                        break;
                    case "report_headers_allow_secrets":
                        result = result with { ReportHeadersAllowSecrets = AllowedSecrets(item, itemPath) };
                        break;
                    case "metrics_static_attributes":
                        result = result with { MetricsStaticAttributes = Attributes(item, itemPath) };
                        break;
                    case "traces_static_attributes":
                        result = result with { TracesStaticAttributes = Attributes(item, itemPath) };
                        break;
                    default:
                        Unknown(itemPath);
                        break;
                }
            }

            return result;
        }

        /// <summary>A <c>backend</c> object: a missing <c>metrics</c>/<c>traces</c> keeps the all-on default; a present one starts all-false (§2.7).</summary>
        private BackendLayerOptions Backend(JsonElement value, string path)
        {
            var result = BackendLayerOptions.Default;
            if (value.ValueKind == JsonValueKind.Null || !IsObject(value, path))
            {
                return result;
            }

            foreach (var (name, item, itemPath) in Properties(value, path))
            {
                switch (name)
                {
                    case "metrics":
                        result = result with { Metrics = BackendMetrics(item, itemPath) };
                        break;
                    case "traces":
                        result = result with { Traces = BackendTraces(item, itemPath) };
                        break;
                    default:
                        Unknown(itemPath);
                        break;
                }
            }

            return result;
        }

        private BackendMetricsOptions BackendMetrics(JsonElement value, string path)
        {
            if (value.ValueKind == JsonValueKind.Null || !IsObject(value, path))
            {
                return BackendMetricsOptions.Default;
            }

            // Present: every field left out is false (Go zero value).
            var flags = default(BackendFlags);
            foreach (var (name, item, itemPath) in Properties(value, path))
            {
                if (TryBackendFlag(name, item, itemPath, ref flags))
                {
                    continue;
                }

                if (name is "report_headers" or "skip_headers" or "report_headers_allow_secrets")
                {
                    Warn(itemPath, "is only read under traces; ignored");
                }
                else
                {
                    Unknown(itemPath);
                }
            }

            return new BackendMetricsOptions
            {
                DisableStage = flags.DisableStage,
                RoundTrip = flags.RoundTrip,
                ReadPayload = flags.ReadPayload,
                DetailedConnection = flags.DetailedConnection,
                StaticAttributes = flags.StaticAttributes ?? [],
            };
        }

        private BackendTracesOptions BackendTraces(JsonElement value, string path)
        {
            if (value.ValueKind == JsonValueKind.Null || !IsObject(value, path))
            {
                return BackendTracesOptions.Default;
            }

            // Present: every field left out is false (Go zero value).
            var flags = default(BackendFlags);
            var result = new BackendTracesOptions();
            foreach (var (name, item, itemPath) in Properties(value, path))
            {
                if (TryBackendFlag(name, item, itemPath, ref flags))
                {
                    continue;
                }

                switch (name)
                {
                    case "report_headers":
                        result = result with { ReportHeaders = Bool(item, itemPath) ?? false };
                        break;
                    case "skip_headers":
                        result = result with { SkipHeaders = StringArray(item, itemPath) ?? [] };
                        break;
                    case "report_headers_allow_secrets":
                        result = result with { ReportHeadersAllowSecrets = AllowedSecrets(item, itemPath) };
                        break;
                    default:
                        Unknown(itemPath);
                        break;
                }
            }

            return result with
            {
                DisableStage = flags.DisableStage,
                RoundTrip = flags.RoundTrip,
                ReadPayload = flags.ReadPayload,
                DetailedConnection = flags.DetailedConnection,
                StaticAttributes = flags.StaticAttributes ?? [],
            };
        }

        /// <summary>The flags <c>layers.backend.metrics</c> and <c>layers.backend.traces</c> share.</summary>
        private struct BackendFlags
        {
            public bool DisableStage;
            public bool RoundTrip;
            public bool ReadPayload;
            public bool DetailedConnection;
            public IReadOnlyList<TelemetryAttribute>? StaticAttributes;
        }

        private bool TryBackendFlag(string name, JsonElement item, string itemPath, ref BackendFlags flags)
        {
            switch (name)
            {
                case "disable_stage":
                    flags.DisableStage = Bool(item, itemPath) ?? false;
                    return true;
                case "round_trip":
                    flags.RoundTrip = Bool(item, itemPath) ?? false;
                    return true;
                case "read_payload":
                    flags.ReadPayload = Bool(item, itemPath) ?? false;
                    return true;
                case "detailed_connection":
                    flags.DetailedConnection = Bool(item, itemPath) ?? false;
                    return true;
                case "static_attributes":
                    flags.StaticAttributes = Attributes(item, itemPath);
                    return true;
                default:
                    return false;
            }
        }

        // ---- overrides -----------------------------------------------------------------------------------------

        public EndpointTelemetryOverride? EndpointOverride(JsonElement value, string path)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                return new EndpointTelemetryOverride();
            }

            if (!IsObject(value, path))
            {
                return null;
            }

            var result = new EndpointTelemetryOverride();
            foreach (var (name, item, itemPath) in Properties(value, path))
            {
                switch (name)
                {
                    case "proxy":
                        result = result with { Proxy = item.ValueKind == JsonValueKind.Null ? null : Proxy(item, itemPath) };
                        break;
                    case "global":
                        result = result with { Global = item.ValueKind == JsonValueKind.Null ? null : EndpointGlobal(item, itemPath) };
                        break;
                    case "backend":
                        result = result with { Backend = item.ValueKind == JsonValueKind.Null ? null : Backend(item, itemPath) };
                        break;
                    case "exporters_override":
                        Warn(itemPath, "per-endpoint exporter selection (KrakenD Enterprise) is not supported; ignored");
                        break;
                    case "layers":
                        Warn(itemPath, "override keys sit directly under the namespace (proxy, global, backend), without \"layers\"; ignored");
                        break;
                    default:
                        Unknown(itemPath);
                        break;
                }
            }

            return result;
        }

        private EndpointGlobalOverride EndpointGlobal(JsonElement value, string path)
        {
            var result = new EndpointGlobalOverride();
            if (!IsObject(value, path))
            {
                return result;
            }

            foreach (var (name, item, itemPath) in Properties(value, path))
            {
                switch (name)
                {
                    case "metrics_static_attributes":
                        result = result with { MetricsStaticAttributes = Attributes(item, itemPath) };
                        break;
                    case "traces_static_attributes":
                        result = result with { TracesStaticAttributes = Attributes(item, itemPath) };
                        break;
                    default:
                        if (Array.IndexOf(GlobalOnlyKeys, name) >= 0)
                        {
                            Warn(itemPath, "cannot be set per endpoint (only metrics_static_attributes and traces_static_attributes can); ignored");
                        }
                        else
                        {
                            Unknown(itemPath);
                        }

                        break;
                }
            }

            return result;
        }

        public BackendTelemetryOverride? BackendOverride(JsonElement value, string path)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                return new BackendTelemetryOverride();
            }

            if (!IsObject(value, path))
            {
                return null;
            }

            var result = new BackendTelemetryOverride();
            foreach (var (name, item, itemPath) in Properties(value, path))
            {
                switch (name)
                {
                    case "backend":
                        result = result with { Backend = item.ValueKind == JsonValueKind.Null ? null : Backend(item, itemPath) };
                        break;
                    case "proxy" or "global":
                        Warn(itemPath, "is not read at backend level (only backend is); ignored");
                        break;
                    case "layers":
                        Warn(itemPath, "override keys sit directly under the namespace (backend), without \"layers\"; ignored");
                        break;
                    default:
                        Unknown(itemPath);
                        break;
                }
            }

            return result;
        }

        // ---- value helpers -------------------------------------------------------------------------------------

        private static IEnumerable<(string Name, JsonElement Value, string Path)> Properties(JsonElement value, string path)
        {
            foreach (var property in value.EnumerateObject())
            {
                if (!IsIgnoredKey(property.Name))
                {
                    yield return (property.Name, property.Value, $"{path}.{property.Name}");
                }
            }
        }

        private bool IsObject(JsonElement value, string path)
        {
            if (value.ValueKind == JsonValueKind.Object)
            {
                return true;
            }

            Error(path, "must be an object");
            return false;
        }

        private static string? NonEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

        private bool? Bool(JsonElement value, string path)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                case JsonValueKind.Null:
                    return null;
                default:
                    Error(path, "must be true or false");
                    return null;
            }
        }

        private string? String(JsonElement value, string path)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    return value.GetString();
                case JsonValueKind.Null:
                    return null;
                default:
                    Error(path, "must be a string");
                    return null;
            }
        }

        private int? Port(JsonElement value, string path)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var port))
            {
                Error(path, "must be a whole number between 1 and 65535");
                return null;
            }

            if (port is < 1 or > 65535)
            {
                Error(path, "must be between 1 and 65535");
                return null;
            }

            return (int)port;
        }

        /// <summary>A whole number of seconds (KrakenD reads these periods as Go ints, not durations).</summary>
        private TimeSpan? Seconds(JsonElement value, string path, bool allowZero)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var seconds) && (seconds > 0 || (allowZero && seconds == 0)))
            {
                return TimeSpan.FromSeconds(seconds);
            }

            Error(path, allowZero
                ? "must be a whole number of seconds, zero or more (0 uses metric_reporting_period)"
                : "must be a whole number of seconds greater than zero");
            return null;
        }

        private double? Rate(JsonElement value, string path)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var rate) && rate is >= 0 and <= 1)
            {
                return rate;
            }

            Error(path, "must be a number between 0 and 1");
            return null;
        }

        private List<string>? StringArray(JsonElement value, string path)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind != JsonValueKind.Array)
            {
                Error(path, "must be an array of strings");
                return null;
            }

            var result = new List<string>();
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String)
                {
                    result.Add(item.GetString()!);
                }
                else
                {
                    Error($"{path}[{index}]", "must be a string");
                }

                index++;
            }

            return result;
        }

        private List<string> AllowedSecrets(JsonElement value, string path)
        {
            var names = StringArray(value, path) ?? [];
            for (var i = 0; i < names.Count; i++)
            {
                if (!HeaderReportPolicy.IsSecret(names[i]))
                {
                    Warn($"{path}[{i}]", $"\"{names[i]}\" is not a redacted header ({string.Join(", ", HeaderReportPolicy.SecretHeaders)}): nothing to allow");
                }
            }

            return names;
        }

        /// <summary>
        /// <c>[{"key": …, "value": …}]</c>. Entries with an empty key or value are dropped (§2.9, with a warning); on a
        /// repeated key the later value wins.
        /// </summary>
        private List<TelemetryAttribute> Attributes(JsonElement value, string path)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                return [];
            }

            if (value.ValueKind != JsonValueKind.Array)
            {
                Error(path, "must be an array of {\"key\": …, \"value\": …} objects");
                return [];
            }

            var result = new List<TelemetryAttribute>();
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                var itemPath = $"{path}[{index++}]";
                if (item.ValueKind != JsonValueKind.Object)
                {
                    Error(itemPath, "must be an object with key and value");
                    continue;
                }

                string? key = null, text = null;
                foreach (var (name, field, fieldPath) in Properties(item, itemPath))
                {
                    switch (name)
                    {
                        case "key":
                            key = String(field, fieldPath);
                            break;
                        case "value":
                            text = String(field, fieldPath);
                            break;
                        default:
                            Unknown(fieldPath);
                            break;
                    }
                }

                if (string.IsNullOrEmpty(key) || string.IsNullOrEmpty(text))
                {
                    Warn(itemPath, "skipped: the key or the value is empty");
                    continue;
                }

                result.Add(new TelemetryAttribute(key, text));
            }

            return Deduplicate(result);
        }

        /// <summary>On a repeated key the later value wins, kept at the first key's position.</summary>
        private static List<TelemetryAttribute> Deduplicate(List<TelemetryAttribute> attributes)
        {
            var result = new List<TelemetryAttribute>(attributes.Count);
            var positions = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var attribute in attributes)
            {
                if (positions.TryGetValue(attribute.Key, out var position))
                {
                    result[position] = attribute;
                }
                else
                {
                    positions.Add(attribute.Key, result.Count);
                    result.Add(attribute);
                }
            }

            return result;
        }
    }
}
