using System.Text;

namespace Telemetry.Configuration;

/// <summary><c>exporters</c>: the three lists. Names are unique across all of them.</summary>
public sealed record ExportersOptions
{
    public static ExportersOptions Empty { get; } = new();

    /// <summary><c>exporters.otlp[]</c> (§2.2).</summary>
    public IReadOnlyList<OtlpExporterOptions> Otlp { get; init; } = [];

    /// <summary><c>exporters.prometheus[]</c> (§2.3).</summary>
    public IReadOnlyList<PrometheusExporterOptions> Prometheus { get; init; } = [];

    /// <summary><c>exporters.azure_monitor[]</c>: our addition (not in KrakenD).</summary>
    public IReadOnlyList<AzureMonitorExporterOptions> AzureMonitor { get; init; } = [];

    public bool IsEmpty => Otlp.Count == 0 && Prometheus.Count == 0 && AzureMonitor.Count == 0;
}

/// <summary>The wire protocol of an OTLP exporter.</summary>
public enum OtlpProtocol
{
    /// <summary>OTLP/gRPC (<c>use_http: false</c>, the default).</summary>
    Grpc,

    /// <summary>OTLP/HTTP with protobuf bodies (<c>use_http: true</c>).</summary>
    HttpProtobuf,
}

/// <summary>
/// One <c>exporters.otlp[]</c> entry (§2.2). The configured values are kept apart from the defaults so that
/// <see cref="ResolveConnection"/> can let the <c>OTEL_EXPORTER_OTLP_*</c> environment fill in what the config leaves
/// out: config value → environment → built-in default.
/// </summary>
public sealed record OtlpExporterOptions
{
    public const string DefaultHost = "localhost";
    public const int DefaultGrpcPort = 4317;

    /// <summary>The docs' default for OTLP/HTTP; KrakenD CE's code keeps 4317 (§2.10: we follow the docs).</summary>
    public const int DefaultHttpPort = 4318;

    /// <summary><c>name</c>: required, unique across every exporter list.</summary>
    public required string Name { get; init; }

    /// <summary><c>host</c> as written (optionally with an <c>http://</c> or <c>https://</c> scheme); null when missing.</summary>
    public string? ConfiguredHost { get; init; }

    /// <summary><c>port</c> as written (1–65535); null when missing.</summary>
    public int? ConfiguredPort { get; init; }

    /// <summary><c>use_http</c> as written; null when missing.</summary>
    public bool? ConfiguredUseHttp { get; init; }

    /// <summary><c>disable_metrics</c>: this exporter gets no metric reader.</summary>
    public bool DisableMetrics { get; init; }

    /// <summary><c>disable_traces</c>: this exporter gets no span processor.</summary>
    public bool DisableTraces { get; init; }

    /// <summary><c>custom_metric_reporting_period</c> (whole seconds); null when missing or 0, i.e. use the service-level period.</summary>
    public TimeSpan? CustomMetricReportingPeriod { get; init; }

    /// <summary>
    /// Headers sent with every export, from KrakenD Enterprise's <c>telemetry/opentelemetry-security</c>
    /// (<c>otlp[].headers</c>, matched by name). Secrets: left out of <see cref="object.ToString"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = EmptyHeaders;

    /// <summary>The host with defaults applied (config view only; see <see cref="ResolveConnection"/>).</summary>
    public string Host => ConfiguredHost ?? DefaultHost;

    /// <summary><c>use_http</c> with its default (false) applied.</summary>
    public bool UseHttp => ConfiguredUseHttp ?? false;

    /// <summary>The port with its default applied: 4318 for OTLP/HTTP, 4317 for gRPC.</summary>
    public int Port => ConfiguredPort ?? (UseHttp ? DefaultHttpPort : DefaultGrpcPort);

    /// <summary>The reporting period of this exporter's periodic reader: the custom one if set, else the service-level one.</summary>
    public TimeSpan ResolveMetricReportingPeriod(TimeSpan servicePeriod) => CustomMetricReportingPeriod ?? servicePeriod;

