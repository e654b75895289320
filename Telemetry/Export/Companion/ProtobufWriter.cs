using System.Buffers.Binary;
using System.Text;

namespace Telemetry.Export.Companion;

/// <summary>
/// A minimal protobuf encoder into one growable buffer. A nested message is written in place and its length prefix
/// inserted when it ends (<see cref="BeginMessage"/> / <see cref="EndMessage"/>), so no size pass is needed; pushes are
/// a few kilobytes, and each byte moves once per enclosing level.
/// </summary>
internal sealed class ProtobufWriter
{
    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLength = 2;

    private byte[] _buffer = new byte[4096];
    private int _length;

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);

    public void Reset() => _length = 0;

    /// <summary>Starts a length-delimited field; pass the returned position to <see cref="EndMessage"/>.</summary>
    public int BeginMessage(int field)
    {
        WriteTag(field, WireLength);
        return _length;
    }

    public void EndMessage(int start)
    {
        var size = _length - start;
        var prefix = VarintSize((ulong)size);
        Ensure(prefix);
        Buffer.BlockCopy(_buffer, start, _buffer, start + prefix, size);
        var end = _length;
        _length = start;
        WriteVarintRaw((ulong)size);
        _length = end + prefix;
    }

    public void WriteString(int field, string value)
    {
        WriteTag(field, WireLength);
        var byteCount = Encoding.UTF8.GetByteCount(value);
        WriteVarintRaw((ulong)byteCount);
        Ensure(byteCount);
        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
    }

    public void WriteBytes(int field, ReadOnlySpan<byte> value)
    {
        WriteTag(field, WireLength);
        WriteVarintRaw((ulong)value.Length);
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
    }

    public void WriteVarint(int field, ulong value)
    {
        WriteTag(field, WireVarint);
        WriteVarintRaw(value);
    }

    public void WriteBool(int field, bool value) => WriteVarint(field, value ? 1UL : 0UL);

    public void WriteInt64(int field, long value) => WriteVarint(field, unchecked((ulong)value));

    public void WriteFixed64(int field, ulong value)
    {
        WriteTag(field, WireFixed64);
        WriteFixed64Raw(value);
    }

    public void WriteDouble(int field, double value) => WriteFixed64(field, BitConverter.DoubleToUInt64Bits(value));

    /// <summary>A packed repeated fixed64 field (<c>bucket_counts</c>).</summary>
    public void WritePackedFixed64(int field, ReadOnlySpan<ulong> values)
    {
        WriteTag(field, WireLength);
        WriteVarintRaw((ulong)values.Length * 8);
        foreach (var value in values)
        {
            WriteFixed64Raw(value);
        }
    }

    /// <summary>A packed repeated double field (<c>explicit_bounds</c>).</summary>
    public void WritePackedDouble(int field, ReadOnlySpan<double> values)
    {
        WriteTag(field, WireLength);
        WriteVarintRaw((ulong)values.Length * 8);
        foreach (var value in values)
        {
            WriteFixed64Raw(BitConverter.DoubleToUInt64Bits(value));
        }
    }

    private void WriteTag(int field, int wireType) => WriteVarintRaw(((ulong)field << 3) | (uint)wireType);

    private void WriteVarintRaw(ulong value)
    {
        Ensure(10);
        while (value >= 0x80)
        {
            _buffer[_length++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[_length++] = (byte)value;
    }

    private void WriteFixed64Raw(ulong value)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    private static int VarintSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    private void Ensure(int extra)
    {
        if (_length + extra > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + extra));
        }
    }
}
