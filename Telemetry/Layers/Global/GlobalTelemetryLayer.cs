using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using Telemetry.Configuration;
using Telemetry.Functions;
using Telemetry.Instrumentation;
using Telemetry.Tracing;

namespace Telemetry.Layers.Global;

/// <summary>
/// The global layer (§1, §4.2, §5.2): wraps the whole HTTP handler, outside the router. Per request it extracts the
/// incoming trace context, opens the server span named after the literal path, and when the handler returns records
/// <c>http.server.*</c> with the matched route (or <c>"404 Not Found"</c>-style text when no endpoint ran).
/// Paths in <c>skip_paths</c> bypass it entirely. With metrics, traces and propagation all off, it is not installed.
/// </summary>
public sealed class GlobalTelemetryLayer
{
    private static readonly string[] KnownMethods = ["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"];

    private readonly TelemetrySources _sources;
    private readonly SkipPaths _skipPaths;
    private readonly TextMapPropagator _propagator;
    private readonly bool _extract;
    private readonly bool _traces;
    private readonly bool _metrics;
    private readonly bool _reportHeaders;
    private readonly HeaderReportPolicy _headerPolicy;
    private readonly KeyValuePair<string, object?>[] _metricAttributes;
    private readonly KeyValuePair<string, object?>[] _traceAttributes;
    private readonly Func<HttpContext, string>? _clientAddress;
    private readonly Func<HttpContext, string>? _clientScheme;
    private readonly Histogram<double> _duration;
    private readonly Histogram<long> _responseSize;

    /// <param name="sources">The gateway's ActivitySource and Meter.</param>
    /// <param name="options"><c>layers.global</c>.</param>
    /// <param name="skipPaths"><c>skip_paths</c>.</param>
    /// <param name="propagator">The propagator chosen by <c>OTEL_PROPAGATORS</c>.</param>
    /// <param name="tracesExported">False when no exporter takes traces: no span is started.</param>
    /// <param name="metricsExported">False when no exporter takes metrics.</param>
    /// <param name="clientAddress">The client's address as the gateway trusts it (forwarded headers only from the Functions host).</param>
    /// <param name="clientScheme">
    /// The scheme the client used (<c>url.scheme</c>). KrakenD always reports <c>http</c> (Q7); behind the Functions
    /// host the gateway can tell from the forwarded headers.
    /// </param>
    public GlobalTelemetryLayer(
        TelemetrySources sources,
        GlobalLayerOptions options,
        SkipPaths skipPaths,
        TextMapPropagator propagator,
        bool tracesExported,
        bool metricsExported,
        Func<HttpContext, string>? clientAddress = null,
        Func<HttpContext, string>? clientScheme = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(skipPaths);
        ArgumentNullException.ThrowIfNull(propagator);
        _sources = sources;
        _skipPaths = skipPaths;
        _propagator = propagator;
        _extract = !options.DisablePropagation;
        _traces = tracesExported && !options.DisableTraces;
        _metrics = metricsExported && !options.DisableMetrics;
        _reportHeaders = options.ReportHeaders;
        _headerPolicy = options.CreateHeaderPolicy();
        _metricAttributes = StaticAttributes.ToTags(options.MetricsStaticAttributes);
        _traceAttributes = StaticAttributes.ToTags(options.TracesStaticAttributes);
        _clientAddress = clientAddress;
        _clientScheme = clientScheme;
        Options = options;
        if (options.UsesSemanticConvention127)
        {
            _duration = sources.CreateTimeHistogram("http.server.request.duration", "s", "Duration of HTTP server requests.");
            _responseSize = sources.CreateSizeHistogram("http.server.response.body.size", "By", "Size of HTTP server response bodies.");
        }
        else
        {
            _duration = sources.CreateTimeHistogram("http.server.duration");
            _responseSize = sources.CreateSizeHistogram("http.server.response.size");
        }
    }

    /// <summary>The layer's options, for the endpoints' <see cref="EndpointGlobalAttributes"/>.</summary>
    public GlobalLayerOptions Options { get; }

    /// <summary>False when there is nothing for the layer to do (it is then not installed).</summary>
    public bool IsActive => _traces || _metrics || _extract;

    /// <summary>Wraps <paramref name="next"/>; returns it unchanged when the layer is not active.</summary>
    public RequestDelegate Wrap(RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return IsActive ? context => InvokeAsync(context, next) : next;
    }

    private async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var path = request.Path.HasValue ? request.Path.Value! : "/";
        if (_skipPaths.Matches(path))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        ActivityContext parent = default;
        if (_extract)
        {
            var extracted = _propagator.Extract(default, request.Headers, PropagationHeaders.HeaderDictionaryGetter);
            parent = extracted.ActivityContext;

            // Setting Baggage.Current allocates a holder and writes the execution context: skipped when it would stay empty.
            if (extracted.Baggage.Count > 0 || Baggage.Current.Count > 0)
            {
                Baggage.Current = extracted.Baggage;
            }
        }

        // ASP.NET Core may have started its own request activity, with its own reading of the trace headers: the
        // global span is the request's root here, so neither that activity nor its parent may leak in.
        Activity.Current = null;
        var before = ExecutionContext.Capture();
        var activity = _traces ? _sources.ActivitySource.StartActivity(path, ActivityKind.Server, parent) : null;
        if (activity is null && parent.TraceId != default)
        {
            RemoteParent.Current = parent;
        }

        if (activity is { IsAllDataRequested: true })
        {
            SetStartTags(activity, context);
        }

        var afterStart = activity is null ? null : ExecutionContext.Capture();

