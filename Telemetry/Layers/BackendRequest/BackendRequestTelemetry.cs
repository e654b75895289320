using System.Diagnostics;
using System.Runtime.CompilerServices;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using Telemetry.Configuration;
using Telemetry.Instrumentation;

namespace Telemetry.Layers.BackendRequest;

/// <summary>
/// The backend-request layer (§1, §4.5–§4.7, §5.5–§5.8): one HTTP round trip to a backend, from sending the request
/// until the response headers arrive, plus the reading of the response body. Built once per configured backend; the
/// gateway sends each request through <see cref="SendAsync"/>. Deliberate differences from KrakenD:
/// <list type="bullet">
/// <item><c>server.port</c> is the URL's port, explicit or the scheme's default (KrakenD reports 80 or 0, Q1).</item>
/// <item><c>round_trip: false</c> turns the round-trip metrics and the client span off even with
/// <c>read_payload: true</c> (KrakenD keeps them, Q4).</item>
/// <item>A body closed unread records size 0 and time 0 (KrakenD: ~9.2e9 s, Q5).</item>
/// <item><c>http.response.body.size</c> is set only when the response has a Content-Length (KrakenD: -1, Q7).</item>
/// <item>The trace context is injected whenever there is one, also when the client span is off or not recorded
/// (KrakenD: only from a recording client span, Q3), replacing any of the propagator's headers the request already
/// carries (forwarded from the client): a proxy that starts a span must send its own context.</item>
/// <item>Reported secret headers are redacted (<see cref="HeaderReportPolicy"/>); <c>url.full</c> leaves out any
/// user:password of the URL.</item>
/// </list>
/// </summary>
public sealed class BackendRequestTelemetry
{
    private const string ClientNameKey = TelemetryAttributes.ClientName;

    private static readonly Action<HttpRequestMessage, string, string> HeaderSetter = static (request, name, value) =>
    {
        request.Headers.Remove(name);
        request.Headers.TryAddWithoutValidation(name, value);
    };

    private readonly TelemetrySources _sources;
    private readonly BackendRequestIdentity _identity;
    private readonly TextMapPropagator? _propagator;
    private readonly string[] _propagatorFields;

    private readonly RoundTripInstruments? _roundTrip;
    private readonly bool _detailedMetrics;
    private readonly KeyValuePair<string, object?>[] _roundTripTags;

    private readonly bool _clientSpan;
    private readonly bool _detailedTraces;
    private readonly KeyValuePair<string, object?>[] _traceTags;
    private readonly bool _reportHeaders;
    private readonly HeaderReportPolicy _headerPolicy;

    private readonly ResponseReadTracking? _readTracking;
    private object? _boxedPort;

    private BackendRequestTelemetry(
        TelemetrySources sources,
        BackendLayerOptions options,
        BackendRequestIdentity identity,
        bool semanticConvention127,
        TextMapPropagator? propagator,
        string[] propagatorFields)
    {
        _sources = sources;
        _identity = identity;
        _propagator = propagator;
        _propagatorFields = propagatorFields;

        var metrics = options.Metrics;
        var traces = options.Traces;
        KeyValuePair<string, object?>[] identityTags =
        [
            new(TelemetryAttributes.HttpRequestMethod, identity.ConfiguredMethod),
            new(TelemetryAttributes.HttpRoute, identity.Route),
            new(TelemetryAttributes.EndpointRoute, identity.EndpointRoute),
            new(TelemetryAttributes.EndpointMethod, identity.EndpointMethod),
        ];

        // Later entries win on a key collision, as with Go's attribute sets (§2.9).
        var metricTags = Merge(identityTags, StaticAttributes.ToTags(metrics.StaticAttributes));
        _roundTripTags = Array.FindAll(metricTags, static tag => tag.Key is not (ClientNameKey or TelemetryAttributes.HttpRequestMethod
            or TelemetryAttributes.ServerAddress or TelemetryAttributes.ServerPort or TelemetryAttributes.HttpResponseStatusCode));
        _traceTags = Merge([.. identityTags, new(TelemetryAttributes.Stage, TelemetryAttributes.StageBackendRequest)], StaticAttributes.ToTags(traces.StaticAttributes));

        if (metrics.RoundTrip)
        {
            _roundTrip = RoundTripInstruments.For(sources, semanticConvention127);
            _detailedMetrics = metrics.DetailedConnection;
        }

        _clientSpan = traces.RoundTrip;
        _detailedTraces = traces.RoundTrip && traces.DetailedConnection;
        _reportHeaders = traces.RoundTrip && traces.ReportHeaders;
        _headerPolicy = traces.CreateHeaderPolicy();

        if (metrics.ReadPayload || traces.ReadPayload)
        {
            _readTracking = new ResponseReadTracking(
                sources.ActivitySource,
                metrics.ReadPayload ? ReadInstruments.For(sources) : null,
                metricTags,
                traces.ReadPayload ? _traceTags : null);
        }

        if (_detailedMetrics || _detailedTraces)
        {
            ConnectionTimings.EnsureListening();
        }
    }

