using System.Diagnostics;
using OpenTelemetry.Context.Propagation;

namespace FunctionApp.Tests.Telemetry.Tracing;

/// <summary>A plain header map to extract from and inject into, plus the ids the propagator tests share.</summary>
internal static class PropagationTestCarrier
{
    public const string TraceId = "80f198ee56343ba864fe8b2a57d3eff7";
    public const string SpanId = "e457b5a2e4d86bd1";
    public const string ParentSpanId = "05e3ac9a4f6e3b90";

    public static readonly Func<Dictionary<string, string>, string, IEnumerable<string>?> Getter =
        static (headers, name) => headers.TryGetValue(name, out var value) ? [value] : null;

    public static readonly Action<Dictionary<string, string>, string, string> Setter =
        static (headers, name, value) => headers[name] = value;

    public static Dictionary<string, string> Headers(params (string Name, string Value)[] headers)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            result[name] = value;
        }

        return result;
    }

    public static PropagationContext Extract(TextMapPropagator propagator, params (string Name, string Value)[] headers) =>
        propagator.Extract(default, Headers(headers), Getter);

    public static Dictionary<string, string> Inject(TextMapPropagator propagator, ActivityContext context)
    {
        var headers = Headers();
        propagator.Inject(new PropagationContext(context, default), headers, Setter);
        return headers;
    }

    public static ActivityContext Context(string traceId = TraceId, string spanId = SpanId, bool sampled = true) => new(
        ActivityTraceId.CreateFromString(traceId),
        ActivitySpanId.CreateFromString(spanId),
        sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None);

    /// <summary>Asserts a remote context with these ids and sampled flag.</summary>
    public static void AssertRemote(ActivityContext actual, string traceId, string spanId, bool sampled)
    {
        Assert.Equal(traceId, actual.TraceId.ToHexString());
        Assert.Equal(spanId, actual.SpanId.ToHexString());
        Assert.Equal(sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None, actual.TraceFlags);
        Assert.True(actual.IsRemote);
    }
}
