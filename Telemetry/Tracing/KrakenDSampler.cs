using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using OpenTelemetry.Trace;
using Telemetry.Configuration;

namespace Telemetry.Tracing;

/// <summary>
/// The sampler <c>trace_sample_rate</c> selects (reference §5.10), with the Go SDK's arithmetic so a gateway samples the
/// same traces as KrakenD given the same trace ids:
/// <list type="bullet">
/// <item><see cref="TraceSampling.AlwaysOff"/>: nothing, whatever the parent says (our documented deviation, Q2).</item>
/// <item><see cref="TraceSampling.AlwaysOn"/>: everything, ignoring an incoming "not sampled" flag, as KrakenD does.</item>
/// <item><see cref="TraceSampling.ParentBasedTraceIdRatio"/>: a remote or local parent's sampled flag is followed; a
/// root span is sampled when the last 8 bytes of its trace id, read big-endian and shifted right by one, are below
/// <c>rate · 2^63</c> (Go's <c>ParentBased(TraceIDRatioBased(rate))</c>). The SDK's own ratio sampler reads the first
/// 8 bytes, so it would pick different traces.</item>
/// </list>
/// </summary>
public sealed class KrakenDSampler : Sampler
{
    private static readonly SamplingResult Sample = new(SamplingDecision.RecordAndSample);
    private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

    public KrakenDSampler(TelemetryOptions options)
        : this(Validated(options).TraceSampling, options.TraceSampleRate)
    {
    }

    /// <param name="sampling">Which sampler.</param>
    /// <param name="rate">The ratio for <see cref="TraceSampling.ParentBasedTraceIdRatio"/>; ignored otherwise.</param>
    public KrakenDSampler(TraceSampling sampling, double rate)
    {
        Sampling = sampling;
        TraceIdUpperBound = UpperBound(rate);
        Description = sampling switch
        {
            TraceSampling.AlwaysOff => "AlwaysOffSampler",
            TraceSampling.AlwaysOn => "AlwaysOnSampler",
            _ => string.Create(CultureInfo.InvariantCulture, $"ParentBased{{root:TraceIDRatioBased{{{rate}}}}}"),
        };
    }

    public TraceSampling Sampling { get; }

    /// <summary>Go's <c>uint64(rate * (1 &lt;&lt; 63))</c>: root spans whose trace-id value is below it are sampled.</summary>
    internal ulong TraceIdUpperBound { get; }

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) => Sampling switch
    {
        TraceSampling.AlwaysOff => Drop,
        TraceSampling.AlwaysOn => Sample,
        _ => ShouldSampleParentBased(samplingParameters.ParentContext, samplingParameters.TraceId),
    };

    private SamplingResult ShouldSampleParentBased(ActivityContext parent, ActivityTraceId traceId)
    {
        // Go's ParentBased defaults: a sampled parent (remote or local) always samples, an unsampled one never does.
        if (parent.TraceId != default && parent.SpanId != default)
        {
            return (parent.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? Sample : Drop;
        }

        return IsBelowUpperBound(traceId) ? Sample : Drop;
    }

    private bool IsBelowUpperBound(ActivityTraceId traceId)
    {
        Span<byte> bytes = stackalloc byte[16];
        traceId.CopyTo(bytes);
        return BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]) >> 1 < TraceIdUpperBound;
    }

    private static ulong UpperBound(double rate) => rate switch
    {
        >= 1 => 1UL << 63,
        > 0 => (ulong)(rate * (1UL << 63)),
        _ => 0, // also NaN
    };

    private static TelemetryOptions Validated(TelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options;
    }
}