    /// <summary>
    /// The layer for one backend, or null when it has nothing to do: neither metrics nor traces have
    /// <c>round_trip</c> or <c>read_payload</c>, and <paramref name="propagator"/> injects no header (its
    /// <see cref="TextMapPropagator.Fields"/> are empty, e.g. <c>OTEL_PROPAGATORS=none</c>). With the flags off but a
    /// propagator, the instance only injects the current trace context (the Q3 fix).
    /// </summary>
    /// <param name="sources">The gateway's ActivitySource and Meter; instruments are created once per instance and shared by every backend.</param>
    /// <param name="options">The backend's resolved <c>layers.backend</c> (overrides applied).</param>
    /// <param name="identity">The backend's routes and methods.</param>
    /// <param name="semanticConvention127">True when <c>layers.global.semantic_convention</c> is <c>"1.27"</c>.</param>
    /// <param name="propagator">The propagator chosen by <c>OTEL_PROPAGATORS</c>.</param>
    public static BackendRequestTelemetry? Create(
        TelemetrySources sources,
        BackendLayerOptions options,
        BackendRequestIdentity identity,
        bool semanticConvention127,
        TextMapPropagator propagator)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(propagator);
        string[] fields = propagator.Fields is { } set ? [.. set] : [];
        var records = options.Metrics.RoundTrip || options.Metrics.ReadPayload || options.Traces.RoundTrip || options.Traces.ReadPayload;
        if (!records && fields.Length == 0)
        {
            return null;
        }

