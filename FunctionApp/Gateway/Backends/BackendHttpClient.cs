using System.Net;
using FunctionApp.Gateway.Configuration;

namespace FunctionApp.Gateway.Backends;

/// <summary>
/// Builds the one <see cref="HttpMessageInvoker"/> shared by every backend: pooled connections over
/// <see cref="SocketsHttpHandler"/>, and none of HttpClient's surprises (no proxy from the environment, no cookies,
/// no automatic redirects or decompression, no activity propagation of its own).
/// </summary>
public static class BackendHttpClient
{
    public static HttpMessageInvoker Create(BackendClientOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = options.ConnectTimeout ?? TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = options.IdleConnectionTimeout ?? TimeSpan.FromSeconds(90),
            PooledConnectionLifetime = options.DisableKeepAlives ? TimeSpan.Zero : Timeout.InfiniteTimeSpan,
            Expect100ContinueTimeout = options.ExpectContinueTimeout ?? TimeSpan.FromSeconds(1),
        };
        return new HttpMessageInvoker(handler, disposeHandler: true);
    }
}
