namespace Telemetry.Configuration;

/// <summary>
/// The service-level <c>extra_config["telemetry/opentelemetry"]</c> (reference §2.1), with every default of §2.7
/// applied. Built by <see cref="TelemetryOptionsParser.Parse"/>; per-endpoint and per-backend overrides are merged
/// onto it with the <c>Resolve…</c> methods (§2.8).
/// </summary>
public sealed record TelemetryOptions
{
    /// <summary>Last fallback for <c>service.name</c> (§2.1, §2.7).</summary>
    public const string DefaultServiceName = "KrakenD";

    /// <summary>Export interval of the OTLP periodic metric readers when <c>metric_reporting_period</c> is missing.</summary>
    public static readonly TimeSpan DefaultMetricReportingPeriod = TimeSpan.FromSeconds(30);

    /// <summary><c>trace_sample_rate</c> when missing: sample everything.</summary>
    public const double DefaultTraceSampleRate = 1.0;

    /// <summary>
    /// <c>service_name</c> as configured; null when missing or empty. The fallbacks (the environment, the config's
    /// root <c>name</c>, then <see cref="DefaultServiceName"/>) are applied by <see cref="ResolveResource"/>.
    /// </summary>
    public string? ServiceName { get; init; }

    /// <summary>
    /// <c>service_version</c> as configured; null when missing or empty (then the environment, then the gateway's
    /// version: see <see cref="ResolveResource"/>).
    /// </summary>
    public string? ServiceVersion { get; init; }

    /// <summary><c>deploy_env</c>; empty means no <c>deployment.environment</c> resource attribute.</summary>
    public string DeployEnv { get; init; } = "";

    /// <summary><c>metric_reporting_period</c> (whole seconds in the config, greater than zero). Default 30 s.</summary>
    public TimeSpan MetricReportingPeriod { get; init; } = DefaultMetricReportingPeriod;

    /// <summary><c>trace_sample_rate</c>, between 0 and 1. Default 1. See <see cref="TraceSampling"/>.</summary>
    public double TraceSampleRate { get; init; } = DefaultTraceSampleRate;

    /// <summary>
    /// The sampler <see cref="TraceSampleRate"/> selects (§5.10). Unlike KrakenD CE, a rate of 0 samples nothing, as the
    /// docs say (§2.10, Q2); 1 samples everything and, as in KrakenD, ignores an incoming "not sampled" flag.
    /// </summary>
    public TraceSampling TraceSampling => TraceSampleRate switch
    {
        <= 0 => TraceSampling.AlwaysOff,
        >= 1 => TraceSampling.AlwaysOn,
        _ => TraceSampling.ParentBasedTraceIdRatio,
    };

    /// <summary><c>skip_paths</c>; the four KrakenD defaults when missing or empty (§2.7).</summary>
    public SkipPaths SkipPaths { get; init; } = SkipPaths.Default;

    /// <summary><c>exporters</c>: OTLP, Prometheus and (our addition) Azure Monitor.</summary>
    public ExportersOptions Exporters { get; init; } = ExportersOptions.Empty;

    /// <summary><c>layers</c>: everything enabled when missing (§2.7).</summary>
    public LayersOptions Layers { get; init; } = LayersOptions.Default;

    /// <summary><c>histograms</c> (schema v2.8+; ignored by KrakenD CE, honoured here: §2.10).</summary>
    public HistogramOptions Histograms { get; init; } = HistogramOptions.Default;

    /// <summary>Shortcut for <c>layers.global.semantic_convention</c>, which also drives the backend-request metric names.</summary>
    public string SemanticConvention => Layers.Global.SemanticConvention;

    /// <summary>
    /// The proxy layer for one endpoint (§2.8): an endpoint-level <c>proxy</c> object <b>replaces</b> the service-level
    /// <c>layers.proxy</c> as a whole; fields it leaves out are false/empty, never inherited.
    /// </summary>
    public ProxyLayerOptions ResolveProxy(EndpointTelemetryOverride? endpoint) => endpoint?.Proxy ?? Layers.Proxy;

    /// <summary>
    /// The global layer as seen by requests that reached one endpoint (§2.8): the endpoint-level
    /// <c>global.metrics_static_attributes</c> / <c>traces_static_attributes</c> are <b>added</b> to the service-level
    /// ones, the endpoint's value winning on a key collision. Every other global field stays service-level.
    /// </summary>
    public GlobalLayerOptions ResolveGlobal(EndpointTelemetryOverride? endpoint)
    {
        var global = Layers.Global;
        if (endpoint?.Global is not { } extra)
        {
            return global;
        }

        return global with
        {
            MetricsStaticAttributes = TelemetryAttribute.Merge(global.MetricsStaticAttributes, extra.MetricsStaticAttributes),
            TracesStaticAttributes = TelemetryAttribute.Merge(global.TracesStaticAttributes, extra.TracesStaticAttributes),
        };
    }

    /// <summary>
    /// The backend layer for one backend (§2.8): a backend-level <c>backend</c> object <b>replaces</b> everything above
    /// it; otherwise an endpoint-level <c>backend</c> object (KrakenD Enterprise, §7) replaces the service level;
    /// otherwise the service-level <c>layers.backend</c> applies. Nothing is merged between levels.
    /// </summary>
    public BackendLayerOptions ResolveBackend(EndpointTelemetryOverride? endpoint, BackendTelemetryOverride? backend) =>
        backend?.Backend ?? endpoint?.Backend ?? Layers.Backend;