        return new BackendRequestTelemetry(sources, options, identity, semanticConvention127, fields.Length == 0 ? null : propagator, fields);
    }

    /// <summary>
    /// Sends <paramref name="request"/> through <paramref name="invoker"/> with the trace context injected, and
    /// records the round trip. On success the response's content is replaced by one that tracks the body read (when
    /// <c>read_payload</c> is on); the caller reads and disposes it as usual.
    /// </summary>
    /// <param name="invoker">The shared backend client.</param>
    /// <param name="request">The outgoing request; its headers receive the trace context.</param>
    /// <param name="cancellationToken">The token the request is sent with, cancelled by the backend timeout or the client.</param>
    /// <param name="clientAborted">
    /// Cancelled when the gateway's own caller went away. It tells a timeout from a cancellation, as Go's context
    /// error does: a failure while it is cancelled counts as <c>canceled</c> (not failed); a failure after
    /// <paramref name="cancellationToken"/> alone was cancelled counts as <c>timedout</c> and <c>failed</c>. Without
    /// it (<c>default</c>), every cancellation of <paramref name="cancellationToken"/> counts as <c>canceled</c>.
    /// </param>
    public Task<HttpResponseMessage> SendAsync(
        HttpMessageInvoker invoker,
        HttpRequestMessage request,
        CancellationToken cancellationToken,
        CancellationToken clientAborted = default) =>
        SendPooledAsync(invoker, request, cancellationToken, clientAborted).AsTask();

    /// <summary>
    /// <see cref="SendAsync"/> for the gateway's hot path: the same, as a <see cref="ValueTask{TResult}"/> whose state
    /// machine is pooled. Await it exactly once.
    /// </summary>
    /// <param name="invoker">The shared backend client.</param>
    /// <param name="request">The outgoing request; its headers receive the trace context.</param>
    /// <param name="cancellationToken">The token the request is sent with.</param>
    /// <param name="clientAborted">Cancelled when the gateway's own caller went away (see <see cref="SendAsync"/>).</param>
    public ValueTask<HttpResponseMessage> SendPooledAsync(
        HttpMessageInvoker invoker,
        HttpRequestMessage request,
        CancellationToken cancellationToken,
        CancellationToken clientAborted = default)
    {
        ArgumentNullException.ThrowIfNull(invoker);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.RequestUri);
        return SendCoreAsync(invoker, request, cancellationToken, clientAborted);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<HttpResponseMessage> SendCoreAsync(
        HttpMessageInvoker invoker,
        HttpRequestMessage request,
        CancellationToken cancellationToken,
        CancellationToken clientAborted)
    {
        var parent = RemoteParent.ForNewSpan();
        var before = ExecutionContext.Capture();
        var span = _clientSpan ? _sources.ActivitySource.StartActivity(_identity.Route, ActivityKind.Client, parent) : null;
        if (span is { IsAllDataRequested: true })
        {
            SetRequestTags(span, request);
        }

        var context = span?.Context ?? parent;
        Inject(context, request);

        var recordMetrics = _roundTrip is not null && _roundTrip.AnyEnabled(_detailedMetrics);
        var timings = (recordMetrics && _detailedMetrics) || (_detailedTraces && span is { IsAllDataRequested: true })
            ? ConnectionTimings.Begin()
            : null;

        // The span and the timings are this method's only async-locals, and both end with it: once the response is
        // in, the span's stop may go back to the context of before the span (SpanEnding.RestoreBefore).
        var afterStart = span is null ? null : ExecutionContext.Capture();

        var startedAt = Stopwatch.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await invoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var failedAfter = Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
            if (recordMetrics)
            {
                var canceled = clientAborted.CanBeCanceled ? clientAborted.IsCancellationRequested : cancellationToken.IsCancellationRequested;
                var timedOut = !canceled && cancellationToken.IsCancellationRequested;
                RecordRoundTrip(request, response: null, canceled, timedOut, failedAfter, timings);
            }

            if (span is not null)
            {
                if (span.IsAllDataRequested)
                {
                    span.AddException(e);
                }

                span.SetStatus(ActivityStatusCode.Error, e.Message);
                SpanEnding.Stop(span, before, afterStart);
            }

            throw;
        }

        var elapsed = Stopwatch.GetElapsedTime(startedAt);
        if (recordMetrics)
        {
            RecordRoundTrip(request, response, canceled: false, timedOut: false, elapsed.TotalSeconds, timings);
        }

        if (_readTracking is { IsActive: true })
        {
            response.Content = new TrackedResponseContent(response.Content, new ResponseReadTracker(_readTracking, context));
        }

        if (span is not null)
        {
            if (span.IsAllDataRequested)
            {
                SetResponseTags(span, response, elapsed, timings);
            }

            span.SetStatus(ActivityStatusCode.Ok);
            SpanEnding.Stop(span, before, afterStart);
        }

        return response;
    }

    private void Inject(ActivityContext context, HttpRequestMessage request)
    {
        if (_propagator is null)
        {
            return;
        }

        var baggage = Baggage.Current;
        if (context == default && baggage.Count == 0)
        {
            return; // no trace to continue: whatever the request carries is passed through untouched
        }

        foreach (var field in _propagatorFields)
        {
            request.Headers.Remove(field);
        }

        _propagator.Inject(new PropagationContext(context, baggage), request, HeaderSetter);
    }

    private void RecordRoundTrip(HttpRequestMessage request, HttpResponseMessage? response, bool canceled, bool timedOut, double seconds, ConnectionTimings? timings)
    {
        var instruments = _roundTrip!;
        var uri = request.RequestUri!;
        var status = response is null ? 0 : (int)response.StatusCode;
        var tags = new TagList(_roundTripTags)
        {
            { ClientNameKey, _identity.Route },
            { TelemetryAttributes.HttpRequestMethod, request.Method.Method },
            { TelemetryAttributes.ServerAddress, uri.HostNameType == UriHostNameType.IPv6 ? uri.DnsSafeHost : uri.Host },
            { TelemetryAttributes.ServerPort, BoxPort(uri.Port) },
            { TelemetryAttributes.HttpResponseStatusCode, BoxStatus(status) },
        };

        var counters = !instruments.IsSemanticConvention127 || _detailedMetrics;
        if (counters)
        {
            Add(instruments.Started, 1, tags);
        }

        if (RequestContentLength(request) is { } requestLength)
        {
            if (instruments.RequestSize is { Enabled: true } requestSize)
            {
                requestSize.Add(requestLength, tags);
            }

            if (instruments.RequestBodySize is { Enabled: true } requestBodySize)
            {
                requestBodySize.Record(requestLength, tags);
            }
        }

        if (response is null && counters)
        {
            if (canceled)
            {
                // A cancelled round trip is not a failed one.
                Add(instruments.Canceled, 1, tags);
            }
            else
            {
                if (timedOut)
                {
                    Add(instruments.TimedOut, 1, tags);
                }

                Add(instruments.Failed, 1, tags);
            }
        }

        if (instruments.Duration.Enabled)
        {
            instruments.Duration.Record(seconds, tags);
        }

        if (response is not null && request.Method != HttpMethod.Head)
        {
            if (ResponseContentLength(response) is { } responseLength)
            {
                if (instruments.ResponseSize.Enabled)
                {
                    instruments.ResponseSize.Record(responseLength, tags);
                }
            }
            else if (counters)
            {
                Add(instruments.NoContentLength, 1, tags);
            }
        }

        if (_detailedMetrics && timings is not null)
        {
            Record(instruments.GetConnDuration, timings.GetConnSeconds, tags);
            Record(instruments.DnsDuration, timings.DnsSeconds, tags);
            Record(instruments.TlsDuration, timings.TlsSeconds, tags);
        }
    }

    private void SetRequestTags(Activity span, HttpRequestMessage request)
    {
        StaticAttributes.SetOn(span, _traceTags);
        var uri = request.RequestUri!;
        span.SetTag(TelemetryAttributes.UrlFull, uri.UserInfo.Length == 0
            ? uri.AbsoluteUri
            : uri.GetComponents(UriComponents.AbsoluteUri & ~UriComponents.UserInfo, UriFormat.UriEscaped));
        span.SetTag(TelemetryAttributes.ServerAddress, request.Headers.Host ?? uri.Authority);
        span.SetTag(TelemetryAttributes.HttpRequestMethod, request.Method.Method);
        if (RequestContentLength(request) is { } length)
        {
            span.SetTag(TelemetryAttributes.HttpRequestBodySize, BoxedValues.Long(length));
        }

        if (request.Headers.NonValidated.TryGetValues("User-Agent", out var userAgent))
        {
            span.SetTag(TelemetryAttributes.UserAgentOriginal, userAgent.ToString());
        }

        if (_reportHeaders)
        {
            // Before injection: the trace headers are not part of what the gateway sends on its own (§5.5).
            MessageHeaderReporting.Add(span, TelemetryAttributes.RequestHeaderPrefix, _headerPolicy, request.Headers);
            if (request.Content is { } content)
            {
                MessageHeaderReporting.Add(span, TelemetryAttributes.RequestHeaderPrefix, _headerPolicy, content.Headers);
            }
        }
    }

    private void SetResponseTags(Activity span, HttpResponseMessage response, TimeSpan elapsed, ConnectionTimings? timings)
    {
        span.SetTag(TelemetryAttributes.HttpResponseStatusCode, BoxStatus((int)response.StatusCode));
        if (ResponseContentLength(response) is { } length)
        {
            span.SetTag(TelemetryAttributes.HttpResponseBodySize, BoxedValues.Long(length));
        }

        if (_reportHeaders)
        {
            MessageHeaderReporting.Add(span, TelemetryAttributes.ResponseHeaderPrefix, _headerPolicy, response.Headers);
            MessageHeaderReporting.Add(span, TelemetryAttributes.ResponseHeaderPrefix, _headerPolicy, response.Content.Headers);
        }

        span.SetTag("response-duration", elapsed.TotalSeconds);
        if (_detailedTraces)
        {
            span.SetTag("get-conn-duration", BoxedValues.Seconds(timings?.GetConnSeconds ?? 0d));
            span.SetTag("dns-duration", BoxedValues.Seconds(timings?.DnsSeconds ?? 0d));
            span.SetTag("tls-duration", BoxedValues.Seconds(timings?.TlsSeconds ?? 0d));

            // .NET has no hook for the first response byte: the event marks when the response headers had been read.
            span.AddEvent(new ActivityEvent("first-byte-time", span.StartTimeUtc + elapsed));
        }
    }

    /// <summary>Go's <c>Request.ContentLength</c>: 0 without a body, the body's length when known, else unknown.</summary>
    private static long? RequestContentLength(HttpRequestMessage request) =>
        request.Content is { } content ? content.Headers.ContentLength : 0;

    /// <summary>Go's <c>Response.ContentLength</c>: the header, or 0 for statuses that cannot have a body.</summary>
    private static long? ResponseContentLength(HttpResponseMessage response) =>
        response.Content.Headers.ContentLength ?? (response.StatusCode is System.Net.HttpStatusCode.NoContent or System.Net.HttpStatusCode.NotModified ? 0 : null);

    private static void Add(System.Diagnostics.Metrics.Counter<long> counter, long value, in TagList tags)
    {
        if (counter.Enabled)
        {
            counter.Add(value, tags);
        }
    }

    private static void Record(System.Diagnostics.Metrics.Histogram<double> histogram, double value, in TagList tags)
    {
        if (histogram.Enabled)
        {
            histogram.Record(value, tags);
        }
    }

    /// <summary>Status codes boxed once, so recording them allocates nothing.</summary>
    private static object BoxStatus(int status) => BoxedValues.Int(status);

    private object BoxPort(int port)
    {
        if (_boxedPort is { } cached && (int)cached == port)
        {
            return cached;
        }

        object boxed = port;
        _boxedPort = boxed;
        return boxed;
    }

    private static KeyValuePair<string, object?>[] Merge(KeyValuePair<string, object?>[] first, KeyValuePair<string, object?>[] second)
    {
        var result = new List<KeyValuePair<string, object?>>(first.Length + second.Length);
        foreach (var tag in first.Concat(second))
        {
            var index = result.FindIndex(existing => existing.Key == tag.Key);
            if (index >= 0)
            {
                result[index] = tag;
            }
            else
            {
                result.Add(tag);
            }
        }

        return [.. result];
    }
}
