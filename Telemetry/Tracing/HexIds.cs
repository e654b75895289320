using System.Diagnostics;

namespace Telemetry.Tracing;

/// <summary>
/// Trace and span ids written as lower-case hex, as the B3 and Jaeger headers carry them. Like Go's
/// <c>TraceIDFromHex</c>, upper-case digits and all-zero ids are rejected. Shorter ids are left-padded with zeros
/// (64-bit B3 trace ids, Jaeger's unpadded ids); callers decide which lengths their format allows.
/// </summary>
internal static class HexIds
{
    private const int TraceIdLength = 32;
    private const int SpanIdLength = 16;

    public static bool TryParseTraceId(ReadOnlySpan<char> hex, out ActivityTraceId traceId)
    {
        traceId = default;
        if (hex.Length is 0 or > TraceIdLength || !IsLowerHexNotAllZeros(hex))
        {
            return false;
        }

        Span<char> padded = stackalloc char[TraceIdLength];
        padded[..^hex.Length].Fill('0');
        hex.CopyTo(padded[^hex.Length..]);
        traceId = ActivityTraceId.CreateFromString(padded);
        return true;
    }

    public static bool TryParseSpanId(ReadOnlySpan<char> hex, out ActivitySpanId spanId)
    {
        spanId = default;
        if (hex.Length is 0 or > SpanIdLength || !IsLowerHexNotAllZeros(hex))
        {
            return false;
        }

        Span<char> padded = stackalloc char[SpanIdLength];
        padded[..^hex.Length].Fill('0');
        hex.CopyTo(padded[^hex.Length..]);
        spanId = ActivitySpanId.CreateFromString(padded);
        return true;
    }

    /// <summary>True when the context names a trace and a span (Go's <c>SpanContext.IsValid</c>).</summary>
    public static bool IsValid(in ActivityContext context) => context.TraceId != default && context.SpanId != default;

    private static bool IsLowerHexNotAllZeros(ReadOnlySpan<char> hex)
    {
        var nonZero = false;
        foreach (var c in hex)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }

            nonZero |= c != '0';
        }

        return nonZero;
    }
}
