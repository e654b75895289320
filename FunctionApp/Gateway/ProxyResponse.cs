using System.Text.Json.Nodes;
using FunctionApp.Gateway.Encoding;

namespace FunctionApp.Gateway;

/// <summary>
/// What a proxy layer returns (Lura's <c>proxy.Response</c> plus its error): decoded <see cref="Data"/> for
/// rendering, or, with the <c>no-op</c> encoding, the <see cref="Upstream"/> response to stream through untouched.
/// A response can carry data and an error at once (a partial result).
/// <para>
/// The data may still be held as parsed JSON (<see cref="Parsed"/>) when the endpoint only renders it back to JSON:
/// the first read of <see cref="Data"/> builds the <see cref="JsonObject"/>, so every layer sees the same data either way.
/// </para>
/// </summary>
public sealed class ProxyResponse : IDisposable
{
    private JsonObject? _data;
    private ParsedJsonObject? _parsed;

    private ProxyResponse(JsonObject? data, ParsedJsonObject? parsed, bool isComplete, HttpResponseMessage? upstream, GatewayError? error)
    {
        _data = data;
        _parsed = parsed;
        IsComplete = isComplete;
        Upstream = upstream;
        Error = error;
    }

    /// <summary>The data, built from <see cref="Parsed"/> on first read when it is held that way.</summary>
    public JsonObject? Data
    {
        get
        {
            if (_data is null && _parsed is { } parsed)
            {
                _data = parsed.ToJsonObject();
                _parsed = null;
            }

            return _data;
        }
    }

    /// <summary>True when there is data (<see cref="Data"/> is not null), without building it.</summary>
    public bool HasData => _data is not null || _parsed is not null;

    /// <summary>The data as parsed JSON, as long as nobody has read <see cref="Data"/>. Owned by this object.</summary>
    internal ParsedJsonObject? Parsed => _parsed;

    /// <summary>True when every backend answered successfully (KrakenD's <c>X-Krakend-Completed</c>).</summary>
    public bool IsComplete { get; }

    /// <summary>The backend's response, for <c>no-op</c> pass-through. Owned by this object.</summary>
    public HttpResponseMessage? Upstream { get; }

    public GatewayError? Error { get; }

    public static ProxyResponse FromData(JsonObject data, bool isComplete) => new(data, null, isComplete, null, null);

    internal static ProxyResponse FromParsed(ParsedJsonObject data, bool isComplete) => new(null, data, isComplete, null, null);

    public static ProxyResponse PassThrough(HttpResponseMessage upstream) => new(null, null, false, upstream, null);

    public static ProxyResponse Failed(GatewayError error) => new(null, null, false, null, error);

    /// <summary>Data from the backends that answered, and the error of those that did not (never complete).</summary>
    public static ProxyResponse Partial(JsonObject data, GatewayError error) => new(data, null, false, null, error);

    internal static ProxyResponse Partial(ParsedJsonObject data, GatewayError error) => new(null, data, false, null, error);

    /// <summary>Hands <see cref="Parsed"/> over to the caller (this response no longer has it, nor data).</summary>
    internal ParsedJsonObject? TakeParsed()
    {
        var parsed = _parsed;
        _parsed = null;
        return parsed;
    }

    public void Dispose()
    {
        Upstream?.Dispose();
        _parsed?.Dispose();
        _parsed = null;
    }
}
