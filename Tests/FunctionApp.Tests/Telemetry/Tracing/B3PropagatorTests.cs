using Microsoft.AspNetCore.Http;
using Telemetry.Tracing;
using static FunctionApp.Tests.Telemetry.Tracing.PropagationTestCarrier;

namespace FunctionApp.Tests.Telemetry.Tracing;

/// <summary>§5.8 <c>b3</c> and <c>b3multi</c>, against the examples of the B3 spec and Go's contrib propagator.</summary>
public sealed class B3PropagatorTests
{
    private static readonly B3TextMapPropagator Single = new(injectSingleHeader: true);
    private static readonly B3TextMapPropagator Multi = new(injectSingleHeader: false);

    [Theory]
    [InlineData($"{TraceId}-{SpanId}-1-{ParentSpanId}", true)]
    [InlineData($"{TraceId}-{SpanId}-1", true)]
    [InlineData($"{TraceId}-{SpanId}-d", true)]
    [InlineData($"{TraceId}-{SpanId}-0", false)]
    [InlineData($"{TraceId}-{SpanId}", false)] // deferred: no sampling state means not sampled, as in Go
    public void Extract_SingleHeader_ReadsIdsAndSamplingState(string header, bool sampled)
    {
        var context = Extract(Single, ("b3", header));

        AssertRemote(context.ActivityContext, TraceId, SpanId, sampled);
    }

    [Fact]
    public void Extract_SingleHeader64BitTraceId_IsLeftPadded()
    {
        var context = Extract(Single, ("b3", $"64fe8b2a57d3eff7-{SpanId}-1"));

        AssertRemote(context.ActivityContext, "000000000000000064fe8b2a57d3eff7", SpanId, sampled: true);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("d")]
    [InlineData(TraceId)]
    [InlineData($"{TraceId}-")]
    [InlineData($"{TraceId}-{SpanId}-")]
    [InlineData($"{TraceId}-{SpanId}-x")]
    [InlineData($"{TraceId}-{SpanId}-10")]
    [InlineData($"{TraceId}-{SpanId}-{ParentSpanId}")]
    [InlineData($"{TraceId}-{SpanId}-1-{ParentSpanId}-1")]
    [InlineData($"{TraceId}-{SpanId}-1-05e3ac9a4f6e3b9")]
    [InlineData($"{TraceId}-{SpanId}-1-0000000000000000")]
    [InlineData($"{TraceId}-e457b5a2e4d86bd")]
    [InlineData($"80F198EE56343BA864FE8B2A57D3EFF7-{SpanId}-1")]
    [InlineData($"00000000000000000000000000000000-{SpanId}-1")]
    [InlineData($"{TraceId}-0000000000000000-1")]
    [InlineData($"64fe8b2a57d3eff764fe-{SpanId}-1")]
    [InlineData($"{TraceId}x-{SpanId}-1")]
    public void Extract_MalformedSingleHeader_ExtractsNothing(string header)
    {
        var context = Extract(Single, ("b3", header));

        Assert.Equal(default, context.ActivityContext);
    }

    [Theory]
    [InlineData("1", null, true)]
    [InlineData("true", null, true)]
    [InlineData("True", null, true)]
    [InlineData("0", null, false)]
    [InlineData("false", null, false)]
    [InlineData(null, null, false)]
    [InlineData(null, "1", true)]
    [InlineData("0", "1", true)] // debug implies sampled
    [InlineData("0", "0", false)] // only "1" is a debug flag
    public void Extract_MultipleHeaders_ReadsIdsAndSamplingState(string? sampledHeader, string? flagsHeader, bool sampled)
    {
        var headers = Headers(("X-B3-TraceId", TraceId), ("X-B3-SpanId", SpanId), ("X-B3-ParentSpanId", ParentSpanId));
        if (sampledHeader is not null)
        {
            headers["X-B3-Sampled"] = sampledHeader;
        }

        if (flagsHeader is not null)
        {
            headers["X-B3-Flags"] = flagsHeader;
        }

        var context = Multi.Extract(default, headers, Getter);

        AssertRemote(context.ActivityContext, TraceId, SpanId, sampled);
    }

