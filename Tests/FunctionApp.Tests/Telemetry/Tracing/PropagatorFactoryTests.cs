using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using Telemetry.Tracing;
using static FunctionApp.Tests.Telemetry.Tracing.PropagationTestCarrier;

namespace FunctionApp.Tests.Telemetry.Tracing;

/// <summary>§5.8: <c>OTEL_PROPAGATORS</c> names to one propagator, and the header getters/setters.</summary>
public sealed class PropagatorFactoryTests
{
    private const string OtherTraceId = "0af7651916cd43dd8448eb211c80319c";
    private const string OtherSpanId = "b7ad6b7169203331";

    [Theory]
    [InlineData]
    [InlineData("none")]
    [InlineData("tracecontext", "none")]
    [InlineData("xray", "ottrace")]
    public void Create_NoneOrNothingUsable_DoesNothing(params string[] names)
    {
        var propagator = PropagatorFactory.Create(names);
        var given = new PropagationContext(Context(), default);

        var extracted = propagator.Extract(given, Headers(("traceparent", $"00-{OtherTraceId}-{OtherSpanId}-01")), Getter);
        var injected = Inject(propagator, Context());

        Assert.Equal(given, extracted);
        Assert.Empty(injected);
        Assert.Empty(propagator.Fields!);
    }

    [Theory]
    [InlineData("tracecontext", "traceparent")]
    [InlineData("baggage", "baggage")]
    [InlineData("b3", "b3")]
    [InlineData("b3multi", "X-B3-TraceId")]
    [InlineData("jaeger", "uber-trace-id")]
    [InlineData("B3Multi", "X-B3-TraceId")]
    public void Create_OneName_GivesThatFormat(string name, string field)
    {
        var propagator = PropagatorFactory.Create([name]);

        Assert.Contains(field, propagator.Fields!, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public void Create_UnknownNames_AreSkipped()
    {
        var propagator = PropagatorFactory.Create(["xray", "b3", "ottrace"]);

        Assert.True(propagator.Fields!.SetEquals(["b3"]));
    }

    [Fact]
    public void Create_Default_InjectsAndExtractsTraceContextAndBaggage()
    {
        var propagator = PropagatorFactory.Create(["tracecontext", "baggage"]);
        var baggage = Baggage.Create(new Dictionary<string, string> { ["tenant"] = "a" });
        var headers = Headers();

        propagator.Inject(new PropagationContext(Context(), baggage), headers, Setter);
        var extracted = propagator.Extract(default, headers, Getter);

        Assert.Equal($"00-{TraceId}-{SpanId}-01", headers["traceparent"]);
        Assert.Equal("tenant=a", headers["baggage"]);
        AssertRemote(extracted.ActivityContext, TraceId, SpanId, sampled: true);
        Assert.Equal("a", extracted.Baggage.GetBaggage("tenant"));
    }

    [Fact]
    public void Create_SeveralFormats_InjectsEveryOneInOrder()
    {
        var propagator = PropagatorFactory.Create(["tracecontext", "b3multi", "jaeger", "b3"]);
        var written = new List<string>();
        var headers = Headers();

        propagator.Inject(new PropagationContext(Context(), default), headers, (carrier, name, value) =>
        {
            written.Add(name);
            carrier[name] = value;
        });

        Assert.Equal(["traceparent", "X-B3-TraceId", "X-B3-SpanId", "X-B3-Sampled", "uber-trace-id", "b3"], written);
        Assert.Equal($"{TraceId}:{SpanId}:0:1", headers["uber-trace-id"]);
        Assert.True(propagator.Fields!.IsSupersetOf(["traceparent", "tracestate", "b3", "x-b3-traceid", "uber-trace-id"]));
    }

    [Theory]
    [InlineData(new[] { "tracecontext", "b3" }, OtherTraceId)]
    [InlineData(new[] { "b3", "tracecontext" }, TraceId)]
    public void Create_ConflictingFormats_LastValidOneWins(string[] names, string expectedTraceId)
    {
        var propagator = PropagatorFactory.Create(names);

        var extracted = Extract(
            propagator,
            ("traceparent", $"00-{TraceId}-{SpanId}-01"),
            ("b3", $"{OtherTraceId}-{OtherSpanId}-1"));

        Assert.Equal(expectedTraceId, extracted.ActivityContext.TraceId.ToHexString());
    }

    [Fact]
    public void Create_LaterFormatMalformed_KeepsEarlierContext()
    {
        var propagator = PropagatorFactory.Create(["tracecontext", "b3"]);

        var extracted = Extract(propagator, ("traceparent", $"00-{TraceId}-{SpanId}-01"), ("b3", "not-b3"));

        AssertRemote(extracted.ActivityContext, TraceId, SpanId, sampled: true);
    }

    [Fact]
    public void Create_BaggageFromSeveralFormats_IsMerged()
    {
        var propagator = PropagatorFactory.Create(["tracecontext", "baggage", "jaeger"]);

        var extracted = Extract(propagator, ("baggage", "tenant=a,plan=free"), ("uberctx-plan", "paid"), ("uberctx-user", "bob"));

        Assert.Equal(
            new Dictionary<string, string> { ["tenant"] = "a", ["plan"] = "paid", ["user"] = "bob" },
            extracted.Baggage.GetBaggage());
    }

    [Fact]
    public void HeaderDictionaryGetter_MissingHeader_IsNull()
    {
        var headers = new HeaderDictionary { ["traceparent"] = "x" };

        Assert.Null(PropagationHeaders.HeaderDictionaryGetter(headers, "b3"));
        Assert.Equal(["x"], PropagationHeaders.HeaderDictionaryGetter(headers, "TraceParent")!);
    }

    [Fact]
    public void RequestMessageSetter_ExistingHeader_IsReplaced()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://backend/");
        request.Headers.TryAddWithoutValidation("b3", "stale");

        PropagationHeaders.RequestMessageSetter(request, "b3", "fresh");

        Assert.Equal(["fresh"], PropagationHeaders.RequestMessageGetter(request, "b3")!);
        Assert.Null(PropagationHeaders.RequestMessageGetter(request, "traceparent"));
    }

    [Fact]
    public void HeaderDictionarySetter_ThenTraceContextExtract_RoundTrips()
    {
        var propagator = PropagatorFactory.Create(["tracecontext"]);
        var headers = new HeaderDictionary();
        var context = new ActivityContext(ActivityTraceId.CreateFromString(TraceId), ActivitySpanId.CreateFromString(SpanId), ActivityTraceFlags.None);

        propagator.Inject(new PropagationContext(context, default), headers, PropagationHeaders.HeaderDictionarySetter);
        var extracted = propagator.Extract(default, headers, PropagationHeaders.HeaderDictionaryGetter);

        AssertRemote(extracted.ActivityContext, TraceId, SpanId, sampled: false);
    }
}
