using System.Collections.Frozen;
using FunctionApp.Gateway.Backends;
using FunctionApp.Gateway.Routing;

namespace FunctionApp.Gateway.Configuration;

// The runtime model: a validated, normalised, immutable snapshot compiled from a ServiceConfig.
// Defaults are applied here once (KrakenD's Init pass), so nothing on the request path looks at raw config.

/// <summary>The whole gateway, ready to serve.</summary>
public sealed class GatewayModel
{
    public required string Name { get; init; }
    public required int Port { get; init; }
    public required string? ListenIp { get; init; }
    public required TimeSpan Timeout { get; init; }
    public required bool DebugEndpoint { get; init; }
    public required bool EchoEndpoint { get; init; }
    public required RouterOptions Router { get; init; }
    public required BackendClientOptions Client { get; init; }
    public ServerOptions Server { get; init; } = new();
    public required IReadOnlyList<EndpointModel> Endpoints { get; init; }

    /// <summary>Namespaces and keys that were read but are not supported (logged once at start-up).</summary>
    public required IReadOnlyList<ConfigProblem> Unsupported { get; init; }

    /// <summary>The service-level <c>telemetry/opentelemetry</c> namespace; null when the config has none (nothing is instrumented).</summary>
    public Telemetry.Configuration.TelemetryOptions? Telemetry { get; init; }
}

/// <summary>Options of the <c>router</c> namespace that the gateway honours.</summary>
public sealed record RouterOptions
{
    public bool ReturnErrorMessage { get; init; }
    public bool HideVersionHeader { get; init; }
    public string HealthPath { get; init; } = "/__health";
    public bool DisableHealth { get; init; }
    public bool DisableRedirectTrailingSlash { get; init; }
    public bool DisableRedirectFixedPath { get; init; }
    public bool DisableHandleMethodNotAllowed { get; init; }
    public bool DisablePathDecoding { get; init; }
    public bool AutoOptions { get; init; }

    /// <summary>
    /// The KrakenD version the gateway reports in <c>X-Krakend</c>, <c>User-Agent</c> and <c>X-Forwarded-Via</c>
    /// (the <c>GATEWAY_KRAKEND_VERSION</c> setting; default <see cref="GatewayVersion.KrakenDCompatible"/>).
    /// </summary>
    public string Version { get; init; } = GatewayVersion.KrakenDCompatible;

    /// <summary>The <c>X-Krakend</c> header value.</summary>
    public string VersionHeader => HideVersionHeader ? "Version undefined" : "Version " + Version;

    /// <summary>The <c>User-Agent</c> (or <c>X-Forwarded-Via</c>) sent to backends.</summary>
    public string UserAgent => "KrakenD Version " + Version;
}

/// <summary>The HTTP server settings (Go's http.Server timeouts, mapped onto Kestrel's limits).</summary>
public sealed record ServerOptions
{
    /// <summary>Time to read a whole request; Kestrel has no direct equivalent, so it bounds reading the headers.</summary>
    public TimeSpan? ReadTimeout { get; init; }

    /// <summary>Accepted for compatibility; responses stream, so no whole-response write deadline is applied.</summary>
    public TimeSpan? WriteTimeout { get; init; }

    /// <summary>How long an idle keep-alive connection stays open.</summary>
    public TimeSpan? IdleTimeout { get; init; }

    public TimeSpan? ReadHeaderTimeout { get; init; }

    public int? MaxHeaderBytes { get; init; }
}

/// <summary>Settings of the one HTTP client shared by every backend.</summary>
public sealed record BackendClientOptions
{
    public TimeSpan? ConnectTimeout { get; init; }
    public TimeSpan? KeepAlive { get; init; }
    public TimeSpan? IdleConnectionTimeout { get; init; }
    public TimeSpan? ResponseHeaderTimeout { get; init; }
    public TimeSpan? ExpectContinueTimeout { get; init; }
    public bool DisableKeepAlives { get; init; }
}

