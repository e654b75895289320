using System.Buffers;
using System.IO.Compression;

namespace Telemetry.Aggregation.Otlp;

/// <summary>How reading an OTLP/HTTP request body ended, and the status code the host answers with.</summary>
public enum OtlpBodyStatus
{
    /// <summary>The body is in <see cref="OtlpRequestBody.Span"/>, decompressed.</summary>
    Ok,

    /// <summary>413: the body, compressed or decompressed, is larger than the limit (a gzip bomb, or just too big).</summary>
    TooLarge,

    /// <summary>400: <c>Content-Encoding: gzip</c> but the body is not valid gzip.</summary>
    InvalidEncoding,

    /// <summary>415: a <c>Content-Encoding</c> other than gzip or identity.</summary>
    UnsupportedEncoding,
}

/// <summary>
/// Reads a request body into a pooled buffer, gunzipping it for <c>Content-Encoding: gzip</c>, with a hard cap on the
/// bytes kept (the spec's "MUST cap the request size after decompression", aggregation.md §4.1). The cap applies to
/// the decompressed body and to the compressed bytes read, so neither a bomb nor an endless stream of empty deflate
/// blocks gets past it. Dispose it once the body is decoded (the decoded request holds no reference to the buffer).
/// </summary>
public sealed class OtlpRequestBody : IDisposable
{
    private const int InitialBufferBytes = 16 * 1024;

    private byte[]? _buffer;
    private readonly int _length;

    private OtlpRequestBody(OtlpBodyStatus status, string? error, byte[]? buffer, int length)
    {
        Status = status;
        Error = error;
        _buffer = buffer;
        _length = length;
    }

    public OtlpBodyStatus Status { get; }

    /// <summary>Why the body was refused (English, safe to echo to the client); null when <see cref="Status"/> is Ok.</summary>
    public string? Error { get; }

    /// <summary>The (decompressed) body; only while <see cref="Status"/> is Ok and the instance is not disposed.</summary>
    public ReadOnlySpan<byte> Span => Status == OtlpBodyStatus.Ok
        ? _buffer is { } buffer ? buffer.AsSpan(0, _length) : throw new ObjectDisposedException(nameof(OtlpRequestBody))
        : throw new InvalidOperationException($"The body was not read: {Error}");

    /// <summary>
    /// Reads <paramref name="body"/> to its end, or until more than <paramref name="maxBytes"/> arrive.
    /// </summary>
    /// <param name="body">The request body stream; it is read asynchronously and not disposed.</param>
    /// <param name="contentEncoding">The <c>Content-Encoding</c> header: null, empty, <c>identity</c> or <c>gzip</c>.</param>
    /// <param name="maxBytes">The largest body accepted, before and after decompression; the spec recommends 64 MiB.</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    public static async Task<OtlpRequestBody> ReadAsync(Stream body, string? contentEncoding, int maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBytes, Array.MaxLength - 1);

        var encoding = contentEncoding.AsSpan().Trim();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || encoding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && !encoding.IsEmpty && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return new(OtlpBodyStatus.UnsupportedEncoding, $"Content-Encoding \"{contentEncoding}\" is not supported; use gzip or none", null, 0);
        }

        if (!gzip)
        {
            return await ReadToLimitAsync(body, maxBytes, cancellationToken);
        }

        var compressed = new LimitedReadStream(body, maxBytes);
        try
        {
            await using var decompressed = new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true);
            var result = await ReadToLimitAsync(decompressed, maxBytes, cancellationToken);
            return result.Status == OtlpBodyStatus.Ok && compressed.Exceeded ? TooLarge(result, maxBytes) : result;
        }
        catch (IOException) when (compressed.Exceeded)
        {
            return TooLarge(null, maxBytes);
        }
        catch (InvalidDataException e)
        {
            return new(OtlpBodyStatus.InvalidEncoding, $"the gzip body is invalid: {e.Message}", null, 0);
        }
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static OtlpRequestBody TooLarge(OtlpRequestBody? read, int maxBytes)
    {
        read?.Dispose();
        return new(OtlpBodyStatus.TooLarge, $"the request body is larger than {maxBytes} bytes", null, 0);
    }

    /// <summary>
    /// Reads up to <paramref name="maxBytes"/> bytes into a pooled buffer that doubles as needed, never beyond
    /// <paramref name="maxBytes"/>: the pool rounds sizes up to a power of two, so renting one byte more than the cap
    /// would cost twice the cap (32 MiB for a 16 MiB cap). Once the buffer holds the cap, one more byte read into a
    /// one-byte probe proves the body too large.
    /// </summary>
    private static async Task<OtlpRequestBody> ReadToLimitAsync(Stream source, int maxBytes, CancellationToken cancellationToken)
    {
        var pool = ArrayPool<byte>.Shared;
        var buffer = pool.Rent(Math.Clamp(maxBytes, 1, InitialBufferBytes));
        var length = 0;
        try
        {
            while (true)
            {
                var room = Math.Min(buffer.Length, maxBytes);
                if (length == room)
                {
                    if (room == maxBytes)
                    {
                        if (await source.ReadAsync(new byte[1], cancellationToken) > 0)
                        {
                            pool.Return(buffer);
                            return TooLarge(null, maxBytes);
                        }

                        break;
                    }

                    var larger = pool.Rent((int)Math.Min((long)buffer.Length * 2, maxBytes));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    pool.Return(buffer);
                    buffer = larger;
                    continue;
                }

                var read = await source.ReadAsync(buffer.AsMemory(length, room - length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }
        }
        catch
        {
            pool.Return(buffer);
            throw;
        }

        return new(OtlpBodyStatus.Ok, null, buffer, length);
    }

    /// <summary>Passes reads through until more than the limit has been read, then fails them.</summary>
    private sealed class LimitedReadStream(Stream inner, long limit) : Stream
    {
        private readonly Stream _inner = inner;
        private readonly long _limit = limit;
        private long _read;

        public bool Exceeded { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer) => Count(_inner.Read(buffer));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await _inner.ReadAsync(buffer, cancellationToken));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            _read += read;
            if (_read > _limit)
            {
                Exceeded = true;
                throw new IOException($"the compressed body is larger than {_limit} bytes");
            }

            return read;
        }
    }
}
