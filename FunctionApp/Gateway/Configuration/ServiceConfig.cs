using System.Text.Json;

namespace FunctionApp.Gateway.Configuration;

// The krakend.json file model, exactly as written by the user (KrakenD v3 keys, snake_case).
// Every value is nullable so the normalising pass in GatewayModelBuilder can tell "unset" from "set to the default".
// These records are immutable; defaults are applied when they are compiled into the runtime model.

/// <summary>The root of a krakend.json file (lura's <c>ServiceConfig</c>).</summary>
public sealed record ServiceConfig
{
    public int? Version { get; init; }
    public string? Name { get; init; }
    public int? Port { get; init; }
    public string? ListenIp { get; init; }
    public string? Timeout { get; init; }
    public string? CacheTtl { get; init; }
    public string[]? Host { get; init; }
    public string? OutputEncoding { get; init; }
    public EndpointConfig[]? Endpoints { get; init; }
    public Dictionary<string, JsonElement>? ExtraConfig { get; init; }
    public bool? DebugEndpoint { get; init; }
    public bool? EchoEndpoint { get; init; }
    public bool? DisableRest { get; init; }

    // HTTP server settings
    public string? ReadTimeout { get; init; }
    public string? WriteTimeout { get; init; }
    public string? IdleTimeout { get; init; }
    public string? ReadHeaderTimeout { get; init; }
    public int? MaxHeaderBytes { get; init; }

    // Settings of the HTTP client shared by every backend
    public string? DialerTimeout { get; init; }
    public string? DialerKeepAlive { get; init; }
    public string? DialerFallbackDelay { get; init; }
    public string? IdleConnectionTimeout { get; init; }
    public string? ResponseHeaderTimeout { get; init; }
    public string? ExpectContinueTimeout { get; init; }
    public int? MaxIdleConnections { get; init; }
    public int? MaxIdleConnectionsPerHost { get; init; }
    public bool? DisableKeepAlives { get; init; }
    public bool? DisableCompression { get; init; }
    public string? MaxShutdownWaitTime { get; init; }

    // Keys we read only to report them as unsupported instead of silently ignoring them.
    public JsonElement? Tls { get; init; }
    public JsonElement? ClientTls { get; init; }
    public bool? UseH2c { get; init; }
    public bool? AllowInsecureConnections { get; init; }
    public JsonElement? Plugin { get; init; }
    public JsonElement? AsyncAgent { get; init; }
}

/// <summary>One entry of <c>endpoints</c> (lura's <c>EndpointConfig</c>).</summary>
public sealed record EndpointConfig
{
    public string? Endpoint { get; init; }
    public string? Method { get; init; }
    public BackendConfig[]? Backend { get; init; }
    public string? Timeout { get; init; }
    public string? CacheTtl { get; init; }
    public int? ConcurrentCalls { get; init; }
    public string[]? InputHeaders { get; init; }
    public string[]? InputQueryStrings { get; init; }
    public string? OutputEncoding { get; init; }
    public Dictionary<string, JsonElement>? ExtraConfig { get; init; }
}

/// <summary>One entry of an endpoint's <c>backend</c> list (lura's <c>Backend</c>).</summary>
public sealed record BackendConfig
{
    public string[]? Host { get; init; }
    public string? UrlPattern { get; init; }
    public string? Method { get; init; }
    public string? Encoding { get; init; }
    public bool? IsCollection { get; init; }
    public string? Group { get; init; }
    public string? Target { get; init; }
    public string[]? Allow { get; init; }
    public string[]? Deny { get; init; }
    public Dictionary<string, string>? Mapping { get; init; }
    public string[]? InputHeaders { get; init; }
    public string[]? InputQueryStrings { get; init; }
    public string? Sd { get; init; }
    public string? SdScheme { get; init; }
    public bool? DisableHostSanitize { get; init; }
    public Dictionary<string, JsonElement>? ExtraConfig { get; init; }
}
