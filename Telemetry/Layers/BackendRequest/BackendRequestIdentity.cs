namespace Telemetry.Layers.BackendRequest;

/// <summary>
/// One configured backend as the backend-request layer reports it (§4.5, §5.5). Routes are already normalised by the
/// caller (§5.9: <c>/users/:id</c>).
/// </summary>
/// <param name="Route">The backend's normalised <c>url_pattern</c>: span name, <c>http.route</c> and <c>clientname</c>.</param>
/// <param name="ConfiguredMethod">The backend's configured method (<c>http.request.method</c> of the read metrics).</param>
/// <param name="EndpointRoute">The parent endpoint's normalised pattern (<c>krakend.endpoint.route</c>).</param>
/// <param name="EndpointMethod">The parent endpoint's method (<c>krakend.endpoint.method</c>).</param>
public sealed record BackendRequestIdentity(string Route, string ConfiguredMethod, string EndpointRoute, string EndpointMethod);
