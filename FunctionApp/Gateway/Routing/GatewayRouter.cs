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

    public GatewayRouter(GatewayModel model, ProxyFactory proxyFactory, TimeProvider timeProvider, Observability.GatewayTelemetry? telemetry = null)
    {
        _model = model;
        _timeProvider = timeProvider;
        foreach (var endpoint in model.Endpoints)
        {
            _routes.Add(endpoint.Template, endpoint.Method, new EndpointHandler(endpoint, proxyFactory.Create(endpoint), model.Router, telemetry?.GlobalFor(endpoint)));
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
            _ => NotFoundAsync(context, path),
        };
    }

    private Task NotFoundAsync(HttpContext context, string path)
    {
        var router = _model.Router;
        var redirect = _routes.SuggestRedirect(context.Request.Method, path, !router.DisableRedirectTrailingSlash, !router.DisableRedirectFixedPath);
        if (redirect is null)
        {
            return WritePlainAsync(context, StatusCodes.Status404NotFound, "404 page not found", router);
        }

        // gin: 301 for GET, 307 (method and body kept) for everything else.
        var response = context.Response;
        response.StatusCode = HttpMethods.IsGet(context.Request.Method) ? StatusCodes.Status301MovedPermanently : StatusCodes.Status307TemporaryRedirect;
        response.Headers.Location = new PathString(redirect).ToUriComponent() + context.Request.QueryString.ToUriComponent();
        return Task.CompletedTask;
    }

    private Task MethodNotAllowedAsync(HttpContext context, string[] allowed)
    {
        var router = _model.Router;
        if (router.AutoOptions && HttpMethods.IsOptions(context.Request.Method))
        {
            // lura's auto_options handler: the path's methods sorted, the version header, no body.
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.Headers.Allow = string.Join(", ", allowed.Order(StringComparer.Ordinal));
            context.Response.Headers["X-Krakend"] = router.VersionHeader;
            return Task.CompletedTask;
        }

        if (router.DisableHandleMethodNotAllowed)
        {
            return WritePlainAsync(context, StatusCodes.Status404NotFound, "404 page not found", router);
        }

        // gin lists every method routed for the path; with auto_options that includes OPTIONS, registered last.
        var allow = string.Join(", ", allowed);
        context.Response.Headers.Allow = router.AutoOptions ? allow + ", OPTIONS" : allow;
        return WritePlainAsync(context, StatusCodes.Status405MethodNotAllowed, "405 method not allowed", router);
    }

    internal static Task WritePlainAsync(HttpContext context, int status, string body, RouterOptions router)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/plain";
        response.Headers["X-Krakend"] = router.VersionHeader;
        response.Headers["X-Krakend-Completed"] = "false";
        response.ContentLength = System.Text.Encoding.UTF8.GetByteCount(body);
        return response.WriteAsync(body, context.RequestAborted);
    }
}
