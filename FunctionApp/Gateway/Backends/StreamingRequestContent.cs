using System.Net;

namespace FunctionApp.Gateway.Backends;

/// <summary>
/// Streams the client's request body to a backend without buffering it and without taking ownership of it
/// (the server owns the request stream).
/// </summary>
internal sealed class StreamingRequestContent : HttpContent
{
    private readonly Stream _source;
    private readonly long? _length;

    public StreamingRequestContent(Stream source, long? length)
    {
        _source = source;
        _length = length;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        await _source.CopyToAsync(stream, 64 * 1024, cancellationToken).ConfigureAwait(false);

    protected override bool TryComputeLength(out long length)
    {
        length = _length ?? 0;
        return _length is not null;
    }
}
