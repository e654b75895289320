using Microsoft.AspNetCore.Http;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using Telemetry.Tracing;
using static FunctionApp.Tests.Telemetry.Tracing.PropagationTestCarrier;

namespace FunctionApp.Tests.Telemetry.Tracing;

/// <summary>§5.8 <c>jaeger</c>: <c>uber-trace-id</c> and <c>uberctx-*</c> baggage.</summary>
public sealed class JaegerPropagatorTests
{
    private static readonly JaegerTextMapPropagator Jaeger = new();

    [Theory]
    [InlineData($"{TraceId}:{SpanId}:0:1", true)]
    [InlineData($"{TraceId}:{SpanId}:{ParentSpanId}:1", true)]
    [InlineData($"{TraceId}:{SpanId}:0:3", true)] // debug + sampled
    [InlineData($"{TraceId}:{SpanId}:0:2", false)] // debug without the sampled bit
    [InlineData($"{TraceId}:{SpanId}:0:0", false)]
    [InlineData($"{TraceId}:{SpanId}:0:", false)]
    [InlineData($"{TraceId}%3A{SpanId}%3A0%3A1", true)] // URL-encoded by some clients
    public void Extract_UberTraceId_ReadsIdsAndSampledFlag(string header, bool sampled)
    {
        var context = Extract(Jaeger, ("uber-trace-id", header));

        AssertRemote(context.ActivityContext, TraceId, SpanId, sampled);
    }

    [Fact]
    public void Extract_ShortIds_AreLeftPadded()
    {
        var context = Extract(Jaeger, ("uber-trace-id", "64fe8b2a57d3eff7:abc:0:1"));

        AssertRemote(context.ActivityContext, "000000000000000064fe8b2a57d3eff7", "0000000000000abc", sampled: true);
    }

    [Theory]
    [InlineData("")]
    [InlineData($"{TraceId}:{SpanId}:1")]
    [InlineData($"{TraceId}:{SpanId}:0:1:0")]
    [InlineData($":{SpanId}:0:1")]
    [InlineData($"{TraceId}::0:1")]
    [InlineData($"{TraceId}0:{SpanId}:0:1")]
    [InlineData($"{TraceId}:{SpanId}0:0:1")]
    [InlineData($"80F198EE56343BA864FE8B2A57D3EFF7:{SpanId}:0:1")]
    [InlineData($"0000000000000000:{SpanId}:0:1")]
    [InlineData($"{TraceId}:0:0:1")]
    [InlineData($"{TraceId}:{SpanId}:0:zz")]
    [InlineData($"{TraceId}-{SpanId}-0-1")]
    public void Extract_Malformed_ExtractsNothing(string header)
    {
        var context = Extract(Jaeger, ("uber-trace-id", header));

        Assert.Equal(default, context.ActivityContext);
    }

    [Fact]
    public void Extract_UberctxHeaders_BecomeDecodedBaggage()
    {
        var context = Extract(
            Jaeger,
            ("uber-trace-id", $"{TraceId}:{SpanId}:0:1"),
            ("uberctx-User-Id", "alice%20smith"),
            ("uberctx-tier", "gold+plus"),
            ("uberctx-", "ignored"),
            ("x-other", "ignored"));

        Assert.Equal(
            new Dictionary<string, string> { ["user-id"] = "alice smith", ["tier"] = "gold plus" },
            context.Baggage.GetBaggage());
    }

    [Fact]
    public void Extract_UberctxFromRequestMessageAndHeaderDictionary_BecomesBaggage()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://backend/");
        request.Headers.TryAddWithoutValidation("uberctx-k", "v");
        var headers = new HeaderDictionary { ["uberctx-k"] = "v" };

        var fromRequest = Jaeger.Extract(default, request, PropagationHeaders.RequestMessageGetter);
        var fromHeaders = Jaeger.Extract(default, headers, PropagationHeaders.HeaderDictionaryGetter);

        Assert.Equal("v", fromRequest.Baggage.GetBaggage("k"));
        Assert.Equal("v", fromHeaders.Baggage.GetBaggage("k"));
    }

    [Theory]
    [InlineData(true, "1")]
    [InlineData(false, "0")]
    public void Inject_WritesUberTraceIdWithDeprecatedParentZero(bool sampled, string flags)
    {
        var headers = Inject(Jaeger, Context(sampled: sampled));

        Assert.Equal(new Dictionary<string, string> { ["uber-trace-id"] = $"{TraceId}:{SpanId}:0:{flags}" }, headers);
    }

    [Fact]
    public void Inject_Baggage_WritesEncodedUberctxHeadersSkippingInvalidNames()
    {
        var baggage = Baggage.Create(new Dictionary<string, string> { ["user"] = "alice smith/1", ["bad key"] = "x" });
        var headers = Headers();

        Jaeger.Inject(new PropagationContext(Context(), baggage), headers, Setter);

        Assert.Equal("alice%20smith%2F1", headers["uberctx-user"]);
        Assert.DoesNotContain(headers.Keys, name => name.Contains(' ', StringComparison.Ordinal));
    }

    [Fact]
    public void RoundTrip_RequestMessageToHeaderDictionary_KeepsContextAndBaggage()
    {
        var baggage = Baggage.Create(new Dictionary<string, string> { ["user"] = "alice smith" });
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://backend/");
        Jaeger.Inject(new PropagationContext(Context(sampled: false), baggage), request, PropagationHeaders.RequestMessageSetter);
        var incoming = new HeaderDictionary();
        foreach (var (name, values) in request.Headers)
        {
            incoming[name] = values.ToArray();
        }

        var extracted = Jaeger.Extract(default, incoming, PropagationHeaders.HeaderDictionaryGetter);

        AssertRemote(extracted.ActivityContext, TraceId, SpanId, sampled: false);
        Assert.Equal("alice smith", extracted.Baggage.GetBaggage("user"));
    }
}
