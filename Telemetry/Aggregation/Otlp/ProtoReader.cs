using System.Buffers.Binary;

namespace Telemetry.Aggregation.Otlp;

/// <summary>The protobuf wire types OTLP uses; groups (3, 4) are deprecated and never appear in OTLP.</summary>
internal enum ProtoWireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    Fixed32 = 5,
}

/// <summary>
/// A forward-only reader over one protobuf message (protobuf.dev "Encoding"). Every read checks the remaining length
/// first, so truncated or lying input fails with an <see cref="OtlpDecodeException"/> naming the byte offset.
/// </summary>
internal ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly int _origin;
    private int _position;

    /// <param name="data">The message's bytes.</param>
    /// <param name="origin">Where <paramref name="data"/> starts in the request body, for error positions.</param>
    public ProtoReader(ReadOnlySpan<byte> data, int origin)
    {
        _data = data;
        _origin = origin;
    }

    /// <summary>The absolute offset of the next byte in the request body.</summary>
    public readonly int Offset => _origin + _position;

    /// <summary>The offset of the next byte within this message.</summary>
    public readonly int Position => _position;

    /// <summary>The bytes of this message between two of its positions.</summary>
    public readonly ReadOnlySpan<byte> Bytes(int start, int end) => _data[start..end];

    /// <summary>A reader over the bytes of this message between two of its positions (whole fields).</summary>
    public readonly ProtoReader Slice(int start, int end) => new(_data[start..end], _origin + start);

    /// <summary>Reads the next field's tag; false at the end of the message.</summary>
    public bool TryReadTag(out int field, out ProtoWireType wireType)
    {
        if (_position >= _data.Length)
        {
            field = 0;
            wireType = default;
            return false;
        }

        var start = Offset;
        var tag = ReadVarint();
        if (tag > uint.MaxValue)
        {
            throw new OtlpDecodeException(start, "a field tag does not fit in 32 bits");
        }

        field = (int)(tag >> 3);
        if (field == 0)
        {
            throw new OtlpDecodeException(start, "field number 0 is not valid");
        }

        wireType = (ProtoWireType)(tag & 7);
        if (wireType is not (ProtoWireType.Varint or ProtoWireType.Fixed64 or ProtoWireType.LengthDelimited or ProtoWireType.Fixed32))
        {
            throw new OtlpDecodeException(start, $"field {field} has wire type {(int)wireType}, which OTLP does not use");
        }

        return true;
    }

    public ulong ReadVarint()
    {
        var start = Offset;
        ulong value = 0;

        // At most 10 bytes: the tenth carries bit 63 only, so it must be 0 or 1 and ends the loop.
        for (var shift = 0; ; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw new OtlpDecodeException(start, "a varint is cut off by the end of its message");
            }

            var b = _data[_position++];
            if (shift == 63 && b > 1)
            {
                throw new OtlpDecodeException(start, b >= 0x80 ? "a varint is longer than 10 bytes" : "a varint overflows 64 bits");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }

    public ulong ReadFixed64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, "a 64-bit value"));

    public double ReadDouble() => BitConverter.UInt64BitsToDouble(ReadFixed64());

    /// <summary>A length-delimited field's payload (string, bytes, sub-message or packed scalars).</summary>
    public ReadOnlySpan<byte> ReadBytes(out int origin)
    {
        var start = Offset;
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
        {
            throw new OtlpDecodeException(start, $"a length of {length} bytes runs past the end of its message");
        }

        origin = Offset;
        return Take((int)length, "a length-delimited field");
    }

    /// <summary>A reader over a sub-message field's payload.</summary>
    public ProtoReader ReadMessage()
    {
        var payload = ReadBytes(out var origin);
        return new ProtoReader(payload, origin);
    }

    public void Skip(ProtoWireType wireType)
    {
        switch (wireType)
        {
            case ProtoWireType.Varint:
                ReadVarint();
                break;
            case ProtoWireType.Fixed64:
                Take(8, "a 64-bit value");
                break;
            case ProtoWireType.LengthDelimited:
                ReadBytes(out _);
                break;
            default:
                Take(4, "a 32-bit value");
                break;
        }
    }

    private ReadOnlySpan<byte> Take(int length, string what)
    {
        if (_data.Length - _position < length)
        {
            throw new OtlpDecodeException(Offset, $"{what} is cut off by the end of its message");
        }

        var slice = _data.Slice(_position, length);
        _position += length;
        return slice;
    }
}
