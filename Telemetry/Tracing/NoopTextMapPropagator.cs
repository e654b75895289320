using OpenTelemetry.Context.Propagation;

namespace Telemetry.Tracing;

/// <summary><c>OTEL_PROPAGATORS=none</c>: nothing is extracted or injected.</summary>
internal sealed class NoopTextMapPropagator : TextMapPropagator
{
    public static NoopTextMapPropagator Instance { get; } = new();

    public override ISet<string> Fields { get; } = new HashSet<string>();

    public override PropagationContext Extract<T>(PropagationContext context, T carrier, Func<T, string, IEnumerable<string>?> getter) => context;

    public override void Inject<T>(PropagationContext context, T carrier, Action<T, string, string> setter)
    {
    }
}