    /// <summary>
    /// The OTel resource (§3) with the precedence: a value written in this namespace wins over the environment; the
    /// environment (<c>OTEL_SERVICE_NAME</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c>) wins over the built-in fallbacks
    /// (<paramref name="configName"/>, i.e. the config's root <c>name</c>, then <see cref="DefaultServiceName"/> for
    /// <c>service.name</c>; <paramref name="gatewayVersion"/> for <c>service.version</c>). Other
    /// <c>OTEL_RESOURCE_ATTRIBUTES</c> keys are added.
    /// </summary>
    public TelemetryResource ResolveResource(TelemetryEnvironment environment, string? configName, string gatewayVersion)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var envAttributes = environment.ResourceAttributes;
        string? FromEnv(string key)
        {
            foreach (var attribute in envAttributes)
            {
                if (attribute.Key == key && attribute.Value.Length > 0)
                {
                    return attribute.Value;
                }
            }

            return null;
        }

        var serviceName = ServiceName
            ?? environment.ServiceName
            ?? FromEnv(TelemetryResource.ServiceNameKey)
            ?? (string.IsNullOrEmpty(configName) ? null : configName)
            ?? DefaultServiceName;
        var serviceVersion = ServiceVersion ?? FromEnv(TelemetryResource.ServiceVersionKey) ?? gatewayVersion;
        var deployment = DeployEnv.Length > 0 ? DeployEnv : FromEnv(TelemetryResource.DeploymentEnvironmentKey);

        var attributes = new List<KeyValuePair<string, string>>
        {
            new(TelemetryResource.ServiceNameKey, serviceName),
            new(TelemetryResource.ServiceVersionKey, serviceVersion),
        };
        if (deployment is not null)
        {
            attributes.Add(new(TelemetryResource.DeploymentEnvironmentKey, deployment));
        }

        foreach (var attribute in envAttributes)
        {
            if (attribute.Key is not (TelemetryResource.ServiceNameKey or TelemetryResource.ServiceVersionKey or TelemetryResource.DeploymentEnvironmentKey))
            {
                attributes.Add(attribute);
            }
        }

        return new TelemetryResource(serviceName, serviceVersion, deployment, attributes);
    }
}

/// <summary>The sampler selected by <c>trace_sample_rate</c> (§5.10).</summary>
public enum TraceSampling
{
    /// <summary>Rate 0: nothing is sampled (the docs' meaning; KrakenD CE samples everything here, Q2).</summary>
    AlwaysOff,

    /// <summary>0 &lt; rate &lt; 1: ParentBased(TraceIdRatioBased(rate)).</summary>
    ParentBasedTraceIdRatio,

    /// <summary>Rate 1 (the default): everything, ignoring an incoming "not sampled" flag as KrakenD does.</summary>
    AlwaysOn,
}

/// <summary>The resolved OTel resource: <c>service.name</c>, <c>service.version</c>, optional <c>deployment.environment</c>, plus environment extras.</summary>
public sealed record TelemetryResource(string ServiceName, string ServiceVersion, string? DeploymentEnvironment, IReadOnlyList<KeyValuePair<string, string>> Attributes)
{
    public const string ServiceNameKey = "service.name";
    public const string ServiceVersionKey = "service.version";
    public const string DeploymentEnvironmentKey = "deployment.environment";

    /// <summary>The schema URL KrakenD puts on its resource (§3).</summary>
    public const string SchemaUrl = "https://opentelemetry.io/schemas/1.21.0";
}

/// <summary>One <c>{"key": …, "value": …}</c> static attribute (§2.9). Always a string attribute.</summary>
public sealed record TelemetryAttribute(string Key, string Value)
{
    /// <summary>
    /// Concatenates two lists where, on a key collision, the later value wins (kept at the first key's position):
    /// Go's <c>attribute.NewSet</c> keeps the last value too (§2.9).
    /// </summary>
    public static IReadOnlyList<TelemetryAttribute> Merge(IReadOnlyList<TelemetryAttribute> first, IReadOnlyList<TelemetryAttribute> second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (second.Count == 0)
        {
            return first;
        }

        if (first.Count == 0)
        {
            return second;
        }

        var result = new List<TelemetryAttribute>(first.Count + second.Count);
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var list in (ReadOnlySpan<IReadOnlyList<TelemetryAttribute>>)[first, second])
        {
            foreach (var attribute in list)
            {
                if (positions.TryGetValue(attribute.Key, out var index))
                {
                    result[index] = attribute;
                }
                else
                {
                    positions.Add(attribute.Key, result.Count);
                    result.Add(attribute);
                }
            }
        }

        return result;
    }
}

/// <summary><c>histograms</c>: bucket boundaries for every time (seconds) and size (bytes) histogram (§4.1).</summary>
public sealed record HistogramOptions(IReadOnlyList<double> TimeBuckets, IReadOnlyList<double> SizeBuckets)
{
    /// <summary>KrakenD's hard-coded time buckets in seconds (20 boundaries).</summary>
    public static IReadOnlyList<double> DefaultTimeBuckets { get; } =
        [0.010, 0.020, 0.050, 0.075, 0.100, 0.125, 0.150, 0.175, 0.200, 0.250, 0.300, 0.350, 0.500, 0.750, 1.0, 1.5, 2.0, 3.5, 5.0, 10.0];

    /// <summary>KrakenD's hard-coded size buckets in bytes (15 boundaries).</summary>
    public static IReadOnlyList<double> DefaultSizeBuckets { get; } =
        [128, 256, 512, 1024, 4096, 8192, 16384, 32768, 65536, 262144, 524288, 1048576, 4194304, 16777216, 67108864];

    public static HistogramOptions Default { get; } = new(DefaultTimeBuckets, DefaultSizeBuckets);
}
