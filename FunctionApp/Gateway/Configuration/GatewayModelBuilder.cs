using System.Net;
using System.Text.Json;
using FunctionApp.Gateway.Backends;
using FunctionApp.Gateway.Routing;
using Telemetry.Configuration;

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
    private static readonly string[] OutputEncodings = ["json", "json-collection", "string", "negotiate", "yaml", "xml", "fast-json", "no-op"];
    private static readonly string[] BackendEncodings = ["json", "safejson", "string", "no-op"];
    private static readonly string[] KnownBackendEncodings = ["json", "safejson", "string", "xml", "rss", "no-op"];

    private readonly List<ConfigProblem> _errors = [];
    private readonly List<ConfigProblem> _unsupported = [];
    private string _version = GatewayVersion.KrakenDCompatible;

    private GatewayModelBuilder()
    {
    }

    /// <summary>Compiles the config. Returns null and fills <paramref name="errors"/> when it is invalid.</summary>
    public static GatewayModel? Build(ServiceConfig config, out IReadOnlyList<ConfigProblem> errors, string? version = null)
    {
        var builder = new GatewayModelBuilder { _version = string.IsNullOrWhiteSpace(version) ? GatewayVersion.KrakenDCompatible : version.Trim() };
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

        var server = new ServerOptions
        {
            ReadTimeout = OptionalDuration("read_timeout", config.ReadTimeout),
            WriteTimeout = OptionalDuration("write_timeout", config.WriteTimeout),
            IdleTimeout = OptionalDuration("idle_timeout", config.IdleTimeout),
            ReadHeaderTimeout = OptionalDuration("read_header_timeout", config.ReadHeaderTimeout),
            MaxHeaderBytes = config.MaxHeaderBytes is > 0 and var maxHeaderBytes ? maxHeaderBytes : null,
        };
        if (config.MaxHeaderBytes is < 0)
        {
            Error("max_header_bytes", "must not be negative");
        }
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
        var telemetry = ServiceTelemetry(config.ExtraConfig);
        ReportUnknownNamespaces("extra_config", config.ExtraConfig, Namespaces.Router, Namespaces.RouterLong, TelemetryNamespaces.OpenTelemetry, TelemetryNamespaces.OpenTelemetrySecurity);

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
            Server = server,
            Endpoints = endpoints,
            Telemetry = telemetry,
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

        var concurrentCalls = Math.Max(endpoint.ConcurrentCalls ?? 1, 1);
        var proxy = EndpointProxyOptions(path + ".extra_config", endpoint.ExtraConfig);

        var backends = new List<BackendModel>();
        if (endpoint.Backend is null || endpoint.Backend.Length == 0)
        {
            Error(path + ".backend", "at least one backend is required");
        }
        else
        {
            if (endpoint.Backend.Length > 1 && outputEncoding == "no-op")
            {
                Error(path + ".backend", $"the no-op output encoding takes exactly one backend, not {endpoint.Backend.Length}");
            }

            for (var i = 0; i < endpoint.Backend.Length; i++)
            {
                var backendPath = $"{path}.backend[{i}]";
                if (endpoint.Backend[i] is not { } backend)
                {
                    Error(backendPath, "must be an object");
                    continue;
                }

                var model = BuildBackend(backendPath, i, backend, method, timeout, serviceHosts, outputEncoding, template, proxy.Sequential);
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
            ConcurrentCalls = concurrentCalls,
            Sequential = proxy.Sequential,
            Static = proxy.Static,
            Flatmap = backends.Count > 1 ? proxy.Flatmap : null,
            ConfigPath = path,
            Telemetry = EndpointTelemetry(path + ".extra_config", endpoint.ExtraConfig),
        };
    }

    private BackendModel? BuildBackend(string path, int index, BackendConfig backend, string endpointMethod, TimeSpan timeout, IReadOnlyList<string>? serviceHosts, string outputEncoding, EndpointTemplate? template, bool sequential)
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
                ? $"\"{encoding}\" needs a KrakenD plugin and is not supported (json, safejson, string, no-op)"
                : $"unknown encoding \"{encoding}\" (json, safejson, string, no-op)");
        }

        var extra = BackendExtraOptions(path + ".extra_config", backend.ExtraConfig);
        FunctionApp.Gateway.Proxy.EntityFormatter? formatter = null;
        if (encoding != "no-op")
        {
            formatter = FunctionApp.Gateway.Proxy.EntityFormatter.Create(
                NullIfEmpty(backend.Target), backend.Allow, backend.Deny, backend.Mapping, NullIfEmpty(backend.Group), extra.Flatmap);
        }
        else if (!string.IsNullOrEmpty(backend.Target) || !string.IsNullOrEmpty(backend.Group) || backend.Allow is { Length: > 0 } || backend.Deny is { Length: > 0 } || backend.Mapping is { Count: > 0 } || extra.Flatmap is { Count: > 0 })
        {
            Unsupported(path, "target, allow, deny, mapping, group and flatmap_filter do nothing on a no-op backend (nothing is decoded)");
        }

        UrlPattern? pattern = null;
        if (backend.UrlPattern is null)
        {
            Error(path + ".url_pattern", "is required");
        }
        else if (template is not null)
        {
            var problems = new List<string>();
            pattern = UrlPattern.TryCompile(backend.UrlPattern, template.ParameterNames, template.Text, problems, sequential ? index : null);
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
            Index = index,
            IsCollection = backend.IsCollection ?? false,
            Formatter = formatter,
            InputHeaders = backend.InputHeaders is { Length: > 0 } headers ? ForwardingList.Create(headers, StringComparer.OrdinalIgnoreCase) : null,
            InputQueryStrings = backend.InputQueryStrings is { Length: > 0 } query ? ForwardingList.Create(query, StringComparer.Ordinal) : null,
            Errors = extra.Errors,
            SendBodyOnRedirect = extra.SendBodyOnRedirect,
            CircuitBreaker = extra.CircuitBreaker,
            Shadow = extra.Shadow,
            Telemetry = BackendTelemetry(path + ".extra_config", backend.ExtraConfig),
        };
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private void CheckOutputEncoding(string path, string encoding)
    {
        if (Array.IndexOf(OutputEncodings, encoding) < 0)
        {
            Error(path, $"unknown output encoding \"{encoding}\" (json, json-collection, string, negotiate, yaml, xml, no-op)");
        }
    }

    private readonly record struct EndpointProxy(bool Sequential, StaticResponseOptions? Static, IReadOnlyList<FunctionApp.Gateway.Proxy.FlatmapOperation>? Flatmap);

    /// <summary>Reads the endpoint's <c>proxy</c> namespace: sequential, static, flatmap_filter.</summary>
    private EndpointProxy EndpointProxyOptions(string path, Dictionary<string, JsonElement>? extraConfig)
    {
        ReportUnknownNamespaces(path, extraConfig, Namespaces.Proxy, Namespaces.ProxyLong, TelemetryNamespaces.OpenTelemetry);
        if (!Namespaces.TryGet(extraConfig, Namespaces.Proxy, Namespaces.ProxyLong, out var proxy, out var name))
        {
            return default;
        }

        path = $"{path}.{name}";
        if (proxy.ValueKind != JsonValueKind.Object)
        {
            Error(path, "must be an object");
            return default;
        }

        var result = default(EndpointProxy);
        foreach (var property in proxy.EnumerateObject())
        {
            var propertyPath = $"{path}.{property.Name}";
            switch (property.Name)
            {
                case "sequential":
                    result = result with { Sequential = Bool(propertyPath, property.Value) };
                    break;
                case "static":
                    result = result with { Static = StaticOptions(propertyPath, property.Value) };
                    break;
                case "flatmap_filter":
                    result = result with { Flatmap = FlatmapOperations(propertyPath, property.Value) };
                    break;
                case "sequential_propagated_params":
                    Unsupported(propertyPath, "only feeds plugins (Lua, CEL), which are not supported; ignored");
                    break;
                case "combiner":
                    Error(propertyPath, "custom combiners are Go plugins and are not supported");
                    break;
                default:
                    if (!IsIgnoredKey(property.Name))
                    {
                        Unsupported(propertyPath, "proxy option not supported; ignored");
                    }

                    break;
            }
        }

        return result;
    }

    private StaticResponseOptions? StaticOptions(string path, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            Error(path, "must be an object with strategy and data");
            return null;
        }

        var strategy = StaticStrategy.Always;
        System.Text.Json.Nodes.JsonObject? data = null;
        foreach (var property in value.EnumerateObject())
        {
            switch (property.Name)
            {
                case "strategy":
                    var text = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                    switch (text)
                    {
                        case "always" or "" or null when property.Value.ValueKind == JsonValueKind.String:
                            strategy = StaticStrategy.Always;
                            break;
                        case "success":
                            strategy = StaticStrategy.Success;
                            break;
                        case "errored":
                            strategy = StaticStrategy.Errored;
                            break;
                        case "complete":
                            strategy = StaticStrategy.Complete;
                            break;
                        case "incomplete":
                            strategy = StaticStrategy.Incomplete;
                            break;
                        default:
                            Error($"{path}.strategy", "must be one of always, success, errored, complete, incomplete");
                            break;
                    }

                    break;
                case "data":
                    if (property.Value.ValueKind != JsonValueKind.Object)
                    {
                        Error($"{path}.data", "must be an object");
                    }
                    else
                    {
                        data = System.Text.Json.Nodes.JsonObject.Create(property.Value);
                    }

                    break;
                default:
                    if (!IsIgnoredKey(property.Name))
                    {
                        Unsupported($"{path}.{property.Name}", "unknown key; ignored");
                    }

                    break;
            }
        }

        if (data is null)
        {
            Error($"{path}.data", "is required");
            return null;
        }

        return new StaticResponseOptions(strategy, data);
    }

    private IReadOnlyList<FunctionApp.Gateway.Proxy.FlatmapOperation>? FlatmapOperations(string path, JsonElement value)
    {
        var problems = new List<ConfigProblem>();
        var operations = FunctionApp.Gateway.Proxy.FlatmapOperation.TryParse(value, path, problems);
        _errors.AddRange(problems);
        return operations is { Count: > 0 } ? operations : null;
    }

    private readonly record struct BackendExtra(
        IReadOnlyList<FunctionApp.Gateway.Proxy.FlatmapOperation>? Flatmap,
        BackendErrorOptions Errors,
        bool SendBodyOnRedirect,
        CircuitBreakerOptions? CircuitBreaker,
        bool Shadow);

    /// <summary>Reads a backend's <c>proxy</c>, <c>backend/http</c>, <c>backend/http/client</c> and <c>qos/circuit-breaker</c>.</summary>
    private BackendExtra BackendExtraOptions(string path, Dictionary<string, JsonElement>? extraConfig)
    {
        var result = new BackendExtra(null, new BackendErrorOptions(false, null), false, null, false);
        foreach (var (key, value) in ObjectNamespaces(path, extraConfig, Namespaces.Proxy, Namespaces.ProxyLong))
        {
            switch (key.Name)
            {
                case "flatmap_filter":
                    result = result with { Flatmap = FlatmapOperations(key.Path, value) };
                    break;
                case "shadow":
                    result = result with { Shadow = Bool(key.Path, value) };
                    break;
                default:
                    Unsupported(key.Path, "proxy option not supported on a backend; ignored");
                    break;
            }
        }

        foreach (var (key, value) in ObjectNamespaces(path, extraConfig, Namespaces.BackendHttp, Namespaces.BackendHttpLong))
        {
            switch (key.Name)
            {
                case "return_error_code":
                    result = result with { Errors = result.Errors with { ReturnErrorCode = Bool(key.Path, value) } };
                    break;
                case "return_error_details":
                    if (value.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(value.GetString()))
                    {
                        Error(key.Path, "must be a non-empty name (the response gets the key error_<name>)");
                    }
                    else
                    {
                        result = result with { Errors = result.Errors with { ReturnErrorDetails = value.GetString() } };
                    }

                    break;
                default:
                    Unsupported(key.Path, "backend/http option not supported; ignored");
                    break;
            }
        }

        foreach (var (key, value) in ObjectNamespaces(path, extraConfig, Namespaces.BackendHttpClient, Namespaces.BackendHttpClient))
        {
            if (key.Name == "send_body_on_redirect")
            {
                result = result with { SendBodyOnRedirect = Bool(key.Path, value) };
            }
            else
            {
                Unsupported(key.Path, "backend/http/client option not supported; ignored");
            }
        }

        if (extraConfig is not null && extraConfig.TryGetValue(Namespaces.CircuitBreaker, out var breaker))
        {
            result = result with { CircuitBreaker = CircuitBreaker($"{path}.{Namespaces.CircuitBreaker}", breaker) };
        }

        ReportUnknownNamespaces(path, extraConfig, Namespaces.Proxy, Namespaces.ProxyLong, Namespaces.BackendHttp, Namespaces.BackendHttpLong, Namespaces.BackendHttpClient, Namespaces.CircuitBreaker, TelemetryNamespaces.OpenTelemetry);
        return result;
    }

    private CircuitBreakerOptions? CircuitBreaker(string path, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            Error(path, "must be an object");
            return null;
        }

        int? interval = null, timeout = null, maxErrors = null;
        var log = false;
        string? name = null;
        foreach (var property in value.EnumerateObject())
        {
            var propertyPath = $"{path}.{property.Name}";
            switch (property.Name)
            {
                case "interval":
                    interval = PositiveInt(propertyPath, property.Value);
                    break;
                case "timeout":
                    timeout = PositiveInt(propertyPath, property.Value);
                    break;
                case "max_errors":
                    maxErrors = PositiveInt(propertyPath, property.Value);
                    break;
                case "log_status_change":
                    log = Bool(propertyPath, property.Value);
                    break;
                case "name":
                    name = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                    break;
                default:
                    if (!IsIgnoredKey(property.Name))
                    {
                        Unsupported(propertyPath, "circuit breaker option not supported; ignored");
                    }

                    break;
            }
        }

        foreach (var (key, present) in new[] { ("interval", interval), ("timeout", timeout), ("max_errors", maxErrors) })
        {
            if (present is null)
            {
                Error($"{path}.{key}", "is required (a whole number greater than zero)");
            }
        }

        return interval is { } i && timeout is { } t && maxErrors is { } m
            ? new CircuitBreakerOptions(TimeSpan.FromSeconds(i), TimeSpan.FromSeconds(t), m, log, name)
            : null;
    }

    private int? PositiveInt(string path, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number > 0)
        {
            return number;
        }

        Error(path, "must be a whole number greater than zero");
        return null;
    }

    /// <summary>The properties of a namespace that must be an object, with their paths; comment keys skipped.</summary>
    private List<((string Name, string Path) Key, JsonElement Value)> ObjectNamespaces(string path, Dictionary<string, JsonElement>? extraConfig, string shortName, string longName)
    {
        var result = new List<((string, string), JsonElement)>();
        if (!Namespaces.TryGet(extraConfig, shortName, longName, out var value, out var name))
        {
            return result;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            Error($"{path}.{name}", "must be an object");
            return result;
        }

        foreach (var property in value.EnumerateObject())
        {
            if (!IsIgnoredKey(property.Name))
            {
                result.Add(((property.Name, $"{path}.{name}.{property.Name}"), property.Value));
            }
        }

        return result;
    }

    private void ReportUnknownNamespaces(string path, Dictionary<string, JsonElement>? extraConfig, params string[] known)
    {
        if (extraConfig is null)
        {
            return;
        }

        foreach (var key in extraConfig.Keys)
        {
            if (IsIgnoredKey(key) || Array.IndexOf(known, key) >= 0)
            {
                continue;
            }

            if (RestrictsAccess(key))
            {
                // Ignoring these would open what the user meant to protect: refuse to start instead.
                Error($"{path}.{key}", "restricts access (authentication, rate limits or validation) and is not supported: the gateway will not run without it");
            }
            else
            {
                Unsupported($"{path}.{key}", "namespace not supported; ignored");
            }
        }
    }

    /// <summary>
    /// The service-level <c>telemetry/opentelemetry</c> namespace (with Enterprise's <c>-security</c> one for OTLP
    /// headers): errors block the config, what KrakenD would silently ignore becomes a warning.
    /// </summary>
    private TelemetryOptions? ServiceTelemetry(Dictionary<string, JsonElement>? extraConfig)
    {
        if (extraConfig is null || !extraConfig.TryGetValue(TelemetryNamespaces.OpenTelemetry, out var value))
        {
            if (extraConfig is not null && extraConfig.ContainsKey(TelemetryNamespaces.OpenTelemetrySecurity))
            {
                Unsupported("extra_config." + TelemetryNamespaces.OpenTelemetrySecurity, "has no effect without extra_config." + TelemetryNamespaces.OpenTelemetry);
            }

            return null;
        }

        JsonElement? security = extraConfig.TryGetValue(TelemetryNamespaces.OpenTelemetrySecurity, out var securityValue) ? securityValue : null;
        var problems = new List<TelemetryConfigProblem>();
        var warnings = new List<TelemetryConfigProblem>();
        var options = TelemetryOptionsParser.Parse(value, security, "extra_config." + TelemetryNamespaces.OpenTelemetry, problems, warnings);
        ReportTelemetryProblems(problems, warnings);
        return options;
    }

    private EndpointTelemetryOverride? EndpointTelemetry(string path, Dictionary<string, JsonElement>? extraConfig) =>
        TelemetryOverride(path, extraConfig, TelemetryOptionsParser.ParseEndpointOverride);

    private BackendTelemetryOverride? BackendTelemetry(string path, Dictionary<string, JsonElement>? extraConfig) =>
        TelemetryOverride(path, extraConfig, TelemetryOptionsParser.ParseBackendOverride);

    /// <summary>An endpoint's or backend's <c>telemetry/opentelemetry</c> override (reference §2.8), if any.</summary>
    private T? TelemetryOverride<T>(
        string path,
        Dictionary<string, JsonElement>? extraConfig,
        Func<JsonElement, string, ICollection<TelemetryConfigProblem>, ICollection<TelemetryConfigProblem>?, T?> parse)
        where T : class
    {
        if (extraConfig is null || !extraConfig.TryGetValue(TelemetryNamespaces.OpenTelemetry, out var value))
        {
            return null;
        }

        var problems = new List<TelemetryConfigProblem>();
        var warnings = new List<TelemetryConfigProblem>();
        var result = parse(value, $"{path}.{TelemetryNamespaces.OpenTelemetry}", problems, warnings);
        ReportTelemetryProblems(problems, warnings);
        return result;
    }

    private void ReportTelemetryProblems(List<TelemetryConfigProblem> problems, List<TelemetryConfigProblem> warnings)
    {
        foreach (var problem in problems)
        {
            Error(problem.Path, problem.Message);
        }

        foreach (var warning in warnings)
        {
            Unsupported(warning.Path, warning.Message);
        }
    }

    private RouterOptions RouterOptionsFrom(Dictionary<string, JsonElement>? extraConfig)
    {
        var options = new RouterOptions { Version = _version };
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
                case "disable_redirect_trailing_slash":
                    options = options with { DisableRedirectTrailingSlash = Bool(propertyPath, property.Value) };
                    break;
                case "disable_redirect_fixed_path":
                    options = options with { DisableRedirectFixedPath = Bool(propertyPath, property.Value) };
                    break;
                case "disable_handle_method_not_allowed":
                    options = options with { DisableHandleMethodNotAllowed = Bool(propertyPath, property.Value) };
                    break;
                case "disable_path_decoding":
                    options = options with { DisablePathDecoding = Bool(propertyPath, property.Value) };
                    break;
                case "auto_options":
                    options = options with { AutoOptions = Bool(propertyPath, property.Value) };
                    break;
                case "disable_access_log" or "disable_gzip" or "logger_skip_paths":
                    // Logging and compression belong to the Functions host here; accepted without effect.
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

    /// <summary>KrakenD components that deny requests; ignoring one would silently fail open.</summary>
    private static bool RestrictsAccess(string ns) =>
        ns.StartsWith("auth/", StringComparison.Ordinal)
        || ns.StartsWith("qos/ratelimit", StringComparison.Ordinal)
        || ns.StartsWith("validation/", StringComparison.Ordinal)
        || ns is "security/policies" or "security/bot-detector" or "github_com/devopsfaith/bloomfilter"
        || ns.StartsWith("github.com/devopsfaith/krakend-jose", StringComparison.Ordinal)
        || ns.StartsWith("github_com/devopsfaith/krakend-ratelimit", StringComparison.Ordinal);

    /// <summary>Keys starting with @, $, _ or # are comments or metadata (allowed everywhere by KrakenD's schema).</summary>
    public static bool IsIgnoredKey(string key) => key.Length > 0 && key[0] is '@' or '$' or '_' or '#';
}
