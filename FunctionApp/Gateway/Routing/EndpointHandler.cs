using FunctionApp.Gateway.Backends;
using FunctionApp.Gateway.Configuration;
using FunctionApp.Gateway.Encoding;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Telemetry.Layers.Global;

namespace FunctionApp.Gateway.Routing;

/// <summary>
/// The router layer of one endpoint (Lura's <c>router/gin/endpoint.go</c>): turns the HTTP request into a filtered
/// <see cref="ProxyRequest"/>, runs the endpoint's proxy stack and renders what it returns.
/// </summary>
public sealed class EndpointHandler
{
    private readonly EndpointModel _endpoint;
    private readonly ProxyDelegate _proxy;
    private readonly RouterOptions _router;
    private readonly string? _cacheControl;
    private readonly string _userAgent;
    private readonly EndpointGlobalAttributes? _globalTelemetry;
    private readonly bool _plainJson;

    public EndpointHandler(EndpointModel endpoint, ProxyDelegate proxy, RouterOptions router, EndpointGlobalAttributes? globalTelemetry = null)
    {
        _endpoint = endpoint;
        _globalTelemetry = globalTelemetry;
        _proxy = proxy;
        _router = router;
        _userAgent = router.UserAgent;
        _plainJson = OutputRenderer.IsPlainJson(endpoint.OutputEncoding);
        if (endpoint.CacheTtl > TimeSpan.Zero)
        {
            _cacheControl = $"public, max-age={(long)endpoint.CacheTtl.TotalSeconds}";
        }
    }

    public EndpointModel Endpoint => _endpoint;

    public async Task HandleAsync(HttpContext context, IReadOnlyDictionary<string, string> parameters)
    {
        if (_globalTelemetry is not null)
        {
            // Tells the global layer which route it is measuring (KrakenD's endpoint wrapper, reference §1).
            context.Features.Get<GlobalRequestTelemetry>()?.SetEndpoint(_globalTelemetry);
        }

        // Values only when there are any: enumerating the dictionary through its interface allocates an enumerator.
        foreach (var value in parameters.Count == 0 ? [] : parameters.Values)
        {
            // KrakenD rejects parameters that still hold escapes after decoding, or '?'/'#' (unless
            // router.disable_path_decoding). We also refuse dot segments, which could walk the backend path upwards.
            if ((!_router.DisablePathDecoding && value.AsSpan().IndexOfAny('%', '?', '#') >= 0) || value is "." or "..")
            {
                await GatewayRouter.WritePlainAsync(context, StatusCodes.Status400BadRequest, "error: encoded url params", _router).ConfigureAwait(false);
                return;
            }
        }

        var request = BuildRequest(context, parameters);
        using var response = await _proxy(request, context.RequestAborted).ConfigureAwait(false);
        await RenderAsync(context, response).ConfigureAwait(false);
    }

    private ProxyRequest BuildRequest(HttpContext context, IReadOnlyDictionary<string, string> parameters)
    {
        var incoming = context.Request;
        var client = ClientInfo.From(context);
        var connection = incoming.Headers.Connection.ToString();

        // Room for every incoming header plus the four the gateway adds, so the list never grows.
        var headers = new List<KeyValuePair<string, StringValues>>(incoming.Headers.Count + 4);
        var userAgentForwarded = false;
        string? via = null;
        foreach (var (name, values) in incoming.Headers)
        {
            if (name.Equals("Via", StringComparison.OrdinalIgnoreCase))
            {
                via = values.ToString();
                continue;
            }

            if (HeaderRules.NeverForwarded.Contains(name)
                || HeaderRules.IsHopByHop(name, connection)
                || name.StartsWith(':')
                || !_endpoint.InputHeaders.Allows(name)
                || !AllSafe(values))
            {
                continue;
            }

            userAgentForwarded |= name.Equals("User-Agent", StringComparison.OrdinalIgnoreCase);
            headers.Add(new(name, values));
        }

        if (client.Address.Length > 0)
        {
            headers.Add(new("X-Forwarded-For", client.Address));
        }

        if (client.Host.Length > 0)
        {
            headers.Add(new("X-Forwarded-Host", client.Host));
        }

        headers.Add(userAgentForwarded ? new("X-Forwarded-Via", _userAgent) : new("User-Agent", _userAgent));
        headers.Add(new("Via", string.IsNullOrEmpty(via) || !HeaderRules.IsSafeValue(via) ? GatewayVersion.ViaValue : via + ", " + GatewayVersion.ViaValue));

        IReadOnlyList<KeyValuePair<string, StringValues>> forwardedQuery = [];
        if (!_endpoint.InputQueryStrings.IsEmpty && incoming.QueryString.HasValue)
        {
            var query = new List<KeyValuePair<string, StringValues>>();
            forwardedQuery = query;
            // Names are case-sensitive, as in Go's url.Values; Request.Query would merge "a" and "A".
            foreach (var pair in new QueryStringEnumerable(incoming.QueryString.Value))
            {
                var key = pair.DecodeName().ToString();
                if (key == HeaderRules.FunctionKeyQueryParameter || !_endpoint.InputQueryStrings.Allows(key))
                {
                    continue;
                }

                AddQueryValue(query, key, pair.DecodeValue().ToString());
            }
        }

        var hasBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? incoming.ContentLength > 0;
        return new ProxyRequest
        {
            Method = incoming.Method,
            Params = parameters,
            Headers = headers,
            Query = forwardedQuery,
            Body = hasBody ? incoming.Body : null,
            ContentLength = hasBody ? incoming.ContentLength : null,
        };
    }

