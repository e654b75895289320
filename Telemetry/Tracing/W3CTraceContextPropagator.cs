using System.Diagnostics;
using OpenTelemetry.Context.Propagation;

namespace Telemetry.Tracing;

/// <summary>
/// The SDK's W3C <see cref="TraceContextPropagator"/> (extraction and fields unchanged) with an injection that builds
/// the <c>traceparent</c> value in one string, where the SDK concatenates four (two hex ids and two partial
/// headers) on every backend request. The headers written are the same: <c>traceparent</c>
/// (<c>00-{trace id}-{span id}-{trace flags}</c>, lower-case hex, as the SDK writes them) and, when the context has one,
/// <c>tracestate</c>. Anything the fast path does not handle (an invalid context, a null carrier or setter) goes to
/// the SDK's own injection, which reports it.
/// </summary>
internal sealed class W3CTraceContextPropagator : TraceContextPropagator
{
    private const string TraceParent = "traceparent";
    private const string TraceState = "tracestate";

    /// <summary>"00-" + 32 + "-" + 16 + "-" + 2.</summary>
    private const int TraceParentLength = 55;

    public override void Inject<T>(PropagationContext context, T carrier, Action<T, string, string> setter)
    {
        var activity = context.ActivityContext;
        if (activity.TraceId == default || activity.SpanId == default || carrier is null || setter is null)
        {
            base.Inject(context, carrier, setter!);
            return;
        }

        setter(carrier, TraceParent, FormatTraceParent(activity));
        if (activity.TraceState is { Length: > 0 } traceState)
        {
            setter(carrier, TraceState, traceState);
        }
    }

    internal static string FormatTraceParent(ActivityContext context) =>
        string.Create(TraceParentLength, context, static (chars, context) =>
        {
            Span<byte> bytes = stackalloc byte[16];
            "00-".CopyTo(chars);
            context.TraceId.CopyTo(bytes);
            Convert.TryToHexStringLower(bytes, chars.Slice(3, 32), out _);
            chars[35] = '-';
            context.SpanId.CopyTo(bytes[..8]);
            Convert.TryToHexStringLower(bytes[..8], chars.Slice(36, 16), out _);
            chars[52] = '-';
            bytes[0] = (byte)context.TraceFlags;
            Convert.TryToHexStringLower(bytes[..1], chars.Slice(53, 2), out _);
        });
}
