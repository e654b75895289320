using FunctionApp.Gateway.Backends;
using FunctionApp.Gateway.Configuration;

namespace FunctionApp.Gateway.Proxy;

/// <summary>
/// Assembles each endpoint's proxy stack in one readable place (Lura's <c>proxy/factory.go</c>). Today an endpoint
/// has exactly one backend, so the stack is that backend's proxy; the merge, static and sequential middlewares
/// slot in here, decided when the stack is built rather than per request.
/// </summary>
public sealed class ProxyFactory
{
    private readonly HttpMessageInvoker _invoker;
    private readonly TimeProvider _timeProvider;

    public ProxyFactory(HttpMessageInvoker invoker, TimeProvider timeProvider)
    {
        _invoker = invoker;
        _timeProvider = timeProvider;
    }

    public ProxyDelegate Create(EndpointModel endpoint)
    {
        if (endpoint.Backends.Count != 1)
        {
            throw new InvalidOperationException($"{endpoint.ConfigPath}: expected exactly one backend");
        }

        return CreateBackend(endpoint.Backends[0]);
    }

    private ProxyDelegate CreateBackend(BackendModel backend)
    {
        var proxy = new BackendProxy(backend, _invoker, BackendProxy.CreatePipeline(backend, _timeProvider));
        return proxy.SendAsync;
    }
}