    /// <summary>Adds a value, keeping repeated names together in the order they came (a short list: a linear scan).</summary>
    private static void AddQueryValue(List<KeyValuePair<string, StringValues>> query, string key, string value)
    {
        for (var i = 0; i < query.Count; i++)
        {
            if (query[i].Key == key)
            {
                query[i] = new(key, StringValues.Concat(query[i].Value, value));
                return;
            }
        }

        query.Add(new(key, value));
    }

    private static bool AllSafe(StringValues values)
    {
        foreach (var value in values)
        {
            if (!HeaderRules.IsSafeValue(value))
            {
                return false;
            }
        }

        return true;
    }

    private async Task RenderAsync(HttpContext context, ProxyResponse result)
    {
        var response = context.Response;
        if (result.Error is { Kind: GatewayErrorKind.ClientCanceled })
        {
            context.Abort();
            return;
        }

        if (result.Upstream is { } upstream)
        {
            await PassThroughAsync(context, upstream).ConfigureAwait(false);
            return;
        }

        response.Headers["X-Krakend"] = _router.VersionHeader;
        if (!result.HasData)
        {
            await RenderErrorAsync(context, result.Error).ConfigureAwait(false);
            return;
        }

        // KrakenD counts an empty object as an incomplete response.
        var complete = result.IsComplete && result.Error is null && (result.Parsed?.HasMembers ?? result.Data!.Count > 0);
        response.StatusCode = StatusCodes.Status200OK;
        response.Headers["X-Krakend-Completed"] = complete ? "true" : "false";
        if (complete && _cacheControl is not null)
        {
            response.Headers.CacheControl = _cacheControl;
        }

        // Rendered into a pooled buffer first: the length goes in Content-Length before the body is sent.
        var buffer = PooledBufferWriter.Rent();
        try
        {
            if (result.Parsed is { } parsed && _plainJson)
            {
                // Still parsed JSON: rendered straight from it, the same bytes as from the JsonObject it would become.
                parsed.WriteTo(buffer);
                response.ContentType = JsonRenderer.ContentType;
            }
            else
            {
                response.ContentType = OutputRenderer.Render(_endpoint.OutputEncoding, result.Data, context.Request.Headers.Accept.ToString(), buffer);
            }
        }
        catch
        {
            buffer.Release();
            throw;
        }

        using (var body = buffer.Detach())
        {
            response.ContentLength = body.Length;
            await response.Body.WriteAsync(body.Memory, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// No data: 500, or the backend's own status with <c>return_error_code</c>. The body stays empty unless
    /// <c>router.return_error_msg</c> is on: then it is the error text, or the backend's body for
    /// <c>return_error_code</c>.
    /// </summary>
    private Task RenderErrorAsync(HttpContext context, GatewayError? error)
    {
        var response = context.Response;
        response.Headers["X-Krakend-Completed"] = "false";
        if (error is { ReturnStatusToClient: true, BackendStatus: { } status })
        {
            response.StatusCode = status;
            if (_router.ReturnErrorMessage)
            {
                // As lura: the backend's Content-Type whenever it sent one, even with an empty body.
                if (!string.IsNullOrEmpty(error.BodyContentType))
                {
                    response.ContentType = error.BodyContentType;
                }

                if (!string.IsNullOrEmpty(error.Body))
                {
                    return response.WriteAsync(error.Body, context.RequestAborted);
                }
            }

            return Task.CompletedTask;
        }

        response.StatusCode = error?.Kind == GatewayErrorKind.InvalidRequest ? StatusCodes.Status400BadRequest : StatusCodes.Status500InternalServerError;
        if (_router.ReturnErrorMessage && error is not null)
        {
            response.ContentType = "text/plain; charset=utf-8";
            return response.WriteAsync(error.Message, context.RequestAborted);
        }

        return Task.CompletedTask;
    }

    /// <summary>no-op: the backend's status, headers and body, streamed; only hop-by-hop headers are dropped.</summary>
    private async Task PassThroughAsync(HttpContext context, HttpResponseMessage upstream)
    {
        var response = context.Response;
        response.StatusCode = (int)upstream.StatusCode;
        var connection = upstream.Headers.TryGetValues("Connection", out var connectionValues) ? string.Join(',', connectionValues) : null;
        CopyHeaders(upstream.Headers.NonValidated, response.Headers, connection);
        CopyHeaders(upstream.Content.Headers.NonValidated, response.Headers, connection);
        response.Headers["X-Krakend"] = _router.VersionHeader;
        response.Headers["X-Krakend-Completed"] = "false";

        var body = await upstream.Content.ReadAsStreamAsync(context.RequestAborted).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            var result = await StreamCopier.CopyAsync(body, response.Body, context.RequestAborted).ConfigureAwait(false);
            if (result != StreamCopyResult.Success)
            {
                // A truncated body must never look complete: reset the client connection.
                context.Abort();
            }
        }
    }

    private static void CopyHeaders(System.Net.Http.Headers.HttpHeadersNonValidated source, IHeaderDictionary target, string? connection)
    {
        foreach (var (name, values) in source)
        {
            if (HeaderRules.IsHopByHop(name, connection))
            {
                continue;
            }

            if (values.Count == 1)
            {
                var single = values.ToString();
                if (HeaderRules.IsSafeValue(single))
                {
                    target[name] = single;
                }

                continue;
            }

            var array = new string[values.Count];
            var i = 0;
            foreach (var value in values)
            {
                array[i++] = value;
            }

            target[name] = array;
        }
    }
}
