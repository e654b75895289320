using FunctionApp.Gateway.Backends;
using FunctionApp.Gateway.Configuration;
using FunctionApp.Gateway.Encoding;
using FunctionApp.Gateway.Observability;

namespace FunctionApp.Gateway.Proxy;

/// <summary>
/// Assembles each endpoint's proxy stack once, in one readable place (Lura's <c>proxy/factory.go</c>), from the
/// outside in:
/// <code>
/// [proxy stage] → shadow → static → flatmap (merged) → merge | sequential → per backend: [backend stage] → concurrent calls → backend proxy
/// </code>
/// The bracketed telemetry stages wrap their pipes only when telemetry is configured and the layer is on.
/// A middleware whose option is off is never added, so a request pays only for what its endpoint uses.
/// </summary>
public sealed partial class ProxyFactory
{
    private readonly HttpMessageInvoker _invoker;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly GatewayTelemetry? _telemetry;

    public ProxyFactory(HttpMessageInvoker invoker, TimeProvider timeProvider, ILogger? logger = null, GatewayTelemetry? telemetry = null)
    {
        _invoker = invoker;
        _timeProvider = timeProvider;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _telemetry = telemetry;
    }

    public ProxyDelegate Create(EndpointModel endpoint)
    {
        // As in KrakenD, shadow backends are left out of the endpoint's own pipeline: the regular backends alone
        // decide between single backend, merge and sequence, and the shadow calls go out beside them, unawaited.
        var regular = new List<ProxyDelegate>(endpoint.Backends.Count);
        var regularModels = new List<BackendModel>(endpoint.Backends.Count);
        List<ProxyDelegate>? shadows = null;

        // When nothing between the backends and the renderer looks at the data, a backend's JSON object can stay
        // parsed JSON and be rendered from it (ProxyResponse.Parsed); anything that reads the data still gets it.
        var deferDecoding = OutputRenderer.IsPlainJson(endpoint.OutputEncoding) && !endpoint.Sequential && endpoint.Flatmap is null && endpoint.Static is null;
        foreach (var backend in endpoint.Backends)
        {
            var call = CreateBackend(backend, endpoint, deferDecoding && !backend.Shadow);
            if (backend.Shadow)
            {
                (shadows ??= []).Add(call);
            }
            else
            {
                regular.Add(call);
                regularModels.Add(backend);
            }
        }

        ProxyDelegate proxy = regular.Count switch
        {
            0 => NoRegularBackend,
            1 => regular[0],
            _ when endpoint.Sequential => SequentialMiddleware.Create(regular, regularModels, endpoint.Timeout, _timeProvider),
            _ => MergeMiddleware.Parallel(regular, endpoint.Timeout, _timeProvider),
        };

        if (endpoint.Flatmap is { } operations && regular.Count > 1)
        {
            var next = proxy;
            proxy = async (request, cancellationToken) =>
            {
                var response = await next(request, cancellationToken).ConfigureAwait(false);
                if (response.Data is { } data && response.Error is null)
                {
                    Flatmap.Apply(data, operations);
                }

                return response;
            };
        }

        if (endpoint.Static is { } staticData)
        {
            proxy = StaticMiddleware.Create(proxy, staticData);
        }

        if (shadows is not null)
        {
            proxy = ShadowMiddleware.Create(proxy, shadows);
        }

        return _telemetry is null ? proxy : _telemetry.WrapProxy(endpoint, proxy);
    }

    /// <summary>Every backend is a shadow: nothing answers the client (KrakenD refuses such an endpoint).</summary>
    private static ValueTask<ProxyResponse> NoRegularBackend(ProxyRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(ProxyResponse.Failed(new GatewayError(GatewayErrorKind.Network, "every backend of the endpoint is a shadow backend")));

    private ProxyDelegate CreateBackend(BackendModel backend, EndpointModel endpoint, bool deferDecoding)
    {
        ProxyDelegate proxy = BackendProxy.Create(
            backend,
            _invoker,
            _timeProvider,
            (name, state) => Log.CircuitChanged(_logger, name, state),
            _telemetry?.ForBackendRequests(endpoint, backend),
            deferDecoding).SendAsync;
        if (endpoint.ConcurrentCalls > 1)
        {
            proxy = ConcurrentCallsMiddleware.Create(proxy, endpoint.ConcurrentCalls, endpoint.Timeout, _timeProvider);
        }

        return _telemetry is null ? proxy : _telemetry.WrapBackend(endpoint, backend, proxy);
    }

    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Warning, "circuit breaker {Name}: {State}")]
        public static partial void CircuitChanged(ILogger logger, string name, string state);
    }
}