    [Fact]
    public void Extract_MultipleHeaders64BitTraceId_IsLeftPadded()
    {
        var context = Extract(Multi, ("X-B3-TraceId", "64fe8b2a57d3eff7"), ("X-B3-SpanId", SpanId), ("X-B3-Sampled", "1"));

        AssertRemote(context.ActivityContext, "000000000000000064fe8b2a57d3eff7", SpanId, sampled: true);
    }

    [Theory]
    [InlineData(TraceId, null, null, "1")]
    [InlineData(null, SpanId, null, "1")]
    [InlineData(TraceId, SpanId, null, "yes")]
    [InlineData(TraceId, SpanId, "05e3ac9a4f6e3b9x", "1")]
    [InlineData(TraceId, "e457b5a2e4d86bd", null, "1")]
    [InlineData("64fe8b2a57d3eff", SpanId, null, "1")]
    [InlineData("80F198EE56343BA864FE8B2A57D3EFF7", SpanId, null, "1")]
    public void Extract_MalformedMultipleHeaders_ExtractsNothing(string? traceId, string? spanId, string? parentSpanId, string sampled)
    {
        var headers = Headers(("X-B3-Sampled", sampled));
        foreach (var (name, value) in new[] { ("X-B3-TraceId", traceId), ("X-B3-SpanId", spanId), ("X-B3-ParentSpanId", parentSpanId) })
        {
            if (value is not null)
            {
                headers[name] = value;
            }
        }

        var context = Multi.Extract(default, headers, Getter);

        Assert.Equal(default, context.ActivityContext);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Extract_EitherEncoding_PrefersSingleHeaderThenFallsBackToMultiple(bool injectSingleHeader)
    {
        var propagator = new B3TextMapPropagator(injectSingleHeader);
        const string OtherTraceId = "0af7651916cd43dd8448eb211c80319c";
        var multi = new[] { ("X-B3-TraceId", OtherTraceId), ("X-B3-SpanId", SpanId), ("X-B3-Sampled", "1") };

        var preferred = Extract(propagator, [("b3", $"{TraceId}-{SpanId}-1"), .. multi]);
        var fallback = Extract(propagator, [("b3", "garbage"), .. multi]);

        Assert.Equal(TraceId, preferred.ActivityContext.TraceId.ToHexString());
        Assert.Equal(OtherTraceId, fallback.ActivityContext.TraceId.ToHexString());
    }

    [Theory]
    [InlineData(true, "1")]
    [InlineData(false, "0")]
    public void Inject_Single_WritesOnlyTheB3Header(bool sampled, string state)
    {
        var headers = Inject(Single, Context(sampled: sampled));

        Assert.Equal(new Dictionary<string, string> { ["b3"] = $"{TraceId}-{SpanId}-{state}" }, headers);
    }

    [Theory]
    [InlineData(true, "1")]
    [InlineData(false, "0")]
    public void Inject_Multi_WritesTraceSpanAndSampledHeaders(bool sampled, string state)
    {
        var headers = Inject(Multi, Context(sampled: sampled));

        Assert.Equal(
            new Dictionary<string, string> { ["X-B3-TraceId"] = TraceId, ["X-B3-SpanId"] = SpanId, ["X-B3-Sampled"] = state },
            headers);
    }

    [Fact]
    public void Inject_NoValidContext_WritesNothing()
    {
        Assert.Empty(Inject(Single, default));
        Assert.Empty(Inject(Multi, default));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RoundTrip_RequestMessageToHeaderDictionary_KeepsContext(bool injectSingleHeader)
    {
        var propagator = new B3TextMapPropagator(injectSingleHeader);
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://backend/");
        propagator.Inject(new(Context(), default), request, PropagationHeaders.RequestMessageSetter);
        var incoming = new HeaderDictionary();
        foreach (var (name, values) in request.Headers)
        {
            incoming[name] = values.ToArray();
        }

        var extracted = propagator.Extract(default, incoming, PropagationHeaders.HeaderDictionaryGetter);

        AssertRemote(extracted.ActivityContext, TraceId, SpanId, sampled: true);
    }

    [Fact]
    public void Fields_NameTheEncodingsHeaders()
    {
        Assert.True(Single.Fields.SetEquals(["b3"]));
        Assert.True(Multi.Fields.SetEquals(["x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "x-b3-flags", "x-b3-parentspanid"]));
    }
}
