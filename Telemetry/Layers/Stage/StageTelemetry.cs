using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Primitives;
using Telemetry.Configuration;
using Telemetry.Instrumentation;

namespace Telemetry.Layers.Stage;

/// <summary>
/// The proxy and backend stages (§4.3, §4.4, §5.3, §5.4): one histogram and one internal span around a pipe, with
/// the pipe's configured method and normalised route, the static attributes, and per call the booleans
/// <c>error</c>, <c>canceled</c> and <c>complete</c>. Built once per endpoint (proxy) or per backend (backend); null
/// when the stage records nothing, so the gateway does not wrap the pipe at all.
/// </summary>
public sealed class StageTelemetry
{
    private readonly ActivitySource _activitySource;
    private readonly Histogram<double>? _duration;
    private readonly string _spanName;
    private readonly KeyValuePair<string, object?>[] _metricTags;
    private readonly KeyValuePair<string, object?>[] _spanTags;
    private readonly bool _traces;
    private readonly bool _reportHeaders;
    private readonly HeaderReportPolicy? _headerPolicy;

    private StageTelemetry(
        ActivitySource activitySource,
        Histogram<double>? duration,
        string spanName,
        KeyValuePair<string, object?>[] metricTags,
        KeyValuePair<string, object?>[] spanTags,
        bool traces,
        HeaderReportPolicy? headerPolicy)
    {
        _activitySource = activitySource;
        _duration = duration;
        _spanName = spanName;
        _metricTags = metricTags;
        _spanTags = spanTags;
        _traces = traces;
        _reportHeaders = headerPolicy is not null;
        _headerPolicy = headerPolicy;
    }

    /// <summary>The proxy stage of one endpoint: <c>krakend.proxy.duration</c> and the proxy span.</summary>
    /// <param name="sources">The gateway's ActivitySource and Meter.</param>
    /// <param name="options">The endpoint's resolved proxy layer (service level or the endpoint's override).</param>
    /// <param name="route">The normalised endpoint pattern, e.g. <c>/users/:id</c>.</param>
    /// <param name="method">The endpoint's configured method.</param>
    /// <param name="tracesExported">False when no exporter takes traces.</param>
    /// <param name="metricsExported">False when no exporter takes metrics.</param>
    public static StageTelemetry? ForProxy(TelemetrySources sources, ProxyLayerOptions options, string route, string method, bool tracesExported, bool metricsExported)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(options);
        var metrics = metricsExported && !options.DisableMetrics;
        var traces = tracesExported && !options.DisableTraces;
        if (!metrics && !traces)
        {
            return null;
        }

