namespace Telemetry.Configuration;

/// <summary><c>layers</c>: one object per instrumented layer (§2.4–§2.6). Missing means everything enabled (§2.7).</summary>
public sealed record LayersOptions
{
    public static LayersOptions Default { get; } = new();

    /// <summary><c>layers.global</c>; every <c>disable_*</c> false when missing.</summary>
    public GlobalLayerOptions Global { get; init; } = GlobalLayerOptions.Default;

    /// <summary><c>layers.proxy</c>; every <c>disable_*</c> false when missing.</summary>
    public ProxyLayerOptions Proxy { get; init; } = ProxyLayerOptions.Default;

    /// <summary><c>layers.backend</c>; see <see cref="BackendLayerOptions"/> for its present/missing rule.</summary>
    public BackendLayerOptions Backend { get; init; } = BackendLayerOptions.Default;
}

/// <summary><c>layers.global</c> (§2.4): the whole HTTP request, outside the router.</summary>
public sealed record GlobalLayerOptions
{
    /// <summary>The only value of <c>semantic_convention</c> that changes anything.</summary>
    public const string SemanticConvention127 = "1.27";

    public static GlobalLayerOptions Default { get; } = new();

    /// <summary><c>disable_metrics</c>: no <c>http.server.*</c> metrics.</summary>
    public bool DisableMetrics { get; init; }

    /// <summary><c>disable_traces</c>: no global server span.</summary>
    public bool DisableTraces { get; init; }

    /// <summary><c>disable_propagation</c>: incoming trace context is not extracted (injection is unaffected).</summary>
    public bool DisablePropagation { get; init; }

    /// <summary><c>report_headers</c>: request/response headers on the global span (§5.7), secrets redacted.</summary>
    public bool ReportHeaders { get; init; }

    /// <summary><c>skip_headers</c>: header names never reported (case-insensitive).</summary>
    public IReadOnlyList<string> SkipHeaders { get; init; } = [];

    /// <summary>
    /// <c>report_headers_allow_secrets</c> (our addition): names from <see cref="HeaderReportPolicy.SecretHeaders"/>
    /// whose values may be reported in clear. By default every secret header is reported as
    /// <see cref="HeaderReportPolicy.RedactedValue"/>.
    /// </summary>
    public IReadOnlyList<string> ReportHeadersAllowSecrets { get; init; } = [];

    /// <summary><c>metrics_static_attributes</c> (entries with an empty key or value dropped).</summary>
    public IReadOnlyList<TelemetryAttribute> MetricsStaticAttributes { get; init; } = [];

    /// <summary><c>traces_static_attributes</c> (entries with an empty key or value dropped).</summary>
    public IReadOnlyList<TelemetryAttribute> TracesStaticAttributes { get; init; } = [];

    /// <summary>
    /// <c>semantic_convention</c>: <c>"1.27"</c> switches the global and backend-request metric names to OTel HTTP
    /// semconv 1.27; anything else (<c>""</c> by default) keeps KrakenD's legacy names.
    /// </summary>
    public string SemanticConvention { get; init; } = "";

    /// <summary>True when <see cref="SemanticConvention"/> is <c>"1.27"</c>.</summary>
    public bool UsesSemanticConvention127 => SemanticConvention == SemanticConvention127;

    /// <summary>False when metrics, traces and propagation are all disabled: the global wrapper is not installed.</summary>
    public bool IsEnabled => !(DisableMetrics && DisableTraces && DisablePropagation);

    /// <summary>Builds the skip/redact decision for this layer's header reporting.</summary>
    public HeaderReportPolicy CreateHeaderPolicy() => new(SkipHeaders, ReportHeadersAllowSecrets);
}

/// <summary><c>layers.proxy</c> (§2.5), or an endpoint-level <c>proxy</c> override that replaces it (§2.8).</summary>
public sealed record ProxyLayerOptions
{
    public static ProxyLayerOptions Default { get; } = new();

    /// <summary><c>disable_metrics</c>: no <c>krakend.proxy.duration</c>.</summary>
    public bool DisableMetrics { get; init; }

    /// <summary><c>disable_traces</c>: no proxy span.</summary>
    public bool DisableTraces { get; init; }

    /// <summary><c>report_headers</c>: proxy request/response headers on the proxy span, secrets redacted.</summary>
    public bool ReportHeaders { get; init; }

    /// <summary><c>skip_headers</c>: header names never reported (case-insensitive).</summary>
    public IReadOnlyList<string> SkipHeaders { get; init; } = [];

    /// <summary><c>report_headers_allow_secrets</c> (our addition): see <see cref="GlobalLayerOptions.ReportHeadersAllowSecrets"/>.</summary>
    public IReadOnlyList<string> ReportHeadersAllowSecrets { get; init; } = [];

    /// <summary><c>metrics_static_attributes</c>.</summary>
    public IReadOnlyList<TelemetryAttribute> MetricsStaticAttributes { get; init; } = [];

    /// <summary><c>traces_static_attributes</c>.</summary>
    public IReadOnlyList<TelemetryAttribute> TracesStaticAttributes { get; init; } = [];

    /// <summary>False when both metrics and traces are disabled: the middleware is not installed.</summary>
    public bool IsEnabled => !(DisableMetrics && DisableTraces);

    /// <summary>Builds the skip/redact decision for this layer's header reporting.</summary>
    public HeaderReportPolicy CreateHeaderPolicy() => new(SkipHeaders, ReportHeadersAllowSecrets);
}

/// <summary>
/// <c>layers.backend</c> (§2.6), or a backend-level <c>backend</c> override that replaces it (§2.8). A missing
/// <c>metrics</c>/<c>traces</c> object means <see cref="BackendMetricsOptions.Default"/> /
/// <see cref="BackendTracesOptions.Default"/> (everything on); a present one starts from all-false (§2.7).
/// </summary>
public sealed record BackendLayerOptions
{
    public static BackendLayerOptions Default { get; } = new();

