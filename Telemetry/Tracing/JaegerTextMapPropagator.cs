using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using OpenTelemetry.Context.Propagation;

namespace Telemetry.Tracing;

/// <summary>
/// Jaeger's native propagation (https://www.jaegertracing.io/docs/client-libraries/#propagation-format):
/// <c>uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}</c>, with baggage in <c>uberctx-{key}</c> headers.
/// <list type="bullet">
/// <item>Extract follows Go's contrib <c>jaeger</c> propagator, but accepts what the Jaeger spec allows and Go
/// rejects: ids shorter than 16/32 digits (left-padded) and a URL-encoded header value. Flags are hex; bit 1 means
/// sampled (debug, bit 2, counts only with it). The parent span id is ignored. Anything malformed extracts no
/// context.</item>
/// <item>Inject writes <c>{trace-id}:{span-id}:0:{1|0}</c> (no debug flag: an <see cref="ActivityContext"/> has none).</item>
/// <item>Baggage (our addition; Go's propagator has none): <c>uberctx-*</c> values are URL-decoded into the baggage,
/// keys lower-cased, and every baggage item is injected URL-encoded. Reading them needs the header names, so it works
/// on the carriers <see cref="PropagationHeaders.FindByPrefix"/> knows.</item>
/// </list>
/// </summary>
internal sealed class JaegerTextMapPropagator : TextMapPropagator
{
    public const string TraceContextHeader = "uber-trace-id";
    public const string BaggageHeaderPrefix = "uberctx-";

    private const int TraceIdLength = 32;
    private const int SpanIdLength = 16;

    private static readonly HashSet<string> TraceFields = new(StringComparer.OrdinalIgnoreCase) { TraceContextHeader };

    // RFC 9110 token characters: a baggage key that is not one cannot become a header name.
    private static readonly SearchValues<char> TokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

    /// <summary><c>uber-trace-id</c>; the <c>uberctx-*</c> names depend on the baggage.</summary>
    public override ISet<string> Fields => TraceFields;

    public override PropagationContext Extract<T>(PropagationContext context, T carrier, Func<T, string, IEnumerable<string>?> getter)
    {
        ArgumentNullException.ThrowIfNull(getter);
        var activity = context.ActivityContext;
        if (!HexIds.IsValid(activity)
            && PropagationHeaders.First(carrier, TraceContextHeader, getter) is { Length: > 0 } header
            && TryParse(header, out var extracted))
        {
            activity = extracted;
        }

        var baggage = context.Baggage;
        if (PropagationHeaders.FindByPrefix(carrier, BaggageHeaderPrefix) is { } items)
        {
            foreach (var (key, value) in items)
            {
                baggage = baggage.SetBaggage(key, Unescape(value));
            }
        }

        return new PropagationContext(activity, baggage);
    }

    public override void Inject<T>(PropagationContext context, T carrier, Action<T, string, string> setter)
    {
        ArgumentNullException.ThrowIfNull(setter);
        var activity = context.ActivityContext;
        if (HexIds.IsValid(activity))
        {
            var sampled = (activity.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? '1' : '0';
            setter(carrier, TraceContextHeader, $"{activity.TraceId.ToHexString()}:{activity.SpanId.ToHexString()}:0:{sampled}");
        }

        foreach (var (key, value) in context.Baggage)
        {
            if (key.Length > 0 && !key.AsSpan().ContainsAnyExcept(TokenChars))
            {
                setter(carrier, BaggageHeaderPrefix + key, Uri.EscapeDataString(value ?? ""));
            }
        }
    }

    internal static bool TryParse(string value, out ActivityContext context)
    {
        context = default;
        if (value.Contains('%', StringComparison.Ordinal))
        {
            value = Unescape(value); // some Jaeger clients URL-encode the colons
        }

        // Exactly four parts: trace id, span id, the deprecated parent span id, flags.
        Span<Range> parts = stackalloc Range[5];
        var span = value.AsSpan();
        if (span.Split(parts, ':') != 4)
        {
            return false;
        }

        var traceIdText = span[parts[0]];
        var spanIdText = span[parts[1]];
        var flagsText = span[parts[3]];
        if (traceIdText.Length > TraceIdLength || !HexIds.TryParseTraceId(traceIdText, out var traceId)
            || spanIdText.Length > SpanIdLength || !HexIds.TryParseSpanId(spanIdText, out var spanId))
        {
            return false;
        }

        var flags = 0UL;
        if (!flagsText.IsEmpty && !ulong.TryParse(flagsText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out flags))
        {
            return false;
        }

        var traceFlags = (flags & 1) != 0 ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None;
        context = new ActivityContext(traceId, spanId, traceFlags, traceState: null, isRemote: true);
        return true;
    }

    // Jaeger clients encode as Go's url.QueryEscape does: '+' is a space.
    private static string Unescape(string value) => WebUtility.UrlDecode(value);
}
