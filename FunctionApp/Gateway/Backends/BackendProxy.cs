using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using FunctionApp.Gateway.Configuration;
using FunctionApp.Gateway.Encoding;
using Microsoft.Extensions.Primitives;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Telemetry.Layers.BackendRequest;

namespace FunctionApp.Gateway.Backends;

/// <summary>
/// The innermost layer: calls one backend over HTTP (Lura's request builder, load balancer, header filter and HTTP
/// proxy in one). It fills the url_pattern, picks a host (round-robin), applies the backend-level header and query
/// filters, sends the streamed body through the backend's Polly pipeline (circuit breaker, endpoint timeout),
/// follows redirects like Go's client, checks the status and decodes and formats the body.
/// </summary>
public sealed class BackendProxy
{
    /// <summary>Largest JSON body the gateway decodes; larger ones are a decode error, not an out-of-memory.</summary>
    public const long MaxDecodedBodyBytes = ResponseDecoder.MaxBodyBytes;

    /// <summary>Go's http.Client gives up after 10 redirects.</summary>
    public const int MaxRedirects = 10;

    /// <summary>How much of a failed backend's body is kept for <c>return_error_code</c> / <c>return_error_details</c>.</summary>
    private const int MaxErrorBodyBytes = 64 * 1024;

    private static readonly string[] SensitiveOnRedirect = ["Authorization", "Www-Authenticate", "Cookie", "Cookie2"];

    private readonly BackendModel _backend;
    private readonly HttpMessageInvoker _invoker;
    private readonly ResiliencePipeline<ProxyResponse> _pipeline;

    /// <summary>The clock of the timeout the proxy applies itself, instead of <see cref="_pipeline"/>; null: the pipeline runs.</summary>
    private readonly TimeProvider? _timeoutClock;
    private readonly BackendRequestTelemetry? _requestTelemetry;
    private readonly HttpMethod _method;
    private readonly bool _passThrough;

    /// <summary>Per host, the backend URL when the url_pattern has no placeholders (built on first use); else null.</summary>
    private readonly Uri?[]? _literalUris;
    private readonly bool _deferObjects;
    private uint _nextHost;

    /// <param name="backend">The backend's compiled config.</param>
    /// <param name="invoker">The gateway's shared HTTP client.</param>
    /// <param name="pipeline">The backend's Polly pipeline (<see cref="CreatePipeline"/>).</param>
    /// <param name="requestTelemetry">The backend-request layer (client span, round-trip and body-read metrics, trace context injection); null when off.</param>
    /// <param name="deferObjectDecoding">
    /// True when the endpoint only renders this backend's data back to JSON: a JSON object then stays parsed JSON
    /// (<see cref="ProxyResponse.Parsed"/>) until someone reads it as a <see cref="JsonObject"/>. Ignored when the
    /// backend formats its data or decodes anything but a plain <c>json</c> object.
    /// </param>
    public BackendProxy(BackendModel backend, HttpMessageInvoker invoker, ResiliencePipeline<ProxyResponse> pipeline, BackendRequestTelemetry? requestTelemetry = null, bool deferObjectDecoding = false)
        : this(backend, invoker, pipeline, null, requestTelemetry, deferObjectDecoding)
    {
    }

    private BackendProxy(BackendModel backend, HttpMessageInvoker invoker, ResiliencePipeline<ProxyResponse> pipeline, TimeProvider? timeoutClock, BackendRequestTelemetry? requestTelemetry, bool deferObjectDecoding)
    {
        _timeoutClock = timeoutClock;
        _backend = backend;
        _invoker = invoker;
        _pipeline = pipeline;
        _requestTelemetry = requestTelemetry;
        _method = HttpMethod.Parse(backend.Method);
        _passThrough = backend.Encoding == "no-op";
        _literalUris = backend.UrlPattern.IsLiteral ? new Uri?[backend.Hosts.Count] : null;
        _deferObjects = deferObjectDecoding && backend.Formatter is null && !backend.IsCollection && ResponseDecoder.IsJsonDecoder(backend.Encoding);
        _nextHost = (uint)Random.Shared.Next();
    }