/// <summary>One endpoint + method, with its backends.</summary>
public sealed class EndpointModel
{
    public required EndpointTemplate Template { get; init; }
    public required string Method { get; init; }
    public required TimeSpan Timeout { get; init; }
    public required TimeSpan CacheTtl { get; init; }
    public required string OutputEncoding { get; init; }
    public required ForwardingList InputHeaders { get; init; }
    public required ForwardingList InputQueryStrings { get; init; }
    public required IReadOnlyList<BackendModel> Backends { get; init; }

    /// <summary><c>concurrent_calls</c>: identical calls sent to each backend, the first good answer wins.</summary>
    public int ConcurrentCalls { get; init; } = 1;

    /// <summary><c>proxy.sequential</c>: backends are called in order and may use earlier responses.</summary>
    public bool Sequential { get; init; }

    /// <summary><c>proxy.static</c>, or null.</summary>
    public StaticResponseOptions? Static { get; init; }

    /// <summary><c>proxy.flatmap_filter</c> applied to the merged response (two or more backends only).</summary>
    public IReadOnlyList<FunctionApp.Gateway.Proxy.FlatmapOperation>? Flatmap { get; init; }

    /// <summary>Where this endpoint sits in the config, e.g. <c>endpoints[3]</c>.</summary>
    public required string ConfigPath { get; init; }

    /// <summary>The endpoint's <c>telemetry/opentelemetry</c> overrides (reference §2.8), if any.</summary>
    public Telemetry.Configuration.EndpointTelemetryOverride? Telemetry { get; init; }

    public override string ToString() => $"{Method} {Template}";
}

/// <summary>One backend of an endpoint.</summary>
public sealed class BackendModel
{
    public required IReadOnlyList<string> Hosts { get; init; }
    public required UrlPattern UrlPattern { get; init; }
    public required string Method { get; init; }
    public required string Encoding { get; init; }
    public required TimeSpan Timeout { get; init; }
    public required string ConfigPath { get; init; }
    public bool IsCollection { get; init; }

    /// <summary>target / allow / deny / mapping / group / flatmap, compiled; null when there is nothing to do.</summary>
    public FunctionApp.Gateway.Proxy.EntityFormatter? Formatter { get; init; }

    /// <summary>Backend-level <c>input_headers</c>, a second filter after the endpoint's; null when not set.</summary>
    public ForwardingList? InputHeaders { get; init; }

    /// <summary>Backend-level <c>input_query_strings</c>; null when not set.</summary>
    public ForwardingList? InputQueryStrings { get; init; }

    public BackendErrorOptions Errors { get; init; } = new(false, null);

    /// <summary><c>backend/http/client.send_body_on_redirect</c>.</summary>
    public bool SendBodyOnRedirect { get; init; }

    public CircuitBreakerOptions? CircuitBreaker { get; init; }

    /// <summary><c>proxy.shadow</c>: the backend is called but its response is never used.</summary>
    public bool Shadow { get; init; }

    /// <summary>The backend's <c>telemetry/opentelemetry</c> override (reference §2.8), if any.</summary>
    public Telemetry.Configuration.BackendTelemetryOverride? Telemetry { get; init; }

    /// <summary>Position in the endpoint's backend list (sequential placeholders refer to it).</summary>
    public int Index { get; init; }
}

/// <summary>An allow-list of header or query-string names: all of them (<c>["*"]</c>) or a fixed set.</summary>
public sealed class ForwardingList
{
    private ForwardingList(bool all, FrozenSet<string> names)
    {
        All = all;
        Names = names;
    }

    public bool All { get; }

    public FrozenSet<string> Names { get; }

    public bool IsEmpty => !All && Names.Count == 0;

    public static ForwardingList Create(string[]? names, StringComparer comparer, params string[] defaults)
    {
        var source = names is null || names.Length == 0 ? defaults : names;
        return Array.IndexOf(source, "*") >= 0
            ? new ForwardingList(true, FrozenSet<string>.Empty)
            : new ForwardingList(false, source.Where(n => n.Length > 0).ToFrozenSet(comparer));
    }

    public bool Allows(string name) => All || Names.Contains(name);
}
