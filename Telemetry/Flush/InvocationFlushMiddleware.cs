using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Telemetry.Flush;

/// <summary>
/// Per-invocation flush (Functions mode, installed outermost): the client must not receive the complete response
/// before the request's spans and metrics are exported, because the host may freeze or recycle the instance once the
/// invocation ends (azure-functions.md §3.3).
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>Installs <see cref="HoldBackResponseBody"/>: the response streams, except its last byte (and a deferred start).</item>
/// <item>Runs the rest of the pipeline, where the telemetry layers end their spans and record their metrics.</item>
/// <item>Flushes within the flusher's budget, unless the predicate says the request recorded nothing.</item>
/// <item>Releases the held-back byte. A handler exception, a flush failure or a flush timeout never keeps the
/// response back nor changes it; a handler exception is rethrown after the release, for the server to handle.</item>
/// </list>
/// Upgraded requests (WebSockets, extended CONNECT) are not held back: their body is a duplex stream, not a response.
/// </remarks>
public sealed class InvocationFlushMiddleware
{
    private readonly RequestDelegate _next;
    private readonly InvocationFlusher _flusher;
    private readonly Func<HttpContext, bool>? _shouldFlush;

    /// <param name="next">The rest of the pipeline.</param>
    /// <param name="flusher">The process-wide flusher.</param>
    /// <param name="shouldFlush">Decides, after the request ran, whether it recorded anything worth flushing (for
    /// example false for host probes); null flushes every request. It must not throw.</param>
    public InvocationFlushMiddleware(RequestDelegate next, InvocationFlusher flusher, Func<HttpContext, bool>? shouldFlush = null)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(flusher);
        _next = next;
        _flusher = flusher;
        _shouldFlush = shouldFlush;
    }

    /// <summary>The middleware for <c>IApplicationBuilder.Use</c>, without reflection (AOT).</summary>
    public static Func<RequestDelegate, RequestDelegate> Create(InvocationFlusher flusher, Func<HttpContext, bool>? shouldFlush = null)
    {
        ArgumentNullException.ThrowIfNull(flusher);
        return next => new InvocationFlushMiddleware(next, flusher, shouldFlush).InvokeAsync;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var original = context.Features.Get<IHttpResponseBodyFeature>();
        HoldBackResponseBody? holdBack = null;
        if (original is not null && !IsUpgrade(context))
        {
            holdBack = new HoldBackResponseBody(original, HttpMethods.IsHead(context.Request.Method), context.Response.Headers);
            context.Features.Set<IHttpResponseBodyFeature>(holdBack);
        }

        try
        {
            await _next(context).ConfigureAwait(false);
        }
        finally
        {
            if (_shouldFlush?.Invoke(context) ?? true)
            {
                await _flusher.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            }

            if (holdBack is not null)
            {
                try
                {
                    await holdBack.ReleaseAsync().ConfigureAwait(false);
                }
                finally
                {
                    context.Features.Set(original);
                }
            }
        }
    }

    private static bool IsUpgrade(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }
        || context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true };
}
