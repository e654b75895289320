namespace FunctionApp.Gateway.Proxy;

/// <summary>
/// Gives each of several calls its own copy of the client's body. A stream can be read once, so when more than one
/// backend call needs the body it is read into memory first (bounded), as Lura deep-copies it.
/// </summary>
internal static class RequestBody
{
    /// <summary>Largest body the gateway copies for fan-out; a larger one is refused rather than buffered.</summary>
    public const int MaxCopiedBytes = 16 * 1024 * 1024;

    /// <summary>Returns a factory of requests, each with its own readable body.</summary>
    public static async ValueTask<Func<ProxyRequest>?> PrepareCopiesAsync(ProxyRequest request, CancellationToken cancellationToken)
    {
        if (request.Body is null)
        {
            return () => request;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxCopiedBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        var bytes = buffer.ToArray();
        return () => request with { Body = new MemoryStream(bytes, writable: false), ContentLength = bytes.Length };
    }

    public static ProxyResponse TooLarge() =>
        ProxyResponse.Failed(new GatewayError(GatewayErrorKind.InvalidRequest, $"request body larger than {MaxCopiedBytes} bytes cannot be sent to several backends"));
}
