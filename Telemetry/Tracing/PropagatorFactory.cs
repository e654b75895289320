using OpenTelemetry.Context.Propagation;
using Telemetry.Configuration;

namespace Telemetry.Tracing;

/// <summary>Builds the propagator <c>OTEL_PROPAGATORS</c> names (reference §5.8; see <see cref="TelemetryEnvironment.Propagators"/>).</summary>
public static class PropagatorFactory
{
    /// <summary>
    /// One propagator per known name, in the given order: <c>tracecontext</c>, <c>baggage</c>, <c>b3</c> (single
    /// header), <c>b3multi</c>, <c>jaeger</c>. <c>none</c>, or no usable name, gives a propagator that does nothing.
    /// Names we do not implement (<c>xray</c>, <c>ottrace</c>, anything else) are skipped: the caller reports them.
    /// </summary>
    public static TextMapPropagator Create(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var propagators = new List<TextMapPropagator>(names.Count);
        foreach (var name in names)
        {
            if (string.Equals(name, "none", StringComparison.OrdinalIgnoreCase))
            {
                return NoopTextMapPropagator.Instance;
            }

            if (Create(name) is { } propagator)
            {
                propagators.Add(propagator);
            }
        }

        return propagators.Count switch
        {
            0 => NoopTextMapPropagator.Instance,
            1 => propagators[0],
            _ => new LastWinsCompositePropagator(propagators),
        };
    }

    private static TextMapPropagator? Create(string name) => name.Trim().ToLowerInvariant() switch
    {
        "tracecontext" => new W3CTraceContextPropagator(),
        "baggage" => new BaggagePropagator(),
        "b3" => new B3TextMapPropagator(injectSingleHeader: true),
        "b3multi" => new B3TextMapPropagator(injectSingleHeader: false),
        "jaeger" => new JaegerTextMapPropagator(),
        _ => null,
    };
}
