using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Telemetry.Configuration;
using Telemetry.Tracing;

namespace FunctionApp.Tests.Telemetry.Tracing;

/// <summary>§5.10: the sampler <c>trace_sample_rate</c> selects, with Go's trace-id arithmetic.</summary>
public sealed class KrakenDSamplerTests
{
    private const string ParentSpanId = "00f067aa0ba902b7";

    // Trace ids whose last 8 bytes are far below / above any threshold used here.
    private const string LowTraceId = "4bf92f3577b34da60000000000000001";
    private const string HighTraceId = "4bf92f3577b34da6fffffffffffffffe";

    [Theory]
    [InlineData(0.0, TraceSampling.AlwaysOff)]
    [InlineData(0.3, TraceSampling.ParentBasedTraceIdRatio)]
    [InlineData(1.0, TraceSampling.AlwaysOn)]
    public void Constructor_FromOptions_UsesTheRatesSampling(double rate, TraceSampling expected)
    {
        var sampler = new KrakenDSampler(new TelemetryOptions { TraceSampleRate = rate });

        Assert.Equal(expected, sampler.Sampling);
    }

    [Theory]
    [InlineData(0.5, 0x4000000000000000UL)]
    [InlineData(0.25, 0x2000000000000000UL)]
    // float64(0.1) · 2^63 = 0x0CCCCCCCCCCCCD00 exactly; Go converts it to uint64 with truncation.
    [InlineData(0.1, 0x0CCCCCCCCCCCCD00UL)]
    public void Ratio_UpperBound_IsRateTimesTwoToThe63(double rate, ulong expected)
    {
        var sampler = new KrakenDSampler(TraceSampling.ParentBasedTraceIdRatio, rate);

        Assert.Equal(expected, sampler.TraceIdUpperBound);
    }

    [Theory]
    // rate 0.25: sampled while (last 8 bytes >> 1) < 2^61, i.e. last 8 bytes < 0x4000000000000000.
    [InlineData(0.25, "00000000000000003fffffffffffffff", true)]
    [InlineData(0.25, "00000000000000004000000000000000", false)]
    // rate 0.1: bound 0x0CCCCCCCCCCCCD00; the bit shifted out does not count.
    [InlineData(0.1, "000000000000000019999999999999fe", true)]
    [InlineData(0.1, "000000000000000019999999999999ff", true)]
    [InlineData(0.1, "00000000000000001999999999999a00", false)]
    [InlineData(0.1, "00000000000000001999999999999a01", false)]
    // Only the last 8 bytes count: the first 8 are the opposite of the decision.
    [InlineData(0.5, "ffffffffffffffff0000000000000001", true)]
    [InlineData(0.5, "00000000000000018000000000000000", false)]
    public void Ratio_RootSpan_SampledOnlyBelowThreshold(double rate, string traceId, bool expected)
    {
        var sampler = new KrakenDSampler(TraceSampling.ParentBasedTraceIdRatio, rate);

        Assert.Equal(expected, Decide(sampler, traceId) == SamplingDecision.RecordAndSample);
    }

    [Theory]
    [InlineData(true, true, HighTraceId)]
    [InlineData(true, false, LowTraceId)]
    [InlineData(false, true, HighTraceId)]
    [InlineData(false, false, LowTraceId)]
    public void Ratio_WithParent_FollowsParentSampledFlag(bool remote, bool parentSampled, string traceId)
    {
        var sampler = new KrakenDSampler(TraceSampling.ParentBasedTraceIdRatio, 0.5);
        var parent = Parent(traceId, parentSampled, remote);

        var decision = Decide(sampler, traceId, parent);

        Assert.Equal(parentSampled ? SamplingDecision.RecordAndSample : SamplingDecision.Drop, decision);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AlwaysOn_ParentNotSampled_StillSamples(bool remote)
    {
        var sampler = new KrakenDSampler(TraceSampling.AlwaysOn, 1);

        Assert.Equal(SamplingDecision.RecordAndSample, Decide(sampler, HighTraceId, Parent(HighTraceId, sampled: false, remote)));
        Assert.Equal(SamplingDecision.RecordAndSample, Decide(sampler, HighTraceId));
    }

    [Fact]
    public void AlwaysOff_SampledParentOrLowTraceId_Drops()
    {
        var sampler = new KrakenDSampler(TraceSampling.AlwaysOff, 0);

        Assert.Equal(SamplingDecision.Drop, Decide(sampler, LowTraceId, Parent(LowTraceId, sampled: true, remote: true)));
        Assert.Equal(SamplingDecision.Drop, Decide(sampler, LowTraceId));
    }

    [Theory]
    [InlineData(TraceSampling.AlwaysOn, true)]
    [InlineData(TraceSampling.AlwaysOff, false)]
    [InlineData(TraceSampling.ParentBasedTraceIdRatio, false)]
    public void TracerProvider_RemoteParentNotSampled_RecordsPerSampler(TraceSampling sampling, bool expectedRecorded)
    {
        using var source = new ActivitySource($"sampler-test-{Guid.NewGuid():N}");
        using var provider = Sdk.CreateTracerProviderBuilder()
            .SetSampler(new KrakenDSampler(sampling, 0.5))
            .AddSource(source.Name)
            .Build();

        using var activity = source.StartActivity("span", ActivityKind.Server, Parent(LowTraceId, sampled: false, remote: true));

        Assert.Equal(expectedRecorded, activity?.Recorded ?? false);
    }

    private static SamplingDecision Decide(KrakenDSampler sampler, string traceId, ActivityContext parent = default) =>
        sampler.ShouldSample(new SamplingParameters(parent, ActivityTraceId.CreateFromString(traceId), "span", ActivityKind.Server)).Decision;

    private static ActivityContext Parent(string traceId, bool sampled, bool remote) => new(
        ActivityTraceId.CreateFromString(traceId),
        ActivitySpanId.CreateFromString(ParentSpanId),
        sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None,
        traceState: null,
        isRemote: remote);
}
