using System.Text.Json.Nodes;

namespace FunctionApp.Gateway;

/// <summary>
/// What a proxy layer returns (Lura's <c>proxy.Response</c> plus its error): decoded <see cref="Data"/> for
/// rendering, or, with the <c>no-op</c> encoding, the <see cref="Upstream"/> response to stream through untouched.
/// A response can carry data and an error at once (a partial result).
/// </summary>
public sealed class ProxyResponse : IDisposable
{
    private ProxyResponse(JsonObject? data, bool isComplete, HttpResponseMessage? upstream, GatewayError? error)
    {
        Data = data;
        IsComplete = isComplete;
        Upstream = upstream;
        Error = error;
    }

    public JsonObject? Data { get; }

    /// <summary>True when every backend answered successfully (KrakenD's <c>X-Krakend-Completed</c>).</summary>
    public bool IsComplete { get; }

    /// <summary>The backend's response, for <c>no-op</c> pass-through. Owned by this object.</summary>
    public HttpResponseMessage? Upstream { get; }

    public GatewayError? Error { get; }

    public static ProxyResponse FromData(JsonObject data, bool isComplete) => new(data, isComplete, null, null);

    public static ProxyResponse PassThrough(HttpResponseMessage upstream) => new(null, false, upstream, null);

    public static ProxyResponse Failed(GatewayError error) => new(null, false, null, error);

    /// <summary>Data from the backends that answered, and the error of those that did not (never complete).</summary>
    public static ProxyResponse Partial(JsonObject data, GatewayError error) => new(data, false, null, error);

    public void Dispose() => Upstream?.Dispose();
}