    /// <summary>
    /// Where and how to export. Protocol: <c>use_http</c> → <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> → gRPC. Host:
    /// <c>host</c> → <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (taken whole: scheme, host, port, path) → <c>localhost</c>.
    /// Port: <c>port</c> → the environment endpoint's port (when the host came from it) → 4318 (HTTP) / 4317 (gRPC).
    /// TLS when the scheme is <c>https</c>, for gRPC too (the docs' meaning; CE never uses TLS over gRPC, §2.10).
    /// Headers: <c>OTEL_EXPORTER_OTLP_HEADERS</c>, overridden key by key (case-insensitively) by <see cref="Headers"/>.
    /// </summary>
    public OtlpConnection ResolveConnection(TelemetryEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var protocol = ConfiguredUseHttp switch
        {
            true => OtlpProtocol.HttpProtobuf,
            false => OtlpProtocol.Grpc,
            null => environment.OtlpProtocol ?? OtlpProtocol.Grpc,
        };
        var defaultPort = protocol == OtlpProtocol.HttpProtobuf ? DefaultHttpPort : DefaultGrpcPort;

        string scheme, host, path = "";
        int port;
        if (ConfiguredHost is not null)
        {
            // Validated by the parser; a value that does not parse falls back to the raw text.
            if (!OtlpHost.TryParse(ConfiguredHost, out var parsedScheme, out var parsedHost, out _, out _))
            {
                parsedHost = ConfiguredHost;
            }

            scheme = parsedScheme ?? "http";
            host = parsedHost;
            port = ConfiguredPort ?? defaultPort;
        }
        else if (environment.OtlpEndpoint is { } endpoint)
        {
            scheme = endpoint.Scheme;
            host = endpoint.Host;
            port = ConfiguredPort ?? endpoint.Port;
            path = endpoint.AbsolutePath.TrimEnd('/');
        }
        else
        {
            scheme = "http";
            host = DefaultHost;
            port = ConfiguredPort ?? defaultPort;
        }

        if (host.Contains(':', StringComparison.Ordinal) && host[0] != '[')
        {
            host = $"[{host}]";
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in environment.OtlpHeaders)
        {
            headers[header.Key] = header.Value;
        }

        foreach (var header in Headers)
        {
            headers[header.Key] = header.Value;
        }

        var uri = new Uri($"{scheme}://{host}:{port}{path}", UriKind.Absolute);
        return new OtlpConnection(uri, protocol, string.Equals(scheme, "https", StringComparison.OrdinalIgnoreCase), headers);
    }

    internal static readonly IReadOnlyDictionary<string, string> EmptyHeaders = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Name = ").Append(Name)
            .Append(", Host = ").Append(Host)
            .Append(", Port = ").Append(Port)
            .Append(", UseHttp = ").Append(UseHttp)
            .Append(", DisableMetrics = ").Append(DisableMetrics)
            .Append(", DisableTraces = ").Append(DisableTraces)
            .Append(", CustomMetricReportingPeriod = ").Append(CustomMetricReportingPeriod)
            .Append(", Headers = [").AppendJoin(", ", Headers.Keys).Append(" (values redacted)]");
        return true;
    }
}

/// <summary>A resolved OTLP destination. <see cref="Endpoint"/> is the base URI (no <c>/v1/…</c> signal path).</summary>
public sealed record OtlpConnection(Uri Endpoint, OtlpProtocol Protocol, bool UseTls, IReadOnlyDictionary<string, string> Headers)
{
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Endpoint = ").Append(Endpoint)
            .Append(", Protocol = ").Append(Protocol)
            .Append(", UseTls = ").Append(UseTls)
            .Append(", Headers = [").AppendJoin(", ", Headers.Keys).Append(" (values redacted)]");
        return true;
    }
}

/// <summary>
/// One <c>exporters.prometheus[]</c> entry (§2.3), plus our companion fields. In Azure Functions no extra port can be
/// opened, so the metrics are pushed to the aggregating companion function at <see cref="CompanionUrl"/>.
/// </summary>
public sealed record PrometheusExporterOptions
{
    public const int DefaultPort = 9090;

    /// <summary><c>name</c>: required, unique across every exporter list.</summary>
    public required string Name { get; init; }

    /// <summary><c>port</c> of the dedicated <c>/metrics</c> server (1–65535). Default 9090.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>
    /// The listen address: <c>listen_ip</c> (the docs' and schema's name) or <c>host</c> (the name KrakenD CE's code
    /// reads); both are accepted (§2.10). Empty means every interface.
    /// </summary>
    public string ListenIp { get; init; } = "";

    /// <summary><c>process_metrics</c>: add process metrics (CPU, memory, …) to this exporter.</summary>
    public bool ProcessMetrics { get; init; }

    /// <summary><c>go_metrics</c>: the Go runtime collector. Here it means the .NET runtime metrics (names differ).</summary>
    public bool GoMetrics { get; init; }

