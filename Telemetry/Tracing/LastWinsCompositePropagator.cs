using OpenTelemetry.Context.Propagation;

namespace Telemetry.Tracing;

/// <summary>
/// Several propagators in the <c>OTEL_PROPAGATORS</c> order, with Go's composite semantics: every one injects, in
/// order; on extract every one reads the carrier and the <b>last</b> that finds a valid trace context wins (the SDK's
/// <see cref="CompositeTextMapPropagator"/> keeps the first). Baggage found by each is merged, later keys winning.
/// </summary>
internal sealed class LastWinsCompositePropagator : TextMapPropagator
{
    private readonly TextMapPropagator[] _propagators;

    public LastWinsCompositePropagator(IReadOnlyList<TextMapPropagator> propagators)
    {
        ArgumentNullException.ThrowIfNull(propagators);
        _propagators = [.. propagators];
        var fields = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var propagator in _propagators)
        {
            if (propagator.Fields is { } own)
            {
                fields.UnionWith(own);
            }
        }

        Fields = fields;
    }

    public override ISet<string> Fields { get; }

    public override PropagationContext Extract<T>(PropagationContext context, T carrier, Func<T, string, IEnumerable<string>?> getter)
    {
        var activity = context.ActivityContext;
        var baggage = context.Baggage;
        foreach (var propagator in _propagators)
        {
            // Each one starts empty: the SDK's propagators skip extraction when handed a valid context or baggage.
            var extracted = propagator.Extract(default, carrier, getter);
            if (HexIds.IsValid(extracted.ActivityContext))
            {
                activity = extracted.ActivityContext;
            }

            if (extracted.Baggage.Count > 0)
            {
                baggage = baggage.Count == 0 ? extracted.Baggage : baggage.SetBaggage((IEnumerable<KeyValuePair<string, string?>>)extracted.Baggage.GetBaggage());
            }
        }

        return new PropagationContext(activity, baggage);
    }

    public override void Inject<T>(PropagationContext context, T carrier, Action<T, string, string> setter)
    {
        foreach (var propagator in _propagators)
        {
            propagator.Inject(context, carrier, setter);
        }
    }
}
