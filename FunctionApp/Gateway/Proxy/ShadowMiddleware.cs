namespace FunctionApp.Gateway.Proxy;

/// <summary>
/// <c>proxy.shadow</c> backends (Lura's <c>proxy/shadow.go</c>): each gets its own copy of the request and is
/// called beside the endpoint's pipeline, detached from the client (bounded by its own backend timeout). The client
/// never waits for a shadow call, and its answer or failure is thrown away.
/// </summary>
internal static class ShadowMiddleware
{
    public static ProxyDelegate Create(ProxyDelegate next, IReadOnlyList<ProxyDelegate> shadows) =>
        async (request, cancellationToken) =>
        {
            var copies = await RequestBody.PrepareCopiesAsync(request, cancellationToken).ConfigureAwait(false);
            if (copies is null)
            {
                return RequestBody.TooLarge();
            }

            foreach (var shadow in shadows)
            {
                _ = CallAndForgetAsync(shadow, copies());
            }

            return await next(copies(), cancellationToken).ConfigureAwait(false);
        };

    private static async Task CallAndForgetAsync(ProxyDelegate shadow, ProxyRequest request)
    {
        // Off the caller's path: the regular pipeline starts without waiting for the shadow's synchronous part.
        await Task.Yield();
        try
        {
            using var response = await shadow(request, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // A shadow call never affects the client; proxy layers report failures as values, this is a last guard.
        }
    }
}
