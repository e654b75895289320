namespace Telemetry.Layers.Global;

/// <summary>
/// Per-request state the global layer shares with the router (§1, "no span" row): when an endpoint handler runs it
/// tells the global layer the matched route pattern and the endpoint-level global static attributes (§2.8). Set as a
/// request feature by <see cref="GlobalTelemetryLayer"/>; absent when the layer is off.
/// </summary>
public sealed class GlobalRequestTelemetry
{
    internal EndpointGlobalAttributes? Endpoint { get; private set; }

    /// <summary>Called by the endpoint handler (KrakenD's <c>router/gin/endpoint.go</c> wrapper).</summary>
    public void SetEndpoint(EndpointGlobalAttributes endpoint) => Endpoint = endpoint;
}

/// <summary>
/// One endpoint as the global layer reports it: its normalised route (<c>/users/:id</c>) and the endpoint-level
/// <c>global</c> static attributes merged over the service-level ones (the endpoint wins on a key collision). Built once
/// per endpoint.
/// </summary>
public sealed class EndpointGlobalAttributes
{
    public EndpointGlobalAttributes(string route, Configuration.GlobalLayerOptions resolved)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(resolved);
        Route = route;
        MetricAttributes = StaticAttributes.ToTags(resolved.MetricsStaticAttributes);
        TraceAttributes = StaticAttributes.ToTags(resolved.TracesStaticAttributes);
    }

    public string Route { get; }

    internal KeyValuePair<string, object?>[] MetricAttributes { get; }

    internal KeyValuePair<string, object?>[] TraceAttributes { get; }
}
