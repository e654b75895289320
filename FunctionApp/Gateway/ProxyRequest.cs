using Microsoft.Extensions.Primitives;

namespace FunctionApp.Gateway;

/// <summary>
/// The request as the proxy layers see it (Lura's <c>proxy.Request</c>): already filtered by the router, so it holds
/// only the headers and query strings the endpoint allows, plus the ones the gateway adds.
/// </summary>
public sealed record ProxyRequest
{
    public required string Method { get; init; }

    /// <summary>Endpoint parameters by name, as declared in the endpoint (<c>{id}</c> → <c>id</c>).</summary>
    public required IReadOnlyDictionary<string, string> Params { get; init; }

    /// <summary>Headers to send upstream (already filtered; never hop-by-hop headers or function keys).</summary>
    public required IReadOnlyList<KeyValuePair<string, StringValues>> Headers { get; init; }

    /// <summary>Query parameters to send upstream, already filtered.</summary>
    public required IReadOnlyList<KeyValuePair<string, StringValues>> Query { get; init; }

    /// <summary>The client's body, streamed; null when the request has none.</summary>
    public Stream? Body { get; init; }

    /// <summary>The client's <c>Content-Length</c>, when it sent one.</summary>
    public long? ContentLength { get; init; }
}