        KeyValuePair<string, object?>[] fixedTags = [new(TelemetryAttributes.HttpRequestMethod, method), new(TelemetryAttributes.HttpRoute, route)];
        return new StageTelemetry(
            sources.ActivitySource,
            metrics ? sources.Instruments(static s => new StageInstruments(s)).ProxyDuration : null,
            route,
            [.. fixedTags, .. StaticAttributes.ToTags(options.MetricsStaticAttributes)],
            [.. fixedTags, .. StaticAttributes.ToTags(options.TracesStaticAttributes), new(TelemetryAttributes.Stage, TelemetryAttributes.StageProxy)],
            traces,
            options.ReportHeaders ? options.CreateHeaderPolicy() : null);
    }

    /// <summary>The backend stage of one backend: <c>krakend.backend.duration</c> and the backend span.</summary>
    /// <param name="sources">The gateway's ActivitySource and Meter.</param>
    /// <param name="options">The backend's resolved layer (§2.8).</param>
    /// <param name="route">The normalised backend url_pattern, e.g. <c>/users/:userid</c>.</param>
    /// <param name="method">The backend's configured method.</param>
    /// <param name="endpointRoute">The parent endpoint's normalised pattern.</param>
    /// <param name="endpointMethod">The parent endpoint's method.</param>
    /// <param name="tracesExported">False when no exporter takes traces.</param>
    /// <param name="metricsExported">False when no exporter takes metrics.</param>
    public static StageTelemetry? ForBackend(
        TelemetrySources sources,
        BackendLayerOptions options,
        string route,
        string method,
        string endpointRoute,
        string endpointMethod,
        bool tracesExported,
        bool metricsExported)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(options);
        var metrics = metricsExported && !options.Metrics.DisableStage;
        var traces = tracesExported && !options.Traces.DisableStage;
        if (!metrics && !traces)
        {
            return null;
        }

        KeyValuePair<string, object?>[] fixedTags =
        [
            new(TelemetryAttributes.HttpRequestMethod, method),
            new(TelemetryAttributes.HttpRoute, route),
            new(TelemetryAttributes.EndpointRoute, endpointRoute),
            new(TelemetryAttributes.EndpointMethod, endpointMethod),
        ];
        return new StageTelemetry(
            sources.ActivitySource,
            metrics ? sources.Instruments(static s => new StageInstruments(s)).BackendDuration : null,
            route,
            [.. fixedTags, .. StaticAttributes.ToTags(options.Metrics.StaticAttributes)],
            [.. fixedTags, .. StaticAttributes.ToTags(options.Traces.StaticAttributes), new(TelemetryAttributes.Stage, TelemetryAttributes.StageBackend)],
            traces,
            options.Traces.ReportHeaders ? options.Traces.CreateHeaderPolicy() : null);
    }

    /// <summary>Starts one call through the pipe: the span (if sampled) and the clock.</summary>
    /// <param name="requestHeaders">The headers entering the pipe, reported when <c>report_headers</c> is on.</param>
    public StageScope Start(IEnumerable<KeyValuePair<string, StringValues>>? requestHeaders = null)
    {
        Activity? activity = null;
        ExecutionContext? before = null;
        if (_traces)
        {
            before = ExecutionContext.Capture();
            activity = _activitySource.StartActivity(_spanName, ActivityKind.Internal, RemoteParent.ForNewSpan());
            if (activity is { IsAllDataRequested: true })
            {
                StaticAttributes.SetOn(activity, _spanTags);
                if (_reportHeaders && requestHeaders is not null)
                {
                    HeaderReporting.AddRequestHeaders(activity, _headerPolicy!, requestHeaders);
                }
            }
        }

        return activity is null
            ? new StageScope(null, Stopwatch.GetTimestamp())
            : new StageScope(activity, Stopwatch.GetTimestamp()) { Before = before, AfterStart = ExecutionContext.Capture() };
    }

    /// <summary>Ends the call: records the duration and closes the span. The span's status is left unset, as in KrakenD.</summary>
    /// <param name="scope">What <see cref="Start"/> returned.</param>
    /// <param name="outcome">How the pipe ended.</param>
    /// <param name="responseHeaders">The response metadata headers, reported when <c>report_headers</c> is on.</param>
    public void Stop(in StageScope scope, in StageOutcome outcome, IEnumerable<KeyValuePair<string, IEnumerable<string>>>? responseHeaders = null)
    {
        if (_duration is { Enabled: true } duration)
        {
            var tags = new TagList();
            StaticAttributes.AddTo(ref tags, _metricTags);
            tags.Add(TelemetryAttributes.Error, BoxedValues.Bool(outcome.Error));
            tags.Add(TelemetryAttributes.Canceled, BoxedValues.Bool(outcome.Canceled));
            tags.Add(TelemetryAttributes.Complete, BoxedValues.Bool(outcome.Complete));
            duration.Record(Stopwatch.GetElapsedTime(scope.Started).TotalSeconds, tags);
        }

        if (scope.Activity is not { } activity)
        {
            return;
        }

        if (activity.IsAllDataRequested)
        {
            if (outcome.Canceled)
            {
                activity.SetTag(TelemetryAttributes.Canceled, BoxedValues.True);
            }
            else if (outcome.Error)
            {
                activity.SetTag(TelemetryAttributes.Error, outcome.ErrorText ?? "error");
            }

            activity.SetTag(TelemetryAttributes.HttpResponseStatusCode, BoxedValues.Int(outcome.Error || outcome.Canceled ? 500 : outcome.StatusCode));
            if (_reportHeaders && responseHeaders is not null && !outcome.Error)
            {
                HeaderReporting.AddResponseHeaders(activity, _headerPolicy!, responseHeaders);
            }

            activity.SetTag(TelemetryAttributes.Complete, BoxedValues.Bool(outcome.Complete));
        }

        // Back in the flow that started the scope with nothing written since, the context from before the start is
        // this one less the span: going back to it spares the new one that Stop's Activity.Current would allocate.
        BackendRequest.SpanEnding.RestoreBefore(activity, scope.Before, scope.AfterStart);
        activity.Dispose();
    }

    /// <summary>The two stage histograms (§4.3, §4.4): no unit, time buckets. Shared by every endpoint and backend.</summary>
    private sealed class StageInstruments(TelemetrySources sources)
    {
        public Histogram<double> ProxyDuration { get; } = sources.CreateTimeHistogram("krakend.proxy.duration");

        public Histogram<double> BackendDuration { get; } = sources.CreateTimeHistogram("krakend.backend.duration");
    }
}

/// <summary>One call through a stage, between <see cref="StageTelemetry.Start"/> and <see cref="StageTelemetry.Stop"/>.</summary>
public readonly record struct StageScope(Activity? Activity, long Started)
{
    /// <summary>The execution context just before the span started.</summary>
    public ExecutionContext? Before { get; init; }

    /// <summary>The execution context once the span had started (see <c>SpanEnding.RestoreBefore</c>).</summary>
    public ExecutionContext? AfterStart { get; init; }
}

/// <summary>
/// How a pipe call ended (§4.3): <see cref="Error"/> for a failure that is not a cancellation (timeouts included),
/// <see cref="Canceled"/> when the caller went away, <see cref="Complete"/> when every backend answered.
/// <see cref="StatusCode"/> is the response's status (0 when nothing set one).
/// </summary>
public readonly record struct StageOutcome(bool Error, bool Canceled, bool Complete, int StatusCode, string? ErrorText = null);
