using System.Net;
using System.Text.Json;
using FunctionApp.Gateway.Backends;
using FunctionApp.Gateway.Routing;

namespace FunctionApp.Gateway.Configuration;

/// <summary>
/// Validates a <see cref="ServiceConfig"/> and compiles it into a <see cref="GatewayModel"/> in one normalising pass
/// (KrakenD's <c>Init</c>): defaults are inherited service → endpoint → backend, and every problem is collected with
/// its JSON path instead of stopping at the first one.
/// </summary>
public sealed class GatewayModelBuilder
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);
    public const int DefaultPort = 8080;

    private static readonly string[] AllowedMethods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    private static readonly string[] ReservedPaths = ["/__health", "/__debug", "/__echo"];
    private static readonly string[] OutputEncodings = ["json", "no-op"];
    private static readonly string[] KnownOutputEncodings = ["json", "json-collection", "string", "negotiate", "yaml", "xml", "fast-json", "no-op"];
    private static readonly string[] BackendEncodings = ["json", "no-op"];
    private static readonly string[] KnownBackendEncodings = ["json", "safejson", "string", "xml", "rss", "no-op"];

    private readonly List<ConfigProblem> _errors = [];
    private readonly List<ConfigProblem> _unsupported = [];

    private GatewayModelBuilder()
    {
    }

    /// <summary>Compiles the config. Returns null and fills <paramref name="errors"/> when it is invalid.</summary>
    public static GatewayModel? Build(ServiceConfig config, out IReadOnlyList<ConfigProblem> errors)
    {
        var builder = new GatewayModelBuilder();
        var model = builder.BuildService(config);
        errors = builder._errors;
        return builder._errors.Count == 0 ? model : null;
    }

    private void Error(string path, string message) => _errors.Add(new ConfigProblem(path, message));

    private void Unsupported(string path, string message) => _unsupported.Add(new ConfigProblem(path, message));

    private GatewayModel BuildService(ServiceConfig config)
    {
        if (config.Version is null)
        {
            Error("version", "is required and must be 3");
        }
        else if (config.Version != 3)
        {
            Error("version", $"unsupported version: {config.Version} (want: 3)");
        }

        var port = config.Port is null or 0 ? DefaultPort : config.Port.Value;
        if (port is < 0 or > 65535)
        {
            Error("port", $"{port} is not a valid port (0-65535)");
        }

        if (!string.IsNullOrEmpty(config.ListenIp) && !IPAddress.TryParse(config.ListenIp, out _))
        {
            Error("listen_ip", $"\"{config.ListenIp}\" is not an IP address");
        }

        var timeout = Duration("timeout", config.Timeout, DefaultTimeout, positive: true);
        var cacheTtl = Duration("cache_ttl", config.CacheTtl, TimeSpan.Zero, positive: false);
        var serviceHosts = Hosts("host", config.Host, inherited: null, disableSanitize: false);
        var outputEncoding = string.IsNullOrEmpty(config.OutputEncoding) ? "json" : config.OutputEncoding;
        CheckOutputEncoding("output_encoding", outputEncoding);

        Duration("read_timeout", config.ReadTimeout, TimeSpan.Zero, positive: false);
        Duration("write_timeout", config.WriteTimeout, TimeSpan.Zero, positive: false);
        Duration("idle_timeout", config.IdleTimeout, TimeSpan.Zero, positive: false);
        Duration("read_header_timeout", config.ReadHeaderTimeout, TimeSpan.Zero, positive: false);
        Duration("max_shutdown_wait_time", config.MaxShutdownWaitTime, TimeSpan.Zero, positive: false);
        Duration("dialer_fallback_delay", config.DialerFallbackDelay, TimeSpan.Zero, positive: false);
        var client = new BackendClientOptions
        {
            ConnectTimeout = OptionalDuration("dialer_timeout", config.DialerTimeout),
            KeepAlive = OptionalDuration("dialer_keep_alive", config.DialerKeepAlive),
            IdleConnectionTimeout = OptionalDuration("idle_connection_timeout", config.IdleConnectionTimeout),
            ResponseHeaderTimeout = OptionalDuration("response_header_timeout", config.ResponseHeaderTimeout),
            ExpectContinueTimeout = OptionalDuration("expect_continue_timeout", config.ExpectContinueTimeout),
            // Go's max_idle_connections_per_host only bounds *idle* connections; .NET's MaxConnectionsPerServer would
            // throttle concurrent calls, so the setting is accepted and left to the pool's defaults.
            DisableKeepAlives = config.DisableKeepAlives ?? false,
        };

        if (config.Tls is not null)
        {
            Error("tls", "TLS termination is not supported: in Azure Functions the platform terminates TLS; run behind a TLS proxy when standalone");
        }

        if (config.ClientTls is not null)
        {
            Unsupported("client_tls", "not supported; the system trust store is used for https backends");
        }

        if (config.UseH2c == true)
        {
            Unsupported("use_h2c", "not supported; backends are called over HTTP/1.1 (or HTTP/2 over TLS)");
        }

        if (config.AllowInsecureConnections == true)
        {
            Error("allow_insecure_connections", "is not supported: backend certificates are always validated");
        }

        if (config.Plugin is not null)
        {
            Error("plugin", "Go plugins are not supported");
        }

        if (config.AsyncAgent is not null)
        {
            Error("async_agent", "async agents are not supported");
        }

        if (config.DisableRest == true)
        {
            Unsupported("disable_rest", "is ignored: parameters must be whole path segments");
        }

        var router = RouterOptionsFrom(config.ExtraConfig);
        ReportUnknownNamespaces("extra_config", config.ExtraConfig, Namespaces.Router, Namespaces.RouterLong);

        var endpoints = new List<EndpointModel>();
        if (config.Endpoints is null || config.Endpoints.Length == 0)
        {
            // KrakenD starts with no endpoints; so do we, but `check` says so.
            if (config.Endpoints is null)
            {
                Unsupported("endpoints", "no endpoints are defined");
            }
        }
        else
        {
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < config.Endpoints.Length; i++)
            {
                var path = $"endpoints[{i}]";
                var endpoint = config.Endpoints[i];
                if (endpoint is null)
                {
                    Error(path, "must be an object");
                    continue;
                }

                var model = BuildEndpoint(path, endpoint, timeout, cacheTtl, serviceHosts, outputEncoding, router);
                if (model is null)
                {
                    continue;
                }

                // Parameters match by position, so /users/{id} and /users/{name} are the same route.
                var key = model.Method + " " + string.Join('/', model.Template.Segments.Select(segment => segment.IsParameter ? "{}" : segment.Value));
                if (seen.TryGetValue(key, out var first))
                {
                    Error(path, $"duplicate endpoint {model.Method} {model.Template.Text} (already defined at endpoints[{first}])");
                    continue;
                }

                seen[key] = i;
                endpoints.Add(model);
            }
        }

        return new GatewayModel
        {
            Name = config.Name ?? string.Empty,
            Port = port,
            ListenIp = string.IsNullOrEmpty(config.ListenIp) ? null : config.ListenIp,
            Timeout = timeout,
            DebugEndpoint = config.DebugEndpoint ?? false,
            EchoEndpoint = config.EchoEndpoint ?? false,
            Router = router,
            Client = client,
            Endpoints = endpoints,
            Unsupported = _unsupported,
        };
    }

    private EndpointModel? BuildEndpoint(string path, EndpointConfig endpoint, TimeSpan serviceTimeout, TimeSpan serviceCacheTtl, IReadOnlyList<string>? serviceHosts, string serviceOutputEncoding, RouterOptions router)
    {
        var errorsBefore = _errors.Count;
        EndpointTemplate? template = null;
        if (string.IsNullOrEmpty(endpoint.Endpoint))
        {
            Error(path + ".endpoint", "is required");
        }
        else
        {
            var text = endpoint.Endpoint;
            var isReserved = false;
            foreach (var reserved in ReservedPaths)
            {
                // KrakenD's /__(debug|echo|health)(/.*)?$ is not anchored at the start: /api/__debug is refused too.
                if (text.EndsWith(reserved, StringComparison.Ordinal) || text.Contains(reserved + "/", StringComparison.Ordinal))
                {
                    Error(path + ".endpoint", $"\"{text}\" uses the reserved path {reserved}");
                    isReserved = true;
                }
            }

            if (!isReserved && !router.DisableHealth && text.Equals(router.HealthPath, StringComparison.Ordinal))
            {
                Error(path + ".endpoint", $"\"{text}\" collides with the health endpoint (router.health_path)");
            }

            var problems = new List<string>();
            template = EndpointTemplate.TryParse(text, problems);
            foreach (var problem in problems)
            {
                Error(path + ".endpoint", problem);
            }
        }

        var method = (string.IsNullOrEmpty(endpoint.Method) ? "GET" : endpoint.Method).ToUpperInvariant();
        if (Array.IndexOf(AllowedMethods, method) < 0)
        {
            Error(path + ".method", $"\"{endpoint.Method}\" is not supported (use GET, POST, PUT, PATCH or DELETE)");
        }

        var timeout = Duration(path + ".timeout", endpoint.Timeout, serviceTimeout, positive: true);
        var cacheTtl = Duration(path + ".cache_ttl", endpoint.CacheTtl, serviceCacheTtl, positive: false);
        var outputEncoding = string.IsNullOrEmpty(endpoint.OutputEncoding) ? serviceOutputEncoding : endpoint.OutputEncoding;
        CheckOutputEncoding(path + ".output_encoding", outputEncoding);

        if (endpoint.ConcurrentCalls is < 0)
        {
            Error(path + ".concurrent_calls", "must not be negative");
        }
        else if (endpoint.ConcurrentCalls is > 1)
        {
            Error(path + ".concurrent_calls", "values above 1 are not supported yet");
        }

        CheckEndpointExtraConfig(path + ".extra_config", endpoint.ExtraConfig);

        var backends = new List<BackendModel>();
        if (endpoint.Backend is null || endpoint.Backend.Length == 0)
        {
            Error(path + ".backend", "at least one backend is required");
        }
        else
        {
            if (endpoint.Backend.Length > 1)
            {
                if (outputEncoding == "no-op")
                {
                    Error(path + ".backend", $"the no-op output encoding takes exactly one backend, not {endpoint.Backend.Length}");
                }
                else
                {
                    Error(path + ".backend", $"merging {endpoint.Backend.Length} backends is not supported yet (one backend per endpoint)");
                }
            }

            for (var i = 0; i < endpoint.Backend.Length; i++)
            {
                var backendPath = $"{path}.backend[{i}]";
                if (endpoint.Backend[i] is not { } backend)
                {
                    Error(backendPath, "must be an object");
                    continue;
                }

                var model = BuildBackend(backendPath, backend, method, timeout, serviceHosts, outputEncoding, template);
                if (model is not null)
                {
                    backends.Add(model);
                }
            }
        }

        if (_errors.Count > errorsBefore || template is null)
        {
            return null;
        }

        return new EndpointModel
        {
            Template = template,
            Method = method,
            Timeout = timeout,
            CacheTtl = cacheTtl,
            OutputEncoding = outputEncoding,
            InputHeaders = ForwardingList.Create(endpoint.InputHeaders, StringComparer.OrdinalIgnoreCase, "Content-Type"),
            InputQueryStrings = ForwardingList.Create(endpoint.InputQueryStrings, StringComparer.Ordinal),
            Backends = backends,
            ConfigPath = path,
        };
    }

    private BackendModel? BuildBackend(string path, BackendConfig backend, string endpointMethod, TimeSpan timeout, IReadOnlyList<string>? serviceHosts, string outputEncoding, EndpointTemplate? template)
    {
        var errorsBefore = _errors.Count;
        var hosts = Hosts(path + ".host", backend.Host, serviceHosts, backend.DisableHostSanitize ?? false);
        if ((hosts is null || hosts.Count == 0) && (backend.Host is null || backend.Host.Length == 0))
        {
            Error(path + ".host", "no host: set the backend's host or the service-level host list");
        }

        if (backend.Sd is not null && backend.Sd != "static")
        {
            Error(path + ".sd", $"service discovery \"{backend.Sd}\" is not supported (only static)");
        }

        // An inherited method was already checked on the endpoint.
        var method = (string.IsNullOrEmpty(backend.Method) ? endpointMethod : backend.Method).ToUpperInvariant();
        if (!string.IsNullOrEmpty(backend.Method) && method is not ("GET" or "POST" or "PUT" or "PATCH" or "DELETE" or "HEAD" or "OPTIONS"))
        {
            Error(path + ".method", $"\"{backend.Method}\" is not a supported HTTP method");
        }

        // KrakenD forces the backend encoding to no-op when the endpoint's output is no-op.
        var encoding = outputEncoding == "no-op" ? "no-op" : string.IsNullOrEmpty(backend.Encoding) ? "json" : backend.Encoding;
        if (Array.IndexOf(BackendEncodings, encoding) < 0)
        {
            Error(path + ".encoding", Array.IndexOf(KnownBackendEncodings, encoding) >= 0
                ? $"\"{encoding}\" is not supported yet (json, no-op)"
                : $"unknown encoding \"{encoding}\" (json, safejson, string, no-op)");
        }

        if (backend.IsCollection == true)
        {
            Error(path + ".is_collection", "is not supported yet");
        }

        NotYet(path + ".group", backend.Group);
        NotYet(path + ".target", backend.Target);
        NotYet(path + ".allow", backend.Allow);
        NotYet(path + ".deny", backend.Deny);
        if (backend.Mapping is { Count: > 0 })
        {
            Error(path + ".mapping", "is not supported yet");
        }

        NotYet(path + ".input_headers", backend.InputHeaders);
        NotYet(path + ".input_query_strings", backend.InputQueryStrings);
        CheckBackendExtraConfig(path + ".extra_config", backend.ExtraConfig);

        UrlPattern? pattern = null;
        if (backend.UrlPattern is null)
        {
            Error(path + ".url_pattern", "is required");
        }
        else if (template is not null)
        {
            var problems = new List<string>();
            pattern = UrlPattern.TryCompile(backend.UrlPattern, template.ParameterNames, template.Text, problems);
            foreach (var problem in problems)
            {
                Error(path + ".url_pattern", problem);
            }
        }

        if (_errors.Count > errorsBefore || pattern is null || hosts is null)
        {
            return null;
        }

        return new BackendModel
        {
            Hosts = hosts,
            UrlPattern = pattern,
            Method = method,
            Encoding = encoding,
            Timeout = timeout,
            ConfigPath = path,
        };
    }

    private void NotYet(string path, object? value)
    {
        var present = value switch
        {
            null => false,
            string s => s.Length > 0,
            string[] a => a.Length > 0,
            _ => true,
        };
        if (present)
        {
            Error(path, "is not supported yet");
        }
    }

    private void CheckOutputEncoding(string path, string encoding)
    {
        if (Array.IndexOf(OutputEncodings, encoding) < 0)
        {
            Error(path, Array.IndexOf(KnownOutputEncodings, encoding) >= 0
                ? $"\"{encoding}\" is not supported yet (json, no-op)"
                : $"unknown output encoding \"{encoding}\"");
        }
    }

    private void CheckEndpointExtraConfig(string path, Dictionary<string, JsonElement>? extraConfig)
    {
        if (Namespaces.TryGet(extraConfig, Namespaces.Proxy, Namespaces.ProxyLong, out var proxy, out var name))
        {
            if (proxy.ValueKind != JsonValueKind.Object)
            {
                Error($"{path}.{name}", "must be an object");
            }
            else
            {
                foreach (var property in proxy.EnumerateObject())
                {
                    if (!IsIgnoredKey(property.Name))
                    {
                        Error($"{path}.{name}.{property.Name}", "is not supported yet");
                    }
                }
            }
        }

        ReportUnknownNamespaces(path, extraConfig, Namespaces.Proxy, Namespaces.ProxyLong);
    }

    private void CheckBackendExtraConfig(string path, Dictionary<string, JsonElement>? extraConfig)
    {
        foreach (var (shortName, longName) in new[] { (Namespaces.Proxy, Namespaces.ProxyLong), (Namespaces.BackendHttp, Namespaces.BackendHttpLong), (Namespaces.BackendHttpClient, Namespaces.BackendHttpClient) })
        {
            if (Namespaces.TryGet(extraConfig, shortName, longName, out var value, out var name) && value.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in value.EnumerateObject())
                {
                    if (!IsIgnoredKey(property.Name))
                    {
                        Error($"{path}.{name}.{property.Name}", "is not supported yet");
                    }
                }
            }
        }

        ReportUnknownNamespaces(path, extraConfig, Namespaces.Proxy, Namespaces.ProxyLong, Namespaces.BackendHttp, Namespaces.BackendHttpLong, Namespaces.BackendHttpClient);
    }

    private void ReportUnknownNamespaces(string path, Dictionary<string, JsonElement>? extraConfig, params string[] known)
    {
        if (extraConfig is null)
        {
            return;
        }

        foreach (var key in extraConfig.Keys)
        {
            if (!IsIgnoredKey(key) && Array.IndexOf(known, key) < 0)
            {
                Unsupported($"{path}.{key}", "namespace not supported; ignored");
            }
        }
    }

    private RouterOptions RouterOptionsFrom(Dictionary<string, JsonElement>? extraConfig)
    {
        var options = new RouterOptions();
        if (!Namespaces.TryGet(extraConfig, Namespaces.Router, Namespaces.RouterLong, out var router, out var name))
        {
            return options;
        }

        var path = "extra_config." + name;
        if (router.ValueKind != JsonValueKind.Object)
        {
            Error(path, "must be an object");
            return options;
        }

        foreach (var property in router.EnumerateObject())
        {
            var propertyPath = $"{path}.{property.Name}";
            switch (property.Name)
            {
                case "return_error_msg":
                    options = options with { ReturnErrorMessage = Bool(propertyPath, property.Value) };
                    break;
                case "hide_version_header":
                    options = options with { HideVersionHeader = Bool(propertyPath, property.Value) };
                    break;
                case "disable_health":
                    options = options with { DisableHealth = Bool(propertyPath, property.Value) };
                    break;
                case "health_path":
                    if (property.Value.ValueKind != JsonValueKind.String || property.Value.GetString() is not { Length: > 0 } healthPath || healthPath[0] != '/')
                    {
                        Error(propertyPath, "must be a path starting with /");
                    }
                    else
                    {
                        options = options with { HealthPath = healthPath };
                    }

                    break;
                default:
                    if (!IsIgnoredKey(property.Name))
                    {
                        Unsupported(propertyPath, "router option not supported; ignored");
                    }

                    break;
            }
        }

        return options;
    }

    private bool Bool(string path, JsonElement value)
    {
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        Error(path, "must be true or false");
        return false;
    }

    private IReadOnlyList<string>? Hosts(string path, string[]? hosts, IReadOnlyList<string>? inherited, bool disableSanitize)
    {
        if (hosts is null || hosts.Length == 0)
        {
            return inherited;
        }

        var result = new List<string>(hosts.Length);
        for (var i = 0; i < hosts.Length; i++)
        {
            if (!HostAddress.TryParse(hosts[i], disableSanitize, out var baseUrl, out var error))
            {
                Error($"{path}[{i}]", error!);
                continue;
            }

            result.Add(baseUrl);
        }

        return result;
    }

    private TimeSpan Duration(string path, string? text, TimeSpan fallback, bool positive)
    {
        if (text is null)
        {
            return fallback;
        }

        if (!GoDuration.TryParse(text, out var duration, out var error))
        {
            Error(path, error!);
            return fallback;
        }

        if (duration < TimeSpan.Zero)
        {
            Error(path, $"\"{text}\" must be {(positive ? "greater than zero" : "zero or more")}");
            return fallback;
        }

        // KrakenD reads a zero timeout as unset: the service default, or the service timeout for an endpoint.
        return positive && duration == TimeSpan.Zero ? fallback : duration;
    }

    private TimeSpan? OptionalDuration(string path, string? text)
    {
        var value = Duration(path, text, TimeSpan.Zero, positive: false);
        return value > TimeSpan.Zero ? value : null;
    }

    /// <summary>Keys starting with @, $, _ or # are comments or metadata (allowed everywhere by KrakenD's schema).</summary>
    public static bool IsIgnoredKey(string key) => key.Length > 0 && key[0] is '@' or '$' or '_' or '#';
}
