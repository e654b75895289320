namespace FunctionApp.Gateway;

/// <summary>
/// The one seam between the gateway's layers (Lura's <c>proxy.Proxy</c>): router → proxy → backend. Each layer is
/// a <see cref="ProxyDelegate"/> that may wrap another. Failures are returned in <see cref="ProxyResponse.Error"/>,
/// not thrown.
/// </summary>
public delegate ValueTask<ProxyResponse> ProxyDelegate(ProxyRequest request, CancellationToken cancellationToken);
