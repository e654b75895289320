using FunctionApp.Gateway.Configuration;
using FunctionApp.Gateway.Proxy;

namespace FunctionApp.Gateway.Routing;

/// <summary>
/// The gateway's request handler: built-in endpoints first, then the configured endpoints, then KrakenD's
/// 404/405 answers. Built once from a <see cref="GatewayModel"/>; a request only reads this immutable snapshot.
/// </summary>
public sealed class GatewayRouter
{
    private readonly GatewayModel _model;
    private readonly RouteTable<EndpointHandler> _routes = new();
    private readonly TimeProvider _timeProvider;

    public GatewayRouter(GatewayModel model, ProxyFactory proxyFactory, TimeProvider timeProvider)
    {
        _model = model;
        _timeProvider = timeProvider;
        foreach (var endpoint in model.Endpoints)
        {
            _routes.Add(endpoint.Template, endpoint.Method, new EndpointHandler(endpoint, proxyFactory.Create(endpoint), model.Router));
        }
    }

    public Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var router = _model.Router;

        if (!router.DisableHealth && HttpMethods.IsGet(request.Method) && path == router.HealthPath)
        {
            return BuiltinEndpoints.HealthAsync(context, _timeProvider);
        }

        if (_model.DebugEndpoint && BuiltinEndpoints.IsUnder(path, "/__debug"))
        {
            return BuiltinEndpoints.DebugAsync(context);
        }

        if (_model.EchoEndpoint && BuiltinEndpoints.IsUnder(path, "/__echo"))
        {
            return BuiltinEndpoints.EchoAsync(context);
        }

        var match = _routes.Match(request.Method, path);
        return match.Kind switch
        {
            RouteMatchKind.Found => match.Handler!.HandleAsync(context, match.Parameters!),
            RouteMatchKind.MethodNotAllowed => MethodNotAllowedAsync(context, match.AllowedMethods!),
            _ => WritePlainAsync(context, StatusCodes.Status404NotFound, "404 page not found", router),
        };
    }

    private Task MethodNotAllowedAsync(HttpContext context, string[] allowed)
    {
        context.Response.Headers.Allow = string.Join(", ", allowed);
        return WritePlainAsync(context, StatusCodes.Status405MethodNotAllowed, "405 method not allowed", _model.Router);
    }

    internal static Task WritePlainAsync(HttpContext context, int status, string body, RouterOptions router)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/plain";
        response.Headers["X-Krakend"] = router.HideVersionHeader ? "Version undefined" : GatewayVersion.HeaderValue;
        response.Headers["X-Krakend-Completed"] = "false";
        response.ContentLength = System.Text.Encoding.UTF8.GetByteCount(body);
        return response.WriteAsync(body, context.RequestAborted);
    }
}