    /// <summary><c>disable_metrics</c>: the exporter is not attached to the meter provider.</summary>
    public bool DisableMetrics { get; init; }

    /// <summary><c>companion_url</c> (our addition): the aggregating companion's OTLP ingest URL (absolute http/https).</summary>
    public Uri? CompanionUrl { get; init; }

    /// <summary><c>companion_key</c> (our addition): the companion's function key. A secret: left out of <see cref="object.ToString"/>.</summary>
    public string? CompanionKey { get; init; }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Name = ").Append(Name)
            .Append(", Port = ").Append(Port)
            .Append(", ListenIp = ").Append(ListenIp)
            .Append(", ProcessMetrics = ").Append(ProcessMetrics)
            .Append(", GoMetrics = ").Append(GoMetrics)
            .Append(", DisableMetrics = ").Append(DisableMetrics)
            .Append(", CompanionUrl = ").Append(CompanionUrl)
            .Append(", CompanionKey = ").Append(CompanionKey is null ? "" : "(redacted)");
        return true;
    }
}

/// <summary>One <c>exporters.azure_monitor[]</c> entry: our addition, exporting to Application Insights.</summary>
public sealed record AzureMonitorExporterOptions
{
    /// <summary>The App Service / Functions setting read when <c>connection_string</c> is missing.</summary>
    public const string ConnectionStringVariable = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary><c>name</c>: required, unique across every exporter list.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// <c>connection_string</c>; null when missing. A secret: left out of <see cref="object.ToString"/>. See
    /// <see cref="ResolveConnectionString"/>.
    /// </summary>
    public string? ConnectionString { get; init; }

    /// <summary><c>disable_metrics</c>.</summary>
    public bool DisableMetrics { get; init; }

    /// <summary><c>disable_traces</c>.</summary>
    public bool DisableTraces { get; init; }

    /// <summary>The config value, else <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c>; null when neither is set (the exporter cannot run).</summary>
    public string? ResolveConnectionString(TelemetryEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return ConnectionString ?? environment.ApplicationInsightsConnectionString;
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Name = ").Append(Name)
            .Append(", ConnectionString = ").Append(ConnectionString is null ? "" : "(redacted)")
            .Append(", DisableMetrics = ").Append(DisableMetrics)
            .Append(", DisableTraces = ").Append(DisableTraces);
        return true;
    }
}

/// <summary>Splits an OTLP <c>host</c> value: optional <c>http://</c>/<c>https://</c> scheme, a host name or IP, no port.</summary>
internal static class OtlpHost
{
    /// <summary>
    /// Parses <paramref name="text"/>. <paramref name="droppedPath"/> is true when a path, query or fragment followed
    /// the host (KrakenD drops it too).
    /// </summary>
    public static bool TryParse(string text, out string? scheme, out string host, out bool droppedPath, out string? error)
    {
        scheme = null;
        host = "";
        droppedPath = false;
        error = null;
        var rest = text.Trim();
        var separator = rest.IndexOf("://", StringComparison.Ordinal);
        if (separator >= 0)
        {
            scheme = rest[..separator].ToUpperInvariant() switch
            {
                "HTTP" => "http",
                "HTTPS" => "https",
                _ => null,
            };
            if (scheme is null)
            {
                error = $"\"{text}\" has an unsupported scheme (use http:// or https://, or none)";
                return false;
            }

            rest = rest[(separator + 3)..];
        }

        var end = rest.AsSpan().IndexOfAny('/', '?', '#');
        if (end >= 0)
        {
            droppedPath = end < rest.Length - 1 || rest[end] != '/';
            rest = rest[..end];
        }

        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close != rest.Length - 1)
            {
                error = close < 0 ? $"\"{text}\" is not a valid host" : $"\"{text}\" must not carry a port: use the port field";
                return false;
            }

            host = rest[1..close];
            if (Uri.CheckHostName(host) != UriHostNameType.IPv6)
            {
                error = $"\"{text}\" is not a valid host";
                return false;
            }

            return true;
        }

        if (rest.Contains(':', StringComparison.Ordinal))
        {
            error = Uri.CheckHostName(rest) == UriHostNameType.IPv6
                ? $"\"{text}\": write an IPv6 address in brackets, e.g. [::1]"
                : $"\"{text}\" must not carry a port: use the port field";
            return false;
        }

        if (rest.Length == 0 || Uri.CheckHostName(rest) == UriHostNameType.Unknown)
        {
            error = $"\"{text}\" is not a valid host";
            return false;
        }

        host = rest;
        return true;
    }
}
