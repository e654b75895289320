using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FunctionApp.Gateway.Configuration;
using Microsoft.Extensions.Primitives;
using Polly;
using Polly.Timeout;

namespace FunctionApp.Gateway.Backends;

/// <summary>
/// The innermost layer: calls one backend over HTTP (Lura's HTTP proxy + request executor). It fills the
/// url_pattern, picks a host (round-robin), sends the filtered headers and the streamed body through the backend's
/// Polly pipeline (the endpoint timeout), checks the status and decodes the body with the backend's encoding.
/// </summary>
public sealed class BackendProxy
{
    /// <summary>Largest JSON body the gateway decodes; larger ones are a decode error, not an out-of-memory.</summary>
    public const long MaxDecodedBodyBytes = 32 * 1024 * 1024;

    private readonly BackendModel _backend;
    private readonly HttpMessageInvoker _invoker;
    private readonly ResiliencePipeline _pipeline;
    private readonly HttpMethod _method;
    private readonly bool _passThrough;
    private uint _nextHost;

    public BackendProxy(BackendModel backend, HttpMessageInvoker invoker, ResiliencePipeline pipeline)
    {
        _backend = backend;
        _invoker = invoker;
        _pipeline = pipeline;
        _method = HttpMethod.Parse(backend.Method);
        _passThrough = backend.Encoding == "no-op";
        _nextHost = (uint)Random.Shared.Next();
    }

    /// <summary>Builds the Polly pipeline of one backend: for now the endpoint timeout, applied to the whole call.</summary>
    public static ResiliencePipeline CreatePipeline(BackendModel backend, TimeProvider timeProvider) =>
        new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddTimeout(backend.Timeout)
            .Build();

