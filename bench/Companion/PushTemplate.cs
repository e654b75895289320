using System.Buffers.Binary;
using System.Text;

namespace Bench.Companion;

/// <summary>
/// A captured OTLP/HTTP protobuf push (<c>ExportMetricsServiceRequest</c>) that can be replayed as any number of
/// instances: the walk below records where the <c>service.instance.id</c> string and every data point's
/// <c>time_unix_nano</c> (fixed64, field 3 of every data point kind) sit, so a copy gets another instance id of the same
/// length and advancing timestamps by overwriting bytes in place, without re-encoding. Values stay as captured.
/// </summary>
internal sealed class PushTemplate
{
    private const string InstanceIdKey = "service.instance.id";

    private readonly List<int> _timeOffsets = [];
    private int _idOffset = -1;
    private int _idLength;

    private PushTemplate(byte[] body)
    {
        Body = body;
        Walk(body, 0, Level.Request);
        if (_idOffset < 0)
        {
            throw new InvalidDataException($"the push has no {InstanceIdKey} resource attribute");
        }

        if (_timeOffsets.Count == 0)
        {
            throw new InvalidDataException("the push has no data points");
        }

        InstanceId = Encoding.UTF8.GetString(body, _idOffset, _idLength);
        OriginalTime = BinaryPrimitives.ReadUInt64LittleEndian(body.AsSpan(_timeOffsets[0]));
    }

    private enum Level
    {
        Request,
        ResourceMetrics,
        Resource,
        ResourceAttribute,
        ScopeMetrics,
        Metric,
        PointContainer,
        DataPoint,
    }

    public byte[] Body { get; }

    public string InstanceId { get; }

    /// <summary>The <c>time_unix_nano</c> of the first data point as captured.</summary>
    public ulong OriginalTime { get; }

    public int TimestampCount => _timeOffsets.Count;

    public static PushTemplate Parse(byte[] body) => new(body);

    /// <summary>A copy of the push as instance number <paramref name="index"/> (an id of the captured id's length).</summary>
    public byte[] ForInstance(int index)
    {
        var copy = (byte[])Body.Clone();
        var id = SyntheticId(index, _idLength);
        Encoding.ASCII.GetBytes(id, copy.AsSpan(_idOffset, _idLength));
        return copy;
    }

    /// <summary>Sets every data point's <c>time_unix_nano</c> of a copy made by <see cref="ForInstance"/>.</summary>
    public void SetTime(byte[] copy, ulong timeUnixNano)
    {
        foreach (var offset in _timeOffsets)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(copy.AsSpan(offset, 8), timeUnixNano);
        }
    }

    /// <summary>An id of <paramref name="length"/> characters: "bench-instance-0007-…" padded with hex digits.</summary>
    public static string SyntheticId(int index, int length)
    {
        var id = $"bench-{index:D6}-";
        var builder = new StringBuilder(id, length);
        while (builder.Length < length)
        {
            builder.Append("0123456789abcdef"[(builder.Length * 7 + index) % 16]);
        }

        return builder.ToString(0, length);
    }

    private void Walk(ReadOnlySpan<byte> data, int baseOffset, Level level)
    {
        var position = 0;
        string? key = null;
        while (position < data.Length)
        {
            var tag = ReadVarint(data, ref position);
            var field = (int)(tag >> 3);
            var wireType = (int)(tag & 7);
            switch (wireType)
            {
                case 0:
                    ReadVarint(data, ref position);
                    break;
                case 1:
                    if (level == Level.DataPoint && field == 3)
                    {
                        _timeOffsets.Add(baseOffset + position);
                    }

                    position += 8;
                    break;
                case 5:
                    position += 4;
                    break;
                case 2:
                    var length = (int)ReadVarint(data, ref position);
                    var payload = data.Slice(position, length);
                    var start = baseOffset + position;
                    position += length;
                    if (level == Level.ResourceAttribute && field == 1)
                    {
                        key = Encoding.UTF8.GetString(payload);
                    }
                    else if (level == Level.ResourceAttribute && field == 2 && key == InstanceIdKey)
                    {
                        FindStringValue(payload, start);
                    }
                    else if (Child(level, field) is { } child)
                    {
                        Walk(payload, start, child);
                    }

                    break;
                default:
                    throw new InvalidDataException($"unsupported wire type {wireType} at byte {baseOffset + position}");
            }
        }
    }

    /// <summary>The <c>AnyValue.string_value</c> (field 1) of the instance id attribute.</summary>
    private void FindStringValue(ReadOnlySpan<byte> anyValue, int baseOffset)
    {
        var position = 0;
        var tag = ReadVarint(anyValue, ref position);
        if (tag != ((1 << 3) | 2))
        {
            throw new InvalidDataException($"{InstanceIdKey} is not a string");
        }

        _idLength = (int)ReadVarint(anyValue, ref position);
        _idOffset = baseOffset + position;
    }

    /// <summary>The message a length-delimited field holds, when it leads to resource attributes or data points.</summary>
    private static Level? Child(Level level, int field) => (level, field) switch
    {
        (Level.Request, 1) => Level.ResourceMetrics,
        (Level.ResourceMetrics, 1) => Level.Resource,
        (Level.ResourceMetrics, 2) => Level.ScopeMetrics,
        (Level.Resource, 1) => Level.ResourceAttribute,
        (Level.ScopeMetrics, 2) => Level.Metric,
        (Level.Metric, 5 or 7 or 9 or 10 or 11) => Level.PointContainer,
        (Level.PointContainer, 1) => Level.DataPoint,
        _ => null,
    };

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("malformed varint");
    }
}
