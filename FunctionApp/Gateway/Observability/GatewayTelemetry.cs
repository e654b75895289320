using System.Text;
using FunctionApp.Gateway.Backends;
using FunctionApp.Gateway.Configuration;
using FunctionApp.Gateway.Routing;
using Telemetry.Layers.BackendRequest;
using Telemetry.Layers.Global;
using Telemetry.Layers.Stage;
using Telemetry.Runtime;

namespace FunctionApp.Gateway.Observability;

/// <summary>
/// Where the gateway meets its telemetry: for each endpoint and backend, the layer objects of the
/// <see cref="TelemetryRuntime"/> with the names KrakenD gives them (normalised routes, configured methods), or
/// nothing when a layer is off or the endpoint is in <c>skip_paths</c>, so an uninstrumented pipe costs nothing.
/// </summary>
public sealed class GatewayTelemetry
{
    public GatewayTelemetry(TelemetryRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        Runtime = runtime;
    }

    public TelemetryRuntime Runtime { get; }

    /// <summary>What the global layer reports for requests that reach <paramref name="endpoint"/>.</summary>
    public EndpointGlobalAttributes GlobalFor(EndpointModel endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return new EndpointGlobalAttributes(EndpointRoute(endpoint.Template), Runtime.Options.ResolveGlobal(endpoint.Telemetry));
    }

    /// <summary>Wraps an endpoint's whole proxy stack in the proxy stage (outermost, §1).</summary>
    public ProxyDelegate WrapProxy(EndpointModel endpoint, ProxyDelegate proxy)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (IsSkipped(endpoint))
        {
            return proxy;
        }

        var stage = StageTelemetry.ForProxy(
            Runtime.Sources,
            Runtime.Options.ResolveProxy(endpoint.Telemetry),
            EndpointRoute(endpoint.Template),
            endpoint.Method,
            Runtime.TracesExported,
            Runtime.MetricsExported);
        return stage is null ? proxy : StageTelemetryMiddleware.Create(stage, proxy);
    }

    /// <summary>Wraps one backend's pipe in the backend stage (outermost of the backend, outside the circuit breaker).</summary>
    public ProxyDelegate WrapBackend(EndpointModel endpoint, BackendModel backend, ProxyDelegate proxy)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(backend);
        if (IsSkipped(endpoint))
        {
            return proxy;
        }

        var stage = StageTelemetry.ForBackend(
            Runtime.Sources,
            Runtime.Options.ResolveBackend(endpoint.Telemetry, backend.Telemetry),
            BackendRoute(backend.UrlPattern),
            backend.Method,
            EndpointRoute(endpoint.Template),
            endpoint.Method,
            Runtime.TracesExported,
            Runtime.MetricsExported);
        return stage is null ? proxy : StageTelemetryMiddleware.Create(stage, proxy);
    }

    /// <summary>The backend-request layer of one backend: client span, round-trip and body-read metrics, context injection.</summary>
    public BackendRequestTelemetry? ForBackendRequests(EndpointModel endpoint, BackendModel backend)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(backend);
        if (IsSkipped(endpoint))
        {
            return null;
        }

        var identity = new BackendRequestIdentity(BackendRoute(backend.UrlPattern), backend.Method, EndpointRoute(endpoint.Template), endpoint.Method);
        return BackendRequestTelemetry.Create(
            Runtime.Sources,
            Runtime.Options.ResolveBackend(endpoint.Telemetry, backend.Telemetry),
            identity,
            Runtime.Options.Layers.Global.UsesSemanticConvention127,
            Runtime.Propagator);
    }

    private bool IsSkipped(EndpointModel endpoint) => Runtime.Options.SkipPaths.Matches(endpoint.Template.Text);

    /// <summary>
    /// The endpoint pattern as KrakenD reports it (§5.9): Lura turns <c>{param}</c> into <c>:param</c>, keeping the
    /// parameter's case.
    /// </summary>
    public static string EndpointRoute(EndpointTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (template.ParameterNames.Count == 0)
        {
            return template.Text;
        }

        var route = new StringBuilder(template.Text.Length);
        foreach (var segment in template.Segments)
        {
            route.Append('/');
            if (segment.IsParameter)
            {
                route.Append(':');
            }

            route.Append(segment.Value);
        }

        return route.Length == 0 ? "/" : route.ToString();
    }

    /// <summary>
    /// The backend url_pattern as KrakenD reports it (§5.9): every <c>{name}</c> placeholder becomes <c>:name</c> with
    /// the whole name lower-cased (Lura's Go-template step, <c>{userId}</c> → <c>:userid</c>); a query string stays.
    /// </summary>
    public static string BackendRoute(UrlPattern pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var text = pattern.Text;
        var route = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var open = text.IndexOf('{', i);
            var close = open < 0 ? -1 : text.IndexOf('}', open + 1);
            if (close < 0)
            {
                route.Append(text, i, text.Length - i);
                break;
            }

            route.Append(text, i, open - i).Append(':').Append(text.AsSpan(open + 1, close - open - 1).ToString().ToLowerInvariant());
            i = close + 1;
        }

        return route.ToString();
    }
}