    /// <summary>
    /// The backend proxy the gateway uses: with a circuit breaker, calls go through the Polly pipeline of
    /// <see cref="CreatePipeline"/>; without one, that pipeline would only apply the timeout, so the proxy applies it
    /// itself, with the same outcome (Polly's timeout rule, pooled sources on the system clock) and none of the
    /// pipeline's per-call machinery.
    /// </summary>
    /// <param name="backend">The backend's compiled config.</param>
    /// <param name="invoker">The gateway's shared HTTP client.</param>
    /// <param name="timeProvider">The clock of the timeout and of the circuit breaker.</param>
    /// <param name="logStatusChange">Logs the circuit breaker's changes, when it has <c>log_status_change</c>.</param>
    /// <param name="requestTelemetry">The backend-request layer; null when off.</param>
    /// <param name="deferObjectDecoding">See the constructor.</param>
    public static BackendProxy Create(BackendModel backend, HttpMessageInvoker invoker, TimeProvider timeProvider, Action<string, string>? logStatusChange = null, BackendRequestTelemetry? requestTelemetry = null, bool deferObjectDecoding = false)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(timeProvider);

        // Built in both cases, so that a timeout Polly would refuse is refused here too, at start-up.
        var pipeline = CreatePipeline(backend, timeProvider, logStatusChange);
        return new BackendProxy(backend, invoker, pipeline, backend.CircuitBreaker is null ? timeProvider : null, requestTelemetry, deferObjectDecoding);
    }

    /// <summary>
    /// Builds the Polly pipeline of one backend, once: the circuit breaker (when configured) outside the endpoint
    /// timeout, so a timed-out call counts as a failure.
    /// </summary>
    public static ResiliencePipeline<ProxyResponse> CreatePipeline(BackendModel backend, TimeProvider timeProvider, Action<string, string>? logStatusChange = null)
    {
        var builder = new ResiliencePipelineBuilder<ProxyResponse> { TimeProvider = timeProvider };
        if (backend.CircuitBreaker is { } breaker)
        {
            // A Polly v8 strategy with KrakenD's (gobreaker's) rule: more than max_errors failures *in a row* open the
            // circuit. Polly's built-in breaker is ratio-based over a sliding window, so one success still in the
            // window would keep a failing backend's circuit closed for up to a whole interval.
            var name = breaker.Name ?? $"{backend.ConfigPath} {backend.UrlPattern}";
            Action<string>? log = breaker.LogStatusChange && logStatusChange is not null ? state => logStatusChange(name, state) : null;
            builder.AddStrategy(_ => new ConsecutiveFailuresBreaker(breaker, timeProvider, CountsAsFailure, log));
        }

        return builder.AddTimeout(backend.Timeout).Build();
    }

    /// <summary>
    /// For the circuit breaker: true when the backend failed (an error, a status other than 200/201, a timeout),
    /// false when it answered, null when the outcome says nothing about the backend (the caller went away, or the
    /// request could not be built).
    /// </summary>
    internal static bool? CountsAsFailure(Outcome<ProxyResponse> outcome) => outcome.Exception switch
    {
        TimeoutRejectedException => true,
        OperationCanceledException => null,
        not null => true,
        null => outcome.Result!.Error switch
        {
            null => false,
            { Kind: GatewayErrorKind.ClientCanceled or GatewayErrorKind.InvalidRequest } => null,
            _ => true,
        },
    };

    public ValueTask<ProxyResponse> SendAsync(ProxyRequest request, CancellationToken cancellationToken) =>
        _timeoutClock is null ? SendThroughPipelineAsync(request, cancellationToken) : SendWithTimeoutAsync(_timeoutClock, request, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ProxyResponse> SendThroughPipelineAsync(ProxyRequest request, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static (ctx, state) => state.Self.SendOnceAsync(state.Request, ctx.CancellationToken, state.ClientAborted),
                context,
                (Self: this, Request: request, ClientAborted: cancellationToken)).ConfigureAwait(false);
            return ToResponse(outcome, cancellationToken);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// The pipeline's timeout without the pipeline (Polly's <c>TimeoutResilienceStrategy</c> rule): the call runs
    /// under a token that the timeout or the caller cancels; a cancellation that the timeout caused while the caller
    /// had not gone away is a timeout.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ProxyResponse> SendWithTimeoutAsync(TimeProvider clock, ProxyRequest request, CancellationToken cancellationToken)
    {
        var timeout = TimeoutSources.Rent(_backend.Timeout, clock);
        var registration = cancellationToken.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), timeout);
        Outcome<ProxyResponse> outcome;
        bool timedOut;
        try
        {
            outcome = await SendOnceAsync(request, timeout.Token, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            timedOut = timeout.IsCancellationRequested;
            registration.Dispose();
            TimeoutSources.Return(timeout, clock);
        }

        if (timedOut && outcome.Exception is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return ProxyResponse.Failed(new GatewayError(GatewayErrorKind.Timeout, "context deadline exceeded"));
        }

        return ToResponse(outcome, cancellationToken);
    }

    private ProxyResponse ToResponse(Outcome<ProxyResponse> outcome, CancellationToken cancellationToken) => outcome.Exception switch
    {
        null => outcome.Result!,
        TimeoutRejectedException => ProxyResponse.Failed(new GatewayError(GatewayErrorKind.Timeout, "context deadline exceeded")),
        BrokenCircuitException => ProxyResponse.Failed(new GatewayError(GatewayErrorKind.CircuitOpen, "circuit breaker is open")),
        OperationCanceledException when cancellationToken.IsCancellationRequested => ProxyResponse.Failed(new GatewayError(GatewayErrorKind.ClientCanceled, "context canceled")),
        HttpRequestException e => ProxyResponse.Failed(new GatewayError(GatewayErrorKind.Network, $"{_backend.Method} {_backend.UrlPattern}: {e.Message}")),
        _ => ProxyResponse.Failed(new GatewayError(GatewayErrorKind.Network, $"{_backend.Method} {_backend.UrlPattern}: {outcome.Exception.Message}")),
    };

    /// <summary>
    /// One call through the pipeline: the request (following redirects), then the status check and the decoding.
    /// Every failure becomes the outcome's exception. One async method for the whole call, so a request pays for one
    /// state machine here, not one per step.
    /// </summary>
    /// <param name="request">The filtered request.</param>
    /// <param name="cancellationToken">The pipeline's token: the timeout and the caller.</param>
    /// <param name="clientAborted">The caller's token alone, so telemetry can tell a timeout from a cancellation.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome<ProxyResponse>> SendOnceAsync(ProxyRequest request, CancellationToken cancellationToken, CancellationToken clientAborted)
    {
        try
        {
            if (BuildUri(request) is not { } uri)
            {
                return Outcome.FromResult(ProxyResponse.Failed(new GatewayError(GatewayErrorKind.InvalidRequest, "error: encoded url params")));
            }

            // A body that may have to be sent again after a 307/308 must be replayable.
            byte[]? replayableBody = null;
            if (_backend.SendBodyOnRedirect && request.Body is not null && HasBody(_method))
            {
                using var copy = new MemoryStream();
                await request.Body.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
                replayableBody = copy.ToArray();
            }

            // Go's client rules: up to 10 hops; 301/302/303 turn into GET without a body (HEAD stays HEAD); 307/308
            // keep the method and body only when the body can be sent again; Referer is set; credentials are dropped
            // when the host changes.
            var method = _method;
            var sendBody = true;
            var originalHost = uri.Authority;
            var stripCredentials = false;
            HttpResponseMessage response;
            for (var sent = 1; ; sent++)
            {
                using (var message = BuildRequest(request, uri, method, sendBody, replayableBody, stripCredentials))
                {
                    // Each hop is its own round trip for telemetry, as in Go's instrumented transport.
                    response = _requestTelemetry is null
                        ? await _invoker.SendAsync(message, cancellationToken).ConfigureAwait(false)
                        : await _requestTelemetry.SendPooledAsync(_invoker, message, cancellationToken, clientAborted).ConfigureAwait(false);
                }

                if (!IsRedirect(response, method, sendBody, request, replayableBody, out var location))
                {
                    break;
                }

                var redirectStatus = (int)response.StatusCode;
                response.Dispose();
                if (sent == MaxRedirects)
                {
                    // Go's client sends at most 10 requests for one call.
                    throw new HttpRequestException($"stopped after {MaxRedirects} redirects");
                }

                var next = location.IsAbsoluteUri ? location : new Uri(uri, location);
                if (next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps)
                {
                    throw new HttpRequestException($"redirect to unsupported scheme {next.Scheme}");
                }

                if (redirectStatus is 301 or 302 or 303)
                {
                    method = method == HttpMethod.Head ? HttpMethod.Head : HttpMethod.Get;
                    sendBody = false;
                }

                // Once a hop has left the original host, credentials are never sent again, even if it comes back.
                stripCredentials |= !string.Equals(next.Authority, originalHost, StringComparison.OrdinalIgnoreCase);
                var previous = uri;
                uri = next;
                request = request with { Headers = WithReferer(request.Headers, previous, next) };
            }

            if (_passThrough)
            {
                // no-op: every status passes through; the caller streams the body and disposes the response.
                return Outcome.FromResult(ProxyResponse.PassThrough(response));
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                if (status is not (200 or 201))
                {
                    return Outcome.FromResult(await StatusErrorAsync(response, status, cancellationToken).ConfigureAwait(false));
                }

                return Outcome.FromResult(await DecodeAsync(response, cancellationToken).ConfigureAwait(false));
            }
        }
        catch (Exception e)
        {
            return Outcome.FromException<ProxyResponse>(e);
        }
    }

    /// <summary>
    /// True when <paramref name="response"/> is a redirect to follow: 301/302/303/307/308 with a Location, except a
    /// 307/308 whose body cannot be sent again (Go returns the redirect itself then).
    /// </summary>
    private static bool IsRedirect(HttpResponseMessage response, HttpMethod method, bool sendBody, ProxyRequest request, byte[]? replayableBody, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? location)
    {
        var status = (int)response.StatusCode;
        location = null;
        if (status is not (301 or 302 or 303 or 307 or 308) || response.Headers.Location is not { } target)
        {
            return false;
        }

        if (status is 307 or 308 && sendBody && HasBody(method) && request.Body is not null && replayableBody is null)
        {
            return false;
        }

        location = target;
        return true;
    }

    private static List<KeyValuePair<string, StringValues>> WithReferer(IReadOnlyList<KeyValuePair<string, StringValues>> headers, Uri previous, Uri next)
    {
        var result = new List<KeyValuePair<string, StringValues>>(headers.Count + 1);
        foreach (var header in headers)
        {
            if (!header.Key.Equals("Referer", StringComparison.OrdinalIgnoreCase))
            {
                result.Add(header);
            }
        }

        if (!(previous.Scheme == Uri.UriSchemeHttps && next.Scheme == Uri.UriSchemeHttp))
        {
            result.Add(new("Referer", previous.GetComponents(UriComponents.HttpRequestUrl, UriFormat.UriEscaped)));
        }

        return result;
    }

    private static bool HasBody(HttpMethod method) => method != HttpMethod.Get && method != HttpMethod.Head;

    internal HttpRequestMessage BuildRequest(ProxyRequest request, Uri uri) => BuildRequest(request, uri, _method, true, null, false);

    private HttpRequestMessage BuildRequest(ProxyRequest request, Uri uri, HttpMethod method, bool sendBody, byte[]? replayableBody, bool stripCredentials)
    {
        var message = new HttpRequestMessage(method, uri) { Version = HttpVersion.Version11 };
        if (sendBody && HasBody(method))
        {
            if (replayableBody is not null)
            {
                message.Content = new ByteArrayContent(replayableBody);
            }
            else if (request.Body is not null)
            {
                message.Content = new StreamingRequestContent(request.Body, request.ContentLength);
            }
        }

        var filter = _backend.InputHeaders;
        var headers = request.Headers;
        for (var h = 0; h < headers.Count; h++)
        {
            // Indexed: enumerating the list through its interface would allocate an enumerator.
            var (name, values) = headers[h];
            // The backend-level list filters again, after the gateway's own headers were added (as in Lura).
            if (filter is not null && !filter.Allows(name))
            {
                continue;
            }

            if (stripCredentials && IsSensitiveOnRedirect(name))
            {
                continue;
            }

            System.Net.Http.Headers.HttpHeaders target;
            if (HeaderRules.ContentHeaders.Contains(name))
            {
                if (message.Content is null && !sendBody)
                {
                    continue;
                }

                message.Content ??= new ByteArrayContent([]);
                target = message.Content.Headers;
            }
            else
            {
                target = message.Headers;
            }

            // The single-value overload stores the string as it is; the sequence overload would box the StringValues.
            if (values.Count == 1 && values[0] is { } single)
            {
                target.TryAddWithoutValidation(name, single);
            }
            else
            {
                target.TryAddWithoutValidation(name, (IEnumerable<string>)values!);
            }
        }

        return message;
    }

    private static bool IsSensitiveOnRedirect(string name)
    {
        foreach (var sensitive in SensitiveOnRedirect)
        {
            if (sensitive.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The backend URL, or null when a parameter cannot be placed in the url_pattern safely.</summary>
    internal Uri? BuildUri(ProxyRequest request)
    {
        var hosts = _backend.Hosts;
        var index = hosts.Count == 1 ? 0 : (int)(Interlocked.Increment(ref _nextHost) % (uint)hosts.Count);
        var host = hosts[index];
        if (_literalUris is { } literalUris && request.Query.Count == 0)
        {
            // A url_pattern without placeholders and no query to add: the URL of each host never changes, so it is
            // built once (a Uri is immutable and safe to share between requests).
            return literalUris[index] ??= new Uri(host + _backend.UrlPattern.Text, UriKind.Absolute);
        }

        var url = new StringBuilder(host.Length + _backend.UrlPattern.EstimatedLength + 32);
        url.Append(host);
        if (!_backend.UrlPattern.AppendTo(url, request.Params))
        {
            return null;
        }

        AppendQuery(url, request.Query, _backend.UrlPattern.HasQuery, _backend.InputQueryStrings);
        return new Uri(url.ToString(), UriKind.Absolute);
    }

    /// <summary>Appends query parameters as Go's <c>url.Values.Encode</c> does: keys sorted, values in order.</summary>
    private static void AppendQuery(StringBuilder url, IReadOnlyList<KeyValuePair<string, StringValues>> query, bool hasQuery, ForwardingList? filter)
    {
        if (query.Count == 0)
        {
            return;
        }

        var sorted = query.Count == 1 ? query : [.. query.OrderBy(static q => q.Key, StringComparer.Ordinal)];
        var first = !hasQuery;
        foreach (var (key, values) in sorted)
        {
            if (filter is not null && !filter.Allows(key))
            {
                continue;
            }

            foreach (var value in values)
            {
                url.Append(first ? '?' : '&');
                first = false;
                url.Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value ?? string.Empty));
            }
        }
    }

    /// <summary>
    /// A status other than 200/201 (Lura's status handlers): an error, carrying the backend's status and body when
    /// <c>return_error_code</c> asks for them, or, with <c>return_error_details</c>, data under
    /// <c>error_&lt;name&gt;</c> that makes the response incomplete.
    /// </summary>
    private async ValueTask<ProxyResponse> StatusErrorAsync(HttpResponseMessage response, int status, CancellationToken cancellationToken)
    {
        var message = $"invalid status code {status} [{_backend.Method} {_backend.UrlPattern}]: {response.RequestMessage?.RequestUri}";
        var errors = _backend.Errors;
        if (!errors.ReturnErrorCode && errors.ReturnErrorDetails is null)
        {
            return ProxyResponse.Failed(new GatewayError(GatewayErrorKind.InvalidStatus, message, status));
        }

        var body = await ReadTextAsync(response.Content, cancellationToken).ConfigureAwait(false);
        var contentType = response.Content.Headers.ContentType?.ToString() ?? string.Empty;
        if (errors.ReturnErrorDetails is { } name)
        {
            // Lura's struct fields carry omitempty: empty body and content type are left out.
            var details = new JsonObject { ["http_status_code"] = status };
            if (body.Length > 0)
            {
                details["http_body"] = body;
            }

            if (contentType.Length > 0)
            {
                details["http_body_encoding"] = contentType;
            }

            JsonRenderer.PreserveOrder(details);
            return ProxyResponse.FromData(new JsonObject { ["error_" + name] = details }, isComplete: false);
        }

        // In Lura the error of return_error_code *is* the backend's body; it becomes the text of a merged 500.
        return ProxyResponse.Failed(new GatewayError(GatewayErrorKind.InvalidStatus, body, status)
        {
            ReturnStatusToClient = true,
            Body = body,
            BodyContentType = contentType,
        });
    }

    private static async Task<string> ReadTextAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[MaxErrorBodyBytes];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
            }

            return System.Text.Encoding.UTF8.GetString(buffer, 0, length);
        }
    }

    private async ValueTask<ProxyResponse> DecodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var content = response.Content;
        if (content.Headers.ContentLength is > MaxDecodedBodyBytes)
        {
            return ProxyResponse.Failed(new GatewayError(GatewayErrorKind.Decode, $"response body of {content.Headers.ContentLength} bytes exceeds the {MaxDecodedBodyBytes} byte limit"));
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            // Go's transport decompresses gzip transparently; the decoder bounds what it reads after that.
            var source = IsGzip(content.Headers) ? new GZipStream(stream, CompressionMode.Decompress) : stream;
            await using (source.ConfigureAwait(false))
            {
                DecodeResult decoded;
                try
                {
                    decoded = _deferObjects
                        ? await ResponseDecoder.DecodeDeferringObjectAsync(_backend.Encoding, _backend.IsCollection, source, cancellationToken).ConfigureAwait(false)
                        : await ResponseDecoder.DecodeAsync(_backend.Encoding, _backend.IsCollection, source, cancellationToken).ConfigureAwait(false);
                }
                catch (InvalidDataException e)
                {
                    return ProxyResponse.Failed(new GatewayError(GatewayErrorKind.Decode, e.Message));
                }

                if (decoded.Parsed is { } parsed)
                {
                    return ProxyResponse.FromParsed(parsed, isComplete: true);
                }

                if (decoded.Data is not { } data)
                {
                    return ProxyResponse.Failed(new GatewayError(GatewayErrorKind.Decode, decoded.Error ?? "nothing to decode"));
                }

                return ProxyResponse.FromData(_backend.Formatter is { } formatter ? formatter.Format(data) : data, isComplete: true);
            }
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
