using System.Buffers;
using System.Text;

namespace Telemetry.Prometheus;

/// <summary>
/// A growable, reusable byte buffer for one exposition at a time (<see cref="PrometheusTextWriter.Write(IEnumerable{MetricFamily}, IBufferWriter{byte}, bool)"/>):
/// segments rented from <see cref="ArrayPool{T}.Shared"/>, so growing never copies what was written and nothing lands on
/// the large-object heap; <see cref="Reset"/> keeps the segments for the next render (returning those the last render
/// did not need), <see cref="Dispose"/> returns them all. Not thread-safe: one render at a time.
/// </summary>
public sealed class ExpositionBuffer : IBufferWriter<byte>, IDisposable
{
    private const int SegmentSize = 64 * 1024;

    private readonly List<byte[]> _segments = [];
    private readonly List<int> _used = [];
    private int _current = -1;
    private int _segmentsUsedLastTime;

    /// <summary>Bytes written since the last <see cref="Reset"/>.</summary>
    public long Length { get; private set; }

    /// <summary>Starts over, keeping the segments the last render needed.</summary>
    public void Reset()
    {
        var needed = Math.Max(_current + 1, 1);
        for (var i = _segments.Count - 1; i >= needed && i >= _segmentsUsedLastTime; i--)
        {
            ArrayPool<byte>.Shared.Return(_segments[i]);
            _segments.RemoveAt(i);
            _used.RemoveAt(i);
        }

        _segmentsUsedLastTime = needed;
        for (var i = 0; i < _used.Count; i++)
        {
            _used[i] = 0;
        }

        _current = -1;
        Length = 0;
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0)
        {
            return;
        }

        if (_current < 0 || _used[_current] + count > _segments[_current].Length)
        {
            throw new InvalidOperationException("Advance past the span handed out.");
        }

        _used[_current] += count;
        Length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        var size = Math.Max(sizeHint, 1);
        if (_current < 0 || _segments[_current].Length - _used[_current] < size)
        {
            NextSegment(size);
        }

        return _segments[_current].AsMemory(_used[_current]);
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    /// <summary>Writes what the buffer holds to <paramref name="stream"/>.</summary>
    public async Task CopyToAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        for (var i = 0; i <= _current; i++)
        {
            if (_used[i] > 0)
            {
                await stream.WriteAsync(_segments[i].AsMemory(0, _used[i]), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A copy of what the buffer holds.</summary>
    public byte[] ToArray()
    {
        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)Length));
        var offset = 0;
        for (var i = 0; i <= _current; i++)
        {
            _segments[i].AsSpan(0, _used[i]).CopyTo(bytes.AsSpan(offset));
            offset += _used[i];
        }

        return bytes;
    }

    /// <summary>What the buffer holds, decoded from UTF-8.</summary>
    public override string ToString()
    {
        if (_current <= 0)
        {
            return _current < 0 ? "" : Encoding.UTF8.GetString(_segments[0], 0, _used[0]);
        }

        return Encoding.UTF8.GetString(ToArray());
    }

    public void Dispose()
    {
        foreach (var segment in _segments)
        {
            ArrayPool<byte>.Shared.Return(segment);
        }

        _segments.Clear();
        _used.Clear();
        _current = -1;
        Length = 0;
    }

    private void NextSegment(int size)
    {
        _current++;
        if (_current < _segments.Count && _segments[_current].Length >= size)
        {
            return;
        }

        var segment = ArrayPool<byte>.Shared.Rent(Math.Max(size, SegmentSize));
        if (_current < _segments.Count)
        {
            // Too small for this write: the bigger one takes its place.
            ArrayPool<byte>.Shared.Return(_segments[_current]);
            _segments[_current] = segment;
            _used[_current] = 0;
        }
        else
        {
            _segments.Add(segment);
            _used.Add(0);
        }
    }
}
