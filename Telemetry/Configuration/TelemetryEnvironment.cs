namespace Telemetry.Configuration;

/// <summary>How the metric readers ask for temporality (<c>OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE</c>).</summary>
public enum MetricTemporalityPreference
{
    /// <summary>The SDK default, and KrakenD's (§3).</summary>
    Cumulative,

    /// <summary>Delta for counters and histograms; what the aggregating companion expects.</summary>
    Delta,

    /// <summary>Delta for synchronous counters and histograms, cumulative for the rest.</summary>
    LowMemory,
}

/// <summary>
/// The standard <c>OTEL_*</c> variables the telemetry layer honours, plus <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c>,
/// read through a lookup function so tests never touch the process environment.
/// <para>
/// Precedence (as in KrakenD, §3, §6.1): a value written in the config wins over the environment. The environment then
/// fills in what the config leaves out, before any built-in default: <c>OTEL_SERVICE_NAME</c> /
/// <c>OTEL_RESOURCE_ATTRIBUTES</c> (see <see cref="TelemetryOptions.ResolveResource"/>),
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> / <c>_PROTOCOL</c> / <c>_HEADERS</c> (see
/// <see cref="OtlpExporterOptions.ResolveConnection"/>), <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> (see
/// <see cref="AzureMonitorExporterOptions.ResolveConnectionString"/>). Temporality and propagators have no config field.
/// </para>
/// <para>A malformed value is reported in <see cref="Problems"/> (path = the variable's name) and ignored; it never throws.</para>
/// </summary>
public sealed record TelemetryEnvironment
{
    public const string ServiceNameVariable = "OTEL_SERVICE_NAME";
    public const string ResourceAttributesVariable = "OTEL_RESOURCE_ATTRIBUTES";
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string OtlpHeadersVariable = "OTEL_EXPORTER_OTLP_HEADERS";
    public const string OtlpProtocolVariable = "OTEL_EXPORTER_OTLP_PROTOCOL";
    public const string TemporalityPreferenceVariable = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
    public const string PropagatorsVariable = "OTEL_PROPAGATORS";

    /// <summary>The propagator names KrakenD accepts in <c>OTEL_PROPAGATORS</c> (§5.8).</summary>
    public static IReadOnlyList<string> KnownPropagators { get; } = ["tracecontext", "baggage", "b3", "b3multi", "jaeger", "xray", "ottrace", "none"];

    /// <summary>KrakenD's default propagators: W3C trace context and baggage.</summary>
    public static IReadOnlyList<string> DefaultPropagators { get; } = ["tracecontext", "baggage"];

    /// <summary>Nothing set.</summary>
    public static TelemetryEnvironment Empty { get; } = new();

    /// <summary><c>OTEL_SERVICE_NAME</c>; null when unset or blank.</summary>
    public string? ServiceName { get; init; }

    /// <summary><c>OTEL_RESOURCE_ATTRIBUTES</c>, percent-decoded, in order (a repeated key keeps its last value).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ResourceAttributes { get; init; } = [];

    /// <summary><c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (absolute http/https URI); null when unset or invalid.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary><c>OTEL_EXPORTER_OTLP_HEADERS</c>, percent-decoded.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> OtlpHeaders { get; init; } = [];

    /// <summary><c>OTEL_EXPORTER_OTLP_PROTOCOL</c> (<c>grpc</c> or <c>http/protobuf</c>); null when unset or unsupported.</summary>
    public OtlpProtocol? OtlpProtocol { get; init; }

    /// <summary><c>OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE</c>; cumulative when unset or invalid.</summary>
    public MetricTemporalityPreference TemporalityPreference { get; init; } = MetricTemporalityPreference.Cumulative;

    /// <summary>
    /// <c>OTEL_PROPAGATORS</c>, lower-cased and de-duplicated; <see cref="DefaultPropagators"/> when unset or when any
    /// name is unknown (as KrakenD: the error is reported and the default kept); empty when <c>none</c> is listed.
    /// </summary>
    public IReadOnlyList<string> Propagators { get; init; } = DefaultPropagators;

    /// <summary><c>APPLICATIONINSIGHTS_CONNECTION_STRING</c>; null when unset or blank.</summary>
    public string? ApplicationInsightsConnectionString { get; init; }

    /// <summary>Malformed variables, each ignored.</summary>
    public IReadOnlyList<TelemetryConfigProblem> Problems { get; init; } = [];

    /// <summary>The real process environment.</summary>
    public static TelemetryEnvironment FromProcess() => Read(Environment.GetEnvironmentVariable);

    /// <summary>Reads every variable through <paramref name="getVariable"/> (null = unset).</summary>
    public static TelemetryEnvironment Read(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        var problems = new List<TelemetryConfigProblem>();
        string? Get(string name) => getVariable(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

        var resourceAttributes = Get(ResourceAttributesVariable) is { } rawAttributes
            ? ParseKeyValueList(ResourceAttributesVariable, rawAttributes, problems)
            : [];
        var headers = Get(OtlpHeadersVariable) is { } rawHeaders
            ? ParseKeyValueList(OtlpHeadersVariable, rawHeaders, problems)
            : [];

        Uri? endpoint = null;
        if (Get(OtlpEndpointVariable) is { } rawEndpoint)
        {
            if (Uri.TryCreate(rawEndpoint, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            {
                endpoint = uri;
            }
            else
            {
                problems.Add(new(OtlpEndpointVariable, $"\"{rawEndpoint}\" is not an absolute http or https URL; ignored"));
            }
        }

        OtlpProtocol? protocol = null;
        if (Get(OtlpProtocolVariable) is { } rawProtocol)
        {
            protocol = rawProtocol.ToUpperInvariant() switch
            {
                "GRPC" => Configuration.OtlpProtocol.Grpc,
                "HTTP/PROTOBUF" => Configuration.OtlpProtocol.HttpProtobuf,
                _ => null,
            };
            if (protocol is null)
            {
                problems.Add(new(OtlpProtocolVariable, $"\"{rawProtocol}\" is not supported (grpc or http/protobuf); ignored"));
            }
        }

        var temporality = MetricTemporalityPreference.Cumulative;
        if (Get(TemporalityPreferenceVariable) is { } rawTemporality)
        {
            switch (rawTemporality.ToUpperInvariant())
            {
                case "CUMULATIVE":
                    break;
                case "DELTA":
                    temporality = MetricTemporalityPreference.Delta;
                    break;
                case "LOWMEMORY":
                    temporality = MetricTemporalityPreference.LowMemory;
                    break;
                default:
                    problems.Add(new(TemporalityPreferenceVariable, $"\"{rawTemporality}\" is not cumulative, delta or lowmemory; cumulative is used"));
                    break;
            }
        }

        return new TelemetryEnvironment
        {
            ServiceName = Get(ServiceNameVariable),
            ResourceAttributes = resourceAttributes,
            OtlpEndpoint = endpoint,
            OtlpHeaders = headers,
            OtlpProtocol = protocol,
            TemporalityPreference = temporality,
            Propagators = Get(PropagatorsVariable) is { } rawPropagators ? ParsePropagators(rawPropagators, problems) : DefaultPropagators,
            ApplicationInsightsConnectionString = Get(AzureMonitorExporterOptions.ConnectionStringVariable),
            Problems = problems,
        };
    }

    private static IReadOnlyList<string> ParsePropagators(string raw, List<TelemetryConfigProblem> problems)
    {
        var result = new List<string>();
        var none = false;
        foreach (var part in raw.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var name = KnownPropagators.FirstOrDefault(known => string.Equals(known, part, StringComparison.OrdinalIgnoreCase));
            if (name is null)
            {
                problems.Add(new(PropagatorsVariable, $"unknown propagator \"{part}\" ({string.Join(", ", KnownPropagators)}); the default tracecontext,baggage is used"));
                return DefaultPropagators;
            }

            if (name == "none")
            {
                none = true;
            }
            else if (!result.Contains(name))
            {
                result.Add(name);
            }
        }

        return none ? [] : result.Count == 0 ? DefaultPropagators : result;
    }

    /// <summary>
    /// The W3C-baggage-like <c>key1=value1,key2=value2</c> format of <c>OTEL_RESOURCE_ATTRIBUTES</c> and
    /// <c>OTEL_EXPORTER_OTLP_HEADERS</c>, values percent-decoded. As the OTel spec asks, any malformed entry discards
    /// the whole variable.
    /// </summary>
    private static List<KeyValuePair<string, string>> ParseKeyValueList(string variable, string raw, List<TelemetryConfigProblem> problems)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var part in raw.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var key = equals > 0 ? part[..equals].Trim() : "";
            if (key.Length == 0)
            {
                problems.Add(new(variable, $"\"{part}\" is not key=value; the variable is ignored"));
                return [];
            }

            var value = Uri.UnescapeDataString(part[(equals + 1)..].Trim());
            var index = result.FindIndex(pair => pair.Key == key);
            if (index >= 0)
            {
                result[index] = new(key, value);
            }
            else
            {
                result.Add(new(key, value));
            }
        }

        return result;
    }
}
