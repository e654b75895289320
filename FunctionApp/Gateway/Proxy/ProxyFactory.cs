using FunctionApp.Gateway.Backends;
using FunctionApp.Gateway.Configuration;

namespace FunctionApp.Gateway.Proxy;

/// <summary>
/// Assembles each endpoint's proxy stack once, in one readable place (Lura's <c>proxy/factory.go</c>), from the
/// outside in:
/// <code>
/// static → flatmap (merged) → merge | sequential → per backend: concurrent calls → backend proxy
/// </code>
/// A middleware whose option is off is never added, so a request pays only for what its endpoint uses.
/// </summary>
public sealed partial class ProxyFactory
{
    private readonly HttpMessageInvoker _invoker;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public ProxyFactory(HttpMessageInvoker invoker, TimeProvider timeProvider, ILogger? logger = null)
    {
        _invoker = invoker;
        _timeProvider = timeProvider;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    public ProxyDelegate Create(EndpointModel endpoint)
    {
        var backends = new ProxyDelegate[endpoint.Backends.Count];
        var shadow = new bool[endpoint.Backends.Count];
        for (var i = 0; i < backends.Length; i++)
        {
            var backend = endpoint.Backends[i];
            backends[i] = CreateBackend(backend, endpoint);
            shadow[i] = backend.Shadow;
        }

        var proxy = backends.Length switch
        {
            1 => backends[0],
            _ when endpoint.Sequential => SequentialMiddleware.Create(backends, endpoint.Backends, endpoint.Timeout, _timeProvider),
            _ => MergeMiddleware.Parallel(backends, shadow, endpoint.Timeout, _timeProvider),
        };

        if (endpoint.Flatmap is { } operations)
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

        return proxy;
    }

    private ProxyDelegate CreateBackend(BackendModel backend, EndpointModel endpoint)
    {
        var pipeline = BackendProxy.CreatePipeline(backend, _timeProvider, (name, state) => Log.CircuitChanged(_logger, name, state));
        ProxyDelegate proxy = new BackendProxy(backend, _invoker, pipeline).SendAsync;
        if (endpoint.ConcurrentCalls > 1)
        {
            proxy = ConcurrentCallsMiddleware.Create(proxy, endpoint.ConcurrentCalls, endpoint.Timeout, _timeProvider);
        }

        return proxy;
    }

    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Warning, "circuit breaker {Name}: {State}")]
        public static partial void CircuitChanged(ILogger logger, string name, string state);
    }
}