    /// <summary><c>metrics</c>.</summary>
    public BackendMetricsOptions Metrics { get; init; } = BackendMetricsOptions.Default;

    /// <summary><c>traces</c>.</summary>
    public BackendTracesOptions Traces { get; init; } = BackendTracesOptions.Default;
}

/// <summary>
/// <c>layers.backend.metrics</c>. <see cref="Default"/> applies when the object is <b>missing</b>
/// (<c>round_trip</c>, <c>read_payload</c>, <c>detailed_connection</c> true); when it is <b>present</b>, every field
/// it leaves out is false, so <c>{}</c> keeps only the stage metric and <c>{"disable_stage": true}</c> turns off every
/// backend metric (§2.7).
/// </summary>
public sealed record BackendMetricsOptions
{
    /// <summary>The values when <c>metrics</c> is missing.</summary>
    public static BackendMetricsOptions Default { get; } = new() { RoundTrip = true, ReadPayload = true, DetailedConnection = true };

    /// <summary>
    /// <c>disable_stage</c>: turns off <c>krakend.backend.duration</c> only; round-trip and read-payload metrics follow
    /// their own flags (§2.6, as KrakenD's code does).
    /// </summary>
    public bool DisableStage { get; init; }

    /// <summary><c>round_trip</c>: HTTP client round-trip metrics.</summary>
    public bool RoundTrip { get; init; }

    /// <summary><c>read_payload</c>: response-body read metrics.</summary>
    public bool ReadPayload { get; init; }

    /// <summary><c>detailed_connection</c>: get-conn/DNS/TLS histograms (and the 1.27 counters).</summary>
    public bool DetailedConnection { get; init; }

    /// <summary><c>static_attributes</c>.</summary>
    public IReadOnlyList<TelemetryAttribute> StaticAttributes { get; init; } = [];
}

/// <summary><c>layers.backend.traces</c>: same present/missing rule as <see cref="BackendMetricsOptions"/>.</summary>
public sealed record BackendTracesOptions
{
    /// <summary>The values when <c>traces</c> is missing.</summary>
    public static BackendTracesOptions Default { get; } = new() { RoundTrip = true, ReadPayload = true, DetailedConnection = true };

    /// <summary><c>disable_stage</c>: turns off the backend-stage span only (§2.6).</summary>
    public bool DisableStage { get; init; }

    /// <summary><c>round_trip</c>: the HTTP client span.</summary>
    public bool RoundTrip { get; init; }

    /// <summary><c>read_payload</c>: the body-read span.</summary>
    public bool ReadPayload { get; init; }

    /// <summary><c>detailed_connection</c>: connection-phase attributes and the <c>first-byte-time</c> event.</summary>
    public bool DetailedConnection { get; init; }

    /// <summary><c>static_attributes</c>.</summary>
    public IReadOnlyList<TelemetryAttribute> StaticAttributes { get; init; } = [];

    /// <summary><c>report_headers</c>: headers on the backend and backend-request spans, secrets redacted.</summary>
    public bool ReportHeaders { get; init; }

    /// <summary><c>skip_headers</c>.</summary>
    public IReadOnlyList<string> SkipHeaders { get; init; } = [];

    /// <summary><c>report_headers_allow_secrets</c> (our addition): see <see cref="GlobalLayerOptions.ReportHeadersAllowSecrets"/>.</summary>
    public IReadOnlyList<string> ReportHeadersAllowSecrets { get; init; } = [];

    /// <summary>Builds the skip/redact decision for this layer's header reporting.</summary>
    public HeaderReportPolicy CreateHeaderPolicy() => new(SkipHeaders, ReportHeadersAllowSecrets);
}

/// <summary>
/// An endpoint's <c>extra_config["telemetry/opentelemetry"]</c> (§2.8): layer keys sit directly under the namespace.
/// Null members mean "not overridden".
/// </summary>
public sealed record EndpointTelemetryOverride
{
    /// <summary><c>proxy</c>: replaces <c>layers.proxy</c> for this endpoint, with no merging.</summary>
    public ProxyLayerOptions? Proxy { get; init; }

    /// <summary><c>global</c>: static attributes added to the global layer for requests reaching this endpoint.</summary>
    public EndpointGlobalOverride? Global { get; init; }

    /// <summary>
    /// <c>backend</c> (KrakenD Enterprise, §7): replaces <c>layers.backend</c> for every backend of this endpoint that
    /// has no backend-level override. KrakenD CE ignores it.
    /// </summary>
    public BackendLayerOptions? Backend { get; init; }
}

/// <summary>The endpoint-level <c>global</c> object: only its static attributes are honoured (§2.8).</summary>
public sealed record EndpointGlobalOverride
{
    public IReadOnlyList<TelemetryAttribute> MetricsStaticAttributes { get; init; } = [];

    public IReadOnlyList<TelemetryAttribute> TracesStaticAttributes { get; init; } = [];
}

/// <summary>A backend's <c>extra_config["telemetry/opentelemetry"]</c> (§2.8): only <c>backend</c> is read.</summary>
public sealed record BackendTelemetryOverride
{
    /// <summary>
    /// <c>backend</c>: replaces <c>layers.backend</c> for this backend, with no merging. A <c>metrics</c> or
    /// <c>traces</c> left out of it takes the "missing object" defaults (all on), not the service-level value; KrakenD
    /// CE does this for <c>metrics</c> and may panic for <c>traces</c> (Q9), where we apply the same rule.
    /// </summary>
    public BackendLayerOptions? Backend { get; init; }
}