        var measureSize = _metrics && _responseSize.Enabled || activity is { IsAllDataRequested: true };
        var state = new GlobalRequestTelemetry();
        context.Features.Set(state);
        CountingResponseBody? body = null;
        if (measureSize)
        {
            body = new CountingResponseBody(context.Features.GetRequiredFeature<IHttpResponseBodyFeature>());
            context.Features.Set<IHttpResponseBodyFeature>(body);
        }

        var started = Stopwatch.GetTimestamp();
        Exception? failure = null;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (body is not null)
            {
                context.Features.Set(body.Inner);
            }

            var response = context.Response;
            var status = failure is not null && !response.HasStarted ? StatusCodes.Status500InternalServerError : response.StatusCode;
            var endpoint = state.Endpoint;
            var route = endpoint?.Route ?? RouteWithoutEndpoint(status);
            var written = body?.BytesWritten ?? 0;
            if (_metrics)
            {
                Record(request.Method, _clientScheme?.Invoke(context) ?? request.Scheme, route, status, elapsed, written, endpoint);
            }

            if (activity is not null)
            {
                if (activity.IsAllDataRequested)
                {
                    SetEndTags(activity, context, route, status, written, endpoint);
                }

                if (failure is not null)
                {
                    activity.AddException(failure);
                    activity.SetStatus(ActivityStatusCode.Error, failure.Message);
                }
                else
                {
                    activity.SetStatus(ActivityStatusCode.Ok);
                }

                // The handler has returned: when nothing was written since the start, going back to the context of
                // before it spares the new one that Stop's Activity.Current would allocate.
                BackendRequest.SpanEnding.RestoreBefore(activity, before, afterStart);
                activity.Dispose();
            }
        }
    }

    private void SetStartTags(Activity activity, HttpContext context)
    {
        var request = context.Request;
        activity.SetTag(TelemetryAttributes.UrlFull, request.Path.Value + RedactFunctionKey(request.QueryString.Value));
        activity.SetTag(TelemetryAttributes.ServerAddress, request.Host.Value);
        activity.SetTag(TelemetryAttributes.HttpRequestMethod, request.Method);
        if (request.ContentLength is { } length)
        {
            activity.SetTag(TelemetryAttributes.HttpRequestBodySize, BoxedValues.Long(length));
        }

        if (request.Headers.UserAgent.Count > 0)
        {
            activity.SetTag(TelemetryAttributes.UserAgentOriginal, request.Headers.UserAgent.ToString());
        }

        var client = _clientAddress?.Invoke(context) ?? context.Connection.RemoteIpAddress?.ToString();
        if (!string.IsNullOrEmpty(client))
        {
            activity.SetTag(TelemetryAttributes.ClientAddress, client);
        }

        activity.SetTag(TelemetryAttributes.Stage, TelemetryAttributes.StageGlobal);
        StaticAttributes.SetOn(activity, _traceAttributes);
        FunctionsSpanAttributes.Add(activity, context.Features.Get<FunctionsInvocation>());

        if (_reportHeaders)
        {
            HeaderReporting.AddRequestHeaders(activity, _headerPolicy, request.Headers);
        }
    }

    private void SetEndTags(Activity activity, HttpContext context, string route, int status, long written, EndpointGlobalAttributes? endpoint)
    {
        activity.SetTag(TelemetryAttributes.HttpRoute, route);
        activity.SetTag(TelemetryAttributes.HttpResponseStatusCode, BoxedValues.Int(status));
        activity.SetTag(TelemetryAttributes.HttpResponseBodySize, BoxedValues.Long(written));
        if (endpoint is not null)
        {
            StaticAttributes.SetOn(activity, endpoint.TraceAttributes);
        }

        if (_reportHeaders)
        {
            HeaderReporting.AddResponseHeaders(activity, _headerPolicy, context.Response.Headers);
        }
    }

    private void Record(string method, string scheme, string route, int status, double seconds, long written, EndpointGlobalAttributes? endpoint)
    {
        var tags = new TagList
        {
            { TelemetryAttributes.HttpRequestMethod, NormaliseMethod(method) },
            { TelemetryAttributes.UrlScheme, scheme },
            { TelemetryAttributes.HttpRoute, route },
            { TelemetryAttributes.HttpResponseStatusCode, BoxedValues.Int(status) },
        };

        // Service-level attributes first, the endpoint's after them: on a key collision the later value wins (§2.9).
        StaticAttributes.AddTo(ref tags, endpoint is null ? _metricAttributes : endpoint.MetricAttributes);
        _duration.Record(seconds, tags);
        _responseSize.Record(written, tags);
    }

    /// <summary>
    /// The query string with the value of Azure Functions' <c>code</c> parameter (a function key) replaced by
    /// <c>[REDACTED]</c>; unchanged (and not copied) when it has none.
    /// </summary>
    internal static string? RedactFunctionKey(string? query)
    {
        if (string.IsNullOrEmpty(query) || !query.Contains("code=", StringComparison.OrdinalIgnoreCase))
        {
            return query;
        }

        var parts = query[1..].Split('&');
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].StartsWith("code=", StringComparison.OrdinalIgnoreCase))
            {
                parts[i] = "code=" + HeaderReportPolicy.RedactedValue;
            }
        }

        return "?" + string.Join('&', parts);
    }

    /// <summary>Known methods upper-cased, anything else <c>_OTHER</c> (guards the metrics' cardinality, §4.2).</summary>
    internal static string NormaliseMethod(string method)
    {
        foreach (var known in KnownMethods)
        {
            if (string.Equals(known, method, StringComparison.OrdinalIgnoreCase))
            {
                return known;
            }
        }

        return "_OTHER";
    }

    /// <summary>KrakenD's route text when no endpoint handler ran: <c>"404 Not Found"</c>, <c>"405 Method Not Allowed"</c>.</summary>
    internal static string RouteWithoutEndpoint(int status) => $"{status} {ReasonPhrases.GetReasonPhrase(status)}";
}
