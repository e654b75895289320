using System.Buffers.Binary;
using System.Text;

namespace FunctionApp.Tests.Telemetry.Aggregation.Otlp;

/// <summary>Hand-made protobuf wire bytes, for encodings Google.Protobuf never writes (unpacked, split, non-minimal, broken).</summary>
internal static class Wire
{
    public static byte[] Message(params byte[][] fields) => [.. fields.SelectMany(f => f)];

    public static byte[] Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    public static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
        return [.. bytes];
    }

    public static byte[] Varint(int field, ulong value) => [.. Tag(field, 0), .. Varint(value)];

    public static byte[] Fixed64(int field, ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return [.. Tag(field, 1), .. bytes];
    }

    public static byte[] Double(int field, double value) => Fixed64(field, BitConverter.DoubleToUInt64Bits(value));

    public static byte[] Bytes(int field, byte[] payload) => [.. Tag(field, 2), .. Varint((ulong)payload.Length), .. payload];

    public static byte[] String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public static byte[] Packed(int field, params ulong[] values)
    {
        var payload = new byte[8 * values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(8 * i), values[i]);
        }

        return Bytes(field, payload);
    }

    public static byte[] PackedDoubles(int field, params double[] values) =>
        Packed(field, [.. values.Select(BitConverter.DoubleToUInt64Bits)]);
}
