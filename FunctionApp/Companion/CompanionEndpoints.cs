using System.Globalization;
using Telemetry.Aggregation;
using Telemetry.Aggregation.Otlp;
using Telemetry.Prometheus;

namespace FunctionApp.Companion;

/// <summary>
/// The companion's two routes (aggregation.md §4 and §3.5–3.6): <c>POST /v1/metrics</c> takes OTLP/HTTP pushes
/// (protobuf or JSON, optionally gzip) into the <see cref="MetricAggregator"/>, and <c>GET /metrics</c> renders the
/// exact sums for Prometheus (text 0.0.4, or OpenMetrics 1.0.0 when asked). Status codes are the contract with the
/// pushing SDKs: 200 with <c>partial_success</c> for rejected points, 400 undecodable, 413 too large, 415 unknown type
/// or encoding, 503 with <c>Retry-After</c> when busy.
/// </summary>
public sealed class CompanionEndpoints
{
    private readonly CompanionOptions _options;
    private readonly MetricAggregator _aggregator;
    private readonly Func<CancellationToken, Task<IReadOnlyList<MetricFamily>>>? _collectMerged;
    private int _pushesInFlight;
    private ExpositionBuffer? _scrapeBuffer;

    /// <param name="options">Routes and limits.</param>
    /// <param name="aggregator">Where pushes go.</param>
    /// <param name="collectMerged">What <c>/metrics</c> shows when the state is sharded (every shard merged); null: the aggregator's own state.</param>
    public CompanionEndpoints(CompanionOptions options, MetricAggregator aggregator, Func<CancellationToken, Task<IReadOnlyList<MetricFamily>>>? collectMerged = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(aggregator);
        _options = options;
        _aggregator = aggregator;
        _collectMerged = collectMerged;
    }

    public MetricAggregator Aggregator => _aggregator;

    /// <summary>Answers the request when it is for one of the companion's routes; returns false otherwise.</summary>
    public bool TryHandle(HttpContext context, out Task handled)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = context.Request.Path.Value ?? "/";
        var method = context.Request.Method;
        if (path == _options.IngestPath)
        {
            handled = HttpMethods.IsPost(method) ? IngestAsync(context) : MethodNotAllowed(context, "POST");
            return true;
        }

        if (path == _options.MetricsPath)
        {
            handled = HttpMethods.IsGet(method) || HttpMethods.IsHead(method) ? ScrapeAsync(context) : MethodNotAllowed(context, "GET, HEAD");
            return true;
        }

        handled = Task.CompletedTask;
        return false;
    }

    private async Task IngestAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        if (!OtlpContentTypes.TryParse(request.ContentType, out var encoding))
        {
            await PlainAsync(context, StatusCodes.Status415UnsupportedMediaType, $"unsupported content type \"{request.ContentType}\": use application/x-protobuf or application/json").ConfigureAwait(false);
            return;
        }

        if (request.ContentLength > _options.MaxBodyBytes)
        {
            await StatusAsync(context, encoding, StatusCodes.Status413PayloadTooLarge, OtlpStatusCode.InvalidArgument, $"the body of {request.ContentLength} bytes exceeds the limit of {_options.MaxBodyBytes}").ConfigureAwait(false);
            return;
        }

        if (Interlocked.Increment(ref _pushesInFlight) > _options.MaxConcurrentPushes)
        {
            Interlocked.Decrement(ref _pushesInFlight);
            response.Headers.RetryAfter = ((int)Math.Ceiling(_options.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await StatusAsync(context, encoding, StatusCodes.Status503ServiceUnavailable, OtlpStatusCode.Unavailable, "the companion is busy; retry later").ConfigureAwait(false);
            return;
        }

        try
        {
            OtlpDecodeResult decoded;
            using (var body = await OtlpRequestBody.ReadAsync(request.Body, request.Headers.ContentEncoding.ToString(), _options.MaxBodyBytes, context.RequestAborted).ConfigureAwait(false))
            {
                switch (body.Status)
                {
                    case OtlpBodyStatus.Ok:
                        break;
                    case OtlpBodyStatus.TooLarge:
                        await StatusAsync(context, encoding, StatusCodes.Status413PayloadTooLarge, OtlpStatusCode.InvalidArgument, body.Error!).ConfigureAwait(false);
                        return;
                    case OtlpBodyStatus.UnsupportedEncoding:
                        await PlainAsync(context, StatusCodes.Status415UnsupportedMediaType, body.Error!).ConfigureAwait(false);
                        return;
                    default:
                        await StatusAsync(context, encoding, StatusCodes.Status400BadRequest, OtlpStatusCode.InvalidArgument, body.Error!).ConfigureAwait(false);
                        return;
                }

                decoded = OtlpMetricsDecoder.Decode(encoding, body.Span);
            }

            if (decoded.Request is not { } push)
            {
                await StatusAsync(context, encoding, StatusCodes.Status400BadRequest, OtlpStatusCode.InvalidArgument, decoded.Error ?? "undecodable request").ConfigureAwait(false);
                return;
            }

            var result = _aggregator.Ingest(push);
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = OtlpContentTypes.Of(encoding);
            var answer = result.Rejected > 0
                ? OtlpMetricsResponse.Encode(encoding, result.Rejected, result.ErrorMessage)
                : OtlpMetricsResponse.Success(encoding);
            response.ContentLength = answer.Length;
            await response.Body.WriteAsync(answer, context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _pushesInFlight);
        }
    }

    private async Task ScrapeAsync(HttpContext context)
    {
        var openMetrics = PrometheusTextWriter.AcceptsOpenMetrics(context.Request.Headers.Accept.ToString());
        // The aggregate, plus the companion's own process (process_start_time_seconds tells a restart, i.e. a reset).
        var aggregate = _collectMerged is null ? _aggregator.Collect() : await _collectMerged(context.RequestAborted).ConfigureAwait(false);
        var families = aggregate.Concat(ProcessMetrics.Collect());

        // Rendered as UTF-8 straight into a pooled buffer kept between scrapes (one at a time; a concurrent scrape
        // gets its own), so a scrape allocates no text, string or array of the exposition's size.
        var buffer = Interlocked.Exchange(ref _scrapeBuffer, null) ?? new ExpositionBuffer();
        try
        {
            buffer.Reset();
            PrometheusTextWriter.Write(families, buffer, openMetrics);
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = openMetrics ? PrometheusTextWriter.OpenMetricsContentType : PrometheusTextWriter.ContentType;
            response.ContentLength = buffer.Length;
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await buffer.CopyToAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
            }
        }
        finally
        {
            if (Interlocked.CompareExchange(ref _scrapeBuffer, buffer, null) is not null)
            {
                buffer.Dispose();
            }
        }
    }

    private static Task StatusAsync(HttpContext context, OtlpEncoding encoding, int status, OtlpStatusCode code, string message)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = OtlpContentTypes.Of(encoding);
        var body = OtlpMetricsResponse.EncodeStatus(encoding, code, message);
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private static Task PlainAsync(HttpContext context, int status, string message)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(message, context.RequestAborted);
    }

    private static Task MethodNotAllowed(HttpContext context, string allow)
    {
        context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
        context.Response.Headers.Allow = allow;
        return Task.CompletedTask;
    }
}