    public async ValueTask<ProxyResponse> SendAsync(ProxyRequest request, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    try
                    {
                        return Outcome.FromResult(await state.Self.SendOnceAsync(state.Request, ctx.CancellationToken).ConfigureAwait(false));
                    }
                    catch (Exception e)
                    {
                        return Outcome.FromException<ProxyResponse>(e);
                    }
                },
                context,
                (Self: this, Request: request)).ConfigureAwait(false);

            return outcome.Exception switch
            {
                null => outcome.Result!,
                TimeoutRejectedException => ProxyResponse.Failed(new GatewayError(GatewayErrorKind.Timeout, "context deadline exceeded")),
                OperationCanceledException when cancellationToken.IsCancellationRequested => ProxyResponse.Failed(new GatewayError(GatewayErrorKind.ClientCanceled, "context canceled")),
                HttpRequestException e => ProxyResponse.Failed(new GatewayError(GatewayErrorKind.Network, $"{_backend.Method} {_backend.UrlPattern}: {e.Message}")),
                _ => ProxyResponse.Failed(new GatewayError(GatewayErrorKind.Network, $"{_backend.Method} {_backend.UrlPattern}: {outcome.Exception.Message}")),
            };
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task<ProxyResponse> SendOnceAsync(ProxyRequest request, CancellationToken cancellationToken)
    {
        if (BuildUri(request) is not { } uri)
        {
            return ProxyResponse.Failed(new GatewayError(GatewayErrorKind.InvalidRequest, "error: encoded url params"));
        }

        using var message = BuildRequest(request, uri);
        var response = await _invoker.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (_passThrough)
        {
            // no-op: every status passes through; the caller streams the body and disposes the response.
            return ProxyResponse.PassThrough(response);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is not (200 or 201))
            {
                return ProxyResponse.Failed(new GatewayError(
                    GatewayErrorKind.InvalidStatus,
                    $"invalid status code {status} [{_backend.Method} {_backend.UrlPattern}]: {message.RequestUri}",
                    status));
            }

            return await DecodeJsonAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    internal HttpRequestMessage BuildRequest(ProxyRequest request, Uri uri)
    {
        var message = new HttpRequestMessage(_method, uri) { Version = System.Net.HttpVersion.Version11 };
        if (request.Body is not null && _method != HttpMethod.Get && _method != HttpMethod.Head)
        {
            message.Content = new StreamingRequestContent(request.Body, request.ContentLength);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (HeaderRules.ContentHeaders.Contains(name))
            {
                message.Content ??= new ByteArrayContent([]);
                message.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!);
            }
            else
            {
                message.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!);
            }
        }

        return message;
    }

    /// <summary>The backend URL, or null when a parameter cannot be placed in the url_pattern safely.</summary>
    internal Uri? BuildUri(ProxyRequest request)
    {
        var hosts = _backend.Hosts;
        var host = hosts.Count == 1 ? hosts[0] : hosts[(int)(Interlocked.Increment(ref _nextHost) % (uint)hosts.Count)];
        var url = new StringBuilder(host.Length + _backend.UrlPattern.EstimatedLength + 32);
        url.Append(host);
        if (!_backend.UrlPattern.AppendTo(url, request.Params))
        {
            return null;
        }

        AppendQuery(url, request.Query, _backend.UrlPattern.HasQuery);
        return new Uri(url.ToString(), UriKind.Absolute);
    }

    /// <summary>Appends query parameters as Go's <c>url.Values.Encode</c> does: keys sorted, values in order.</summary>
    private static void AppendQuery(StringBuilder url, IReadOnlyList<KeyValuePair<string, StringValues>> query, bool hasQuery)
    {
        if (query.Count == 0)
        {
            return;
        }

        var sorted = query.Count == 1 ? query : [.. query.OrderBy(static q => q.Key, StringComparer.Ordinal)];
        var first = !hasQuery;
        foreach (var (key, values) in sorted)
        {
            foreach (var value in values)
            {
                url.Append(first ? '?' : '&');
                first = false;
                url.Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value ?? string.Empty));
            }
        }
    }

    private static async Task<ProxyResponse> DecodeJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var content = response.Content;
        if (content.Headers.ContentLength is > MaxDecodedBodyBytes)
        {
            return ProxyResponse.Failed(new GatewayError(GatewayErrorKind.Decode, $"response body of {content.Headers.ContentLength} bytes exceeds the {MaxDecodedBodyBytes} byte limit"));
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            Stream source = stream;
            if (IsGzip(content.Headers))
            {
                source = new GZipStream(stream, CompressionMode.Decompress);
            }

            // Content-Length was checked above; this also bounds chunked and decompressed bodies.
            source = new LengthLimitedStream(source, MaxDecodedBodyBytes);

            await using (source.ConfigureAwait(false))
            {
                JsonElement root;
                try
                {
                    using var document = await JsonDocument.ParseAsync(source, default, cancellationToken).ConfigureAwait(false);
                    if (document.RootElement.ValueKind != JsonValueKind.Object)
                    {
                        return ProxyResponse.Failed(new GatewayError(GatewayErrorKind.Decode, "the backend's JSON is not an object (use encoding safejson or is_collection for arrays)"));
                    }

                    // One copy out of the pooled document; the nodes below keep referring to it.
                    root = document.RootElement.Clone();
                }
                catch (JsonException e)
                {
                    return ProxyResponse.Failed(new GatewayError(GatewayErrorKind.Decode, "invalid JSON from backend: " + e.Message));
                }
                catch (InvalidDataException e)
                {
                    return ProxyResponse.Failed(new GatewayError(GatewayErrorKind.Decode, e.Message));
                }

                return ProxyResponse.FromData(ToObject(root), isComplete: true);
            }
        }
    }

    /// <summary>
    /// Builds the object eagerly, the last of duplicate keys winning as in Go's decoder (a lazily parsed
    /// <see cref="JsonObject"/> would throw on duplicates while being rendered). Scalars stay backed by the element,
    /// so numbers keep their literal text. Depth is bounded by the parser's limit (64).
    /// </summary>
    private static JsonObject ToObject(JsonElement element)
    {
        var result = new JsonObject();
        foreach (var property in element.EnumerateObject())
        {
            result[property.Name] = ToNode(property.Value);
        }

        return result;
    }

    private static JsonNode? ToNode(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                return ToObject(element);
            case JsonValueKind.Array:
                var array = new JsonArray();
                foreach (var item in element.EnumerateArray())
                {
                    array.Add(ToNode(item));
                }

                return array;
            case JsonValueKind.Null:
                return null;
            default:
                return JsonValue.Create(element);
        }
    }

    private static bool IsGzip(HttpContentHeaders headers)
    {
        foreach (var encoding in headers.ContentEncoding)
        {
            if (encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
