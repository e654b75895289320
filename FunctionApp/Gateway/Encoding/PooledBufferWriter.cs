using System.Buffers;

namespace FunctionApp.Gateway.Encoding;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over arrays rented from <see cref="ArrayPool{T}.Shared"/>, for rendering a
/// response body whose length must be known before it is sent. The writer object itself is cached per thread: rent it
/// with <see cref="Rent"/>, render synchronously, then <see cref="Detach"/> the rendered bytes (which own the rented
/// array until disposed, across awaits) or <see cref="Release"/> it on failure. Nothing is allocated per use once warm.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    private const int InitialSize = 1024;

    [ThreadStatic]
    private static PooledBufferWriter? _threadCached;

    private byte[] _buffer = [];
    private int _written;

    private PooledBufferWriter()
    {
    }

    public int WrittenCount => _written;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    /// <summary>A writer for this thread (a new one if the cached one is in use), with an empty rented buffer.</summary>
    public static PooledBufferWriter Rent(int sizeHint = InitialSize)
    {
        var writer = _threadCached ?? new PooledBufferWriter();
        _threadCached = null;
        writer._buffer = ArrayPool<byte>.Shared.Rent(Math.Max(sizeHint, 256));
        writer._written = 0;
        return writer;
    }

    /// <summary>Hands the rendered bytes (and the rented array) to the caller and puts the writer back in the cache.</summary>
    public RentedBytes Detach()
    {
        var rendered = new RentedBytes(_buffer, _written);
        _buffer = [];
        _written = 0;
        _threadCached = this;
        return rendered;
    }

    /// <summary>Returns the rented array and puts the writer back in the cache (after a failed render).</summary>
    public void Release()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = [];
        _written = 0;
        _threadCached = this;
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_written > _buffer.Length - count)
        {
            throw new InvalidOperationException("Cannot advance past the end of the buffer.");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= sizeHint)
        {
            return;
        }

        var needed = (long)_written + sizeHint;
        var size = Math.Max(needed, Math.Max(_buffer.Length * 2L, 256));
        var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(size, Array.MaxLength));
        if (grown.Length < needed)
        {
            ArrayPool<byte>.Shared.Return(grown);
            throw new InvalidOperationException($"cannot grow the render buffer to {needed} bytes");
        }

        _buffer.AsSpan(0, _written).CopyTo(grown);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = grown;
    }
}

/// <summary>Rendered bytes in an array rented from <see cref="ArrayPool{T}.Shared"/>; dispose once they are sent.</summary>
internal readonly struct RentedBytes(byte[] array, int length) : IDisposable
{
    public int Length => length;

    public ReadOnlyMemory<byte> Memory => array.AsMemory(0, length);

    public void Dispose()
    {
        if (array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
