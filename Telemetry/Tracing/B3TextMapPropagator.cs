using System.Diagnostics;
using OpenTelemetry.Context.Propagation;

namespace Telemetry.Tracing;

/// <summary>
/// Zipkin's B3 propagation (https://github.com/openzipkin/b3-propagation), behaving like Go's contrib <c>b3</c>
/// propagator that KrakenD's <c>OTEL_PROPAGATORS</c> selects:
/// <list type="bullet">
/// <item>Extract reads the single <c>b3</c> header first and falls back to the <c>X-B3-*</c> headers, whichever
/// encoding injects. 64-bit trace ids are left-padded to 128 bits. A debug flag (<c>d</c>, <c>X-B3-Flags: 1</c>) means
/// sampled; a missing sampling state means not sampled. Anything malformed extracts nothing.</item>
/// <item>Inject writes <c>b3: {traceid}-{spanid}-{1|0}</c> (<c>b3</c>) or <c>X-B3-TraceId</c>, <c>X-B3-SpanId</c>,
/// <c>X-B3-Sampled</c> (<c>b3multi</c>). An <see cref="ActivityContext"/> has no debug flag, so a debug request is
/// forwarded as plainly sampled (Go forwards <c>d</c>); the parent span id is never sent, as in Go.</item>
/// </list>
/// </summary>
internal sealed class B3TextMapPropagator : TextMapPropagator
{
    public const string SingleHeader = "b3";
    public const string TraceIdHeader = "X-B3-TraceId";
    public const string SpanIdHeader = "X-B3-SpanId";
    public const string SampledHeader = "X-B3-Sampled";
    public const string FlagsHeader = "X-B3-Flags";
    public const string ParentSpanIdHeader = "X-B3-ParentSpanId";

    private const int SpanIdLength = 16;

    private static readonly HashSet<string> SingleFields = new(StringComparer.OrdinalIgnoreCase) { SingleHeader };

    private static readonly HashSet<string> MultiFields = new(StringComparer.OrdinalIgnoreCase)
    {
        TraceIdHeader, SpanIdHeader, SampledHeader, FlagsHeader, ParentSpanIdHeader,
    };

    private readonly bool _injectSingleHeader;

    /// <param name="injectSingleHeader">True for <c>b3</c> (one header), false for <c>b3multi</c>.</param>
    public B3TextMapPropagator(bool injectSingleHeader)
    {
        _injectSingleHeader = injectSingleHeader;
    }

    /// <summary>The headers of the encoding this propagator injects (for <c>b3multi</c>, all five <c>X-B3-*</c>).</summary>
    public override ISet<string> Fields => _injectSingleHeader ? SingleFields : MultiFields;

    public override PropagationContext Extract<T>(PropagationContext context, T carrier, Func<T, string, IEnumerable<string>?> getter)
    {
        ArgumentNullException.ThrowIfNull(getter);
        if (HexIds.IsValid(context.ActivityContext))
        {
            return context; // an earlier propagator already found one: the SDK's convention
        }

        if (PropagationHeaders.First(carrier, SingleHeader, getter) is { Length: > 0 } single && TryParseSingle(single, out var extracted))
        {
            return new PropagationContext(extracted, context.Baggage);
        }

        return TryParseMulti(
            PropagationHeaders.First(carrier, TraceIdHeader, getter),
            PropagationHeaders.First(carrier, SpanIdHeader, getter),
            PropagationHeaders.First(carrier, ParentSpanIdHeader, getter),
            PropagationHeaders.First(carrier, SampledHeader, getter),
            PropagationHeaders.First(carrier, FlagsHeader, getter),
            out extracted)
            ? new PropagationContext(extracted, context.Baggage)
            : context;
    }

    public override void Inject<T>(PropagationContext context, T carrier, Action<T, string, string> setter)
    {
        ArgumentNullException.ThrowIfNull(setter);
        var activity = context.ActivityContext;
        if (!HexIds.IsValid(activity))
        {
            return;
        }

        var sampled = (activity.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "1" : "0";
        if (_injectSingleHeader)
        {
            setter(carrier, SingleHeader, $"{activity.TraceId.ToHexString()}-{activity.SpanId.ToHexString()}-{sampled}");
        }
        else
        {
            setter(carrier, TraceIdHeader, activity.TraceId.ToHexString());
            setter(carrier, SpanIdHeader, activity.SpanId.ToHexString());
            setter(carrier, SampledHeader, sampled);
        }
    }

    /// <summary><c>{traceid}-{spanid}[-{sampling}[-{parentspanid}]]</c>; a lone sampling state names no trace, so it is ignored.</summary>
    internal static bool TryParseSingle(ReadOnlySpan<char> value, out ActivityContext context)
    {
        context = default;
        var traceIdEnd = value.IndexOf('-');
        if (traceIdEnd is not (16 or 32) || !HexIds.TryParseTraceId(value[..traceIdEnd], out var traceId))
        {
            return false;
        }

        var rest = value[(traceIdEnd + 1)..];
        if (rest.Length < SpanIdLength || !HexIds.TryParseSpanId(rest[..SpanIdLength], out var spanId))
        {
            return false;
        }

        rest = rest[SpanIdLength..];
        var flags = ActivityTraceFlags.None;
        if (!rest.IsEmpty)
        {
            // "-{sampling}" or "-{sampling}-{parentspanid}"; "-{parentspanid}" alone is invalid.
            var hasParent = rest.Length == 3 + SpanIdLength && rest[2] == '-';
            if (rest[0] != '-' || !(rest.Length == 2 || hasParent))
            {
                return false;
            }

            if (hasParent && !HexIds.TryParseSpanId(rest[3..], out _))
            {
                return false;
            }

            switch (rest[1])
            {
                case '1' or 'd':
                    flags = ActivityTraceFlags.Recorded;
                    break;
                case '0':
                    break;
                default:
                    return false;
            }
        }

        context = new ActivityContext(traceId, spanId, flags, traceState: null, isRemote: true);
        return true;
    }

    internal static bool TryParseMulti(string? traceIdValue, string? spanIdValue, string? parentSpanIdValue, string? sampledValue, string? debugValue, out ActivityContext context)
    {
        context = default;
        var flags = ActivityTraceFlags.None;
        if (string.Equals(sampledValue, "1", StringComparison.Ordinal) || string.Equals(sampledValue, "true", StringComparison.OrdinalIgnoreCase))
        {
            flags = ActivityTraceFlags.Recorded;
        }
        else if (!string.IsNullOrEmpty(sampledValue) && sampledValue != "0" && !string.Equals(sampledValue, "false", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (debugValue == "1")
        {
            flags = ActivityTraceFlags.Recorded; // debug implies sampled
        }

        if (traceIdValue is not { Length: 16 or 32 } || !HexIds.TryParseTraceId(traceIdValue, out var traceId)
            || spanIdValue is not { Length: SpanIdLength } || !HexIds.TryParseSpanId(spanIdValue, out var spanId))
        {
            return false;
        }

        if (!string.IsNullOrEmpty(parentSpanIdValue) && (parentSpanIdValue.Length != SpanIdLength || !HexIds.TryParseSpanId(parentSpanIdValue, out _)))
        {
            return false;
        }

        context = new ActivityContext(traceId, spanId, flags, traceState: null, isRemote: true);
        return true;
    }
}
