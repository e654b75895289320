using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace Telemetry.Aggregation.Otlp;

/// <summary>
/// Decodes a binary <c>ExportMetricsServiceRequest</c> (field numbers: aggregation.md §4.5). Unknown fields, and known
/// fields with an unexpected wire type, are skipped as protobuf requires; exemplars, metadata and min/max are skipped
/// without being parsed; exponential histogram and summary points are only counted.
/// <para>
/// A data point's attributes are decoded after its other fields, and looked up first by their encoded bytes in a
/// process-wide memo (<see cref="OtlpDecodeContext.TryGetAttributeSet"/>): pushes repeat the same attribute sets, so a
/// known set costs a hash of its bytes, not a string lookup per key and value. Bucket bounds are memoized the same way.
/// </para>
/// </summary>
internal sealed class OtlpProtobufDecoder(OtlpDecodeContext context)
{
    private const ulong NoRecordedValue = 1;

    private readonly OtlpDecodeContext _context = context;

    public OtlpMetricsRequest Decode(ReadOnlySpan<byte> body)
    {
        var reader = new ProtoReader(body, 0);
        var resources = new List<OtlpResourceMetrics>();
        while (reader.TryReadTag(out var field, out var wireType))
        {
            if (field == 1 && wireType == ProtoWireType.LengthDelimited)
            {
                resources.Add(DecodeResourceMetrics(reader.ReadMessage()));
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return new OtlpMetricsRequest(resources);
    }

    private OtlpResourceMetrics DecodeResourceMetrics(ProtoReader reader)
    {
        _context.Enter(reader.Offset);
        OtlpAttribute[] resourceAttributes = [];
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch (field, wireType)
            {
                case (1, ProtoWireType.LengthDelimited):
                    // A repeated non-repeated message field merges: the attribute lists concatenate.
                    var attributes = DecodeResource(reader.ReadMessage());
                    resourceAttributes = resourceAttributes.Length == 0 ? attributes : [.. resourceAttributes, .. attributes];
                    break;
                case (2, ProtoWireType.LengthDelimited):
                    _context.Scopes.Add(DecodeScopeMetrics(reader.ReadMessage()));
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        _context.Exit();
        return new OtlpResourceMetrics(resourceAttributes, OtlpDecodeContext.Drain(_context.Scopes));
    }

    private OtlpAttribute[] DecodeResource(ProtoReader reader)
    {
        _context.Enter(reader.Offset);
        while (reader.TryReadTag(out var field, out var wireType))
        {
            if (field == 1 && wireType == ProtoWireType.LengthDelimited)
            {
                _context.Attributes.Add(DecodeAttribute(reader.ReadMessage()));
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        _context.Exit();
        return OtlpDecodeContext.Drain(_context.Attributes);
    }

    private OtlpScopeMetrics DecodeScopeMetrics(ProtoReader reader)
    {
        _context.Enter(reader.Offset);
        string name = "", version = "";
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch (field, wireType)
            {
                case (1, ProtoWireType.LengthDelimited):
                    DecodeScope(reader.ReadMessage(), ref name, ref version);
                    break;
                case (2, ProtoWireType.LengthDelimited):
                    if (DecodeMetric(reader.ReadMessage()) is { } metric)
                    {
                        _context.Metrics.Add(metric);
                    }

                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        _context.Exit();
        return new OtlpScopeMetrics(name, version, OtlpDecodeContext.Drain(_context.Metrics));
    }

    private void DecodeScope(ProtoReader reader, ref string name, ref string version)
    {
        _context.Enter(reader.Offset);
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch (field, wireType)
            {
                case (1, ProtoWireType.LengthDelimited):
                    name = ReadString(ref reader);
                    break;
                case (2, ProtoWireType.LengthDelimited):
                    version = ReadString(ref reader);
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        _context.Exit();
    }

    private OtlpMetric? DecodeMetric(ProtoReader reader)
    {
        _context.Enter(reader.Offset);
        var metric = _context.Metric;
        metric.Reset();
        while (reader.TryReadTag(out var field, out var wireType))
        {
            if (wireType != ProtoWireType.LengthDelimited)
            {
                reader.Skip(wireType);
                continue;
            }

            switch (field)
            {
                case 1:
                    metric.Name = ReadString(ref reader);
                    break;
                case 2:
                    metric.Description = ReadString(ref reader);
                    break;
                case 3:
                    metric.Unit = ReadString(ref reader);
                    break;
                case 5:
                    metric.Begin(OtlpMetricKind.Gauge);
                    DecodeNumberData(reader.ReadMessage());
                    break;
                case 7:
                    metric.Begin(OtlpMetricKind.Sum);
                    DecodeNumberData(reader.ReadMessage());
                    break;
                case 9:
                    metric.Begin(OtlpMetricKind.Histogram);
                    DecodeHistogram(reader.ReadMessage());
                    break;
                case 10:
                    metric.Begin(OtlpMetricKind.ExponentialHistogram);
                    CountPoints(reader.ReadMessage(), hasTemporality: true);
                    break;
                case 11:
                    metric.Begin(OtlpMetricKind.Summary);
                    CountPoints(reader.ReadMessage(), hasTemporality: false);
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        _context.Exit();
        return metric.Build();
    }

    /// <summary>A <c>Gauge</c> (field 1 only) or a <c>Sum</c> (plus temporality and monotonicity).</summary>
    private void DecodeNumberData(ProtoReader reader)
    {
        _context.Enter(reader.Offset);
        var metric = _context.Metric;
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch (field, wireType)
            {
                case (1, ProtoWireType.LengthDelimited):
                    DecodeNumberPoint(reader.ReadMessage());
                    break;
                case (2, ProtoWireType.Varint) when metric.Kind == OtlpMetricKind.Sum:
                    metric.SetTemporality((long)reader.ReadVarint());
                    break;
                case (3, ProtoWireType.Varint) when metric.Kind == OtlpMetricKind.Sum:
                    metric.IsMonotonic = reader.ReadVarint() != 0;
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        _context.Exit();
    }

    private void DecodeNumberPoint(ProtoReader reader)
    {
        _context.Enter(reader.Offset);
        var point = reader;
        var attributeFields = default(FieldRange);
        ulong start = 0, time = 0, flags = 0;
        double value = 0;
        var fieldStart = reader.Position;
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch (field, wireType)
            {
                case (7, ProtoWireType.LengthDelimited):
                    reader.Skip(wireType);
                    attributeFields.Add(fieldStart, reader.Position);
                    break;
                case (2, ProtoWireType.Fixed64):
                    start = reader.ReadFixed64();
                    break;
                case (3, ProtoWireType.Fixed64):
                    time = reader.ReadFixed64();
                    break;
                case (4, ProtoWireType.Fixed64):
                    value = reader.ReadDouble();
                    break;
                case (6, ProtoWireType.Fixed64):
                    value = (long)reader.ReadFixed64();
                    break;
                case (8, ProtoWireType.Varint):
                    flags = reader.ReadVarint();
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }

            fieldStart = reader.Position;
        }

        var attributes = DecodeAttributes(point, 7, attributeFields);
        _context.Exit();
        if ((flags & NoRecordedValue) == 0)
        {
            _context.Metric.NumberPoints.Add(new OtlpNumberPoint(attributes, start, time, value));
        }
    }

    private void DecodeHistogram(ProtoReader reader)
    {
        _context.Enter(reader.Offset);
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch (field, wireType)
            {
                case (1, ProtoWireType.LengthDelimited):
                    DecodeHistogramPoint(reader.ReadMessage());
                    break;
                case (2, ProtoWireType.Varint):
                    _context.Metric.SetTemporality((long)reader.ReadVarint());
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        _context.Exit();
    }

    private void DecodeHistogramPoint(ProtoReader reader)
    {
        _context.Enter(reader.Offset);
        var point = reader;
        var attributeFields = default(FieldRange);
        ulong start = 0, time = 0, count = 0, flags = 0;
        double? sum = null;
        scoped ReadOnlySpan<byte> packedBounds = [];
        var boundFields = 0;
        var fieldStart = reader.Position;
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch (field, wireType)
            {
                case (9, ProtoWireType.LengthDelimited):
                    reader.Skip(wireType);
                    attributeFields.Add(fieldStart, reader.Position);
                    break;
                case (2, ProtoWireType.Fixed64):
                    start = reader.ReadFixed64();
                    break;
                case (3, ProtoWireType.Fixed64):
                    time = reader.ReadFixed64();
                    break;
                case (4, ProtoWireType.Fixed64):
                    count = reader.ReadFixed64();
                    break;
                case (5, ProtoWireType.Fixed64):
                    sum = reader.ReadDouble();
                    break;
                case (6, ProtoWireType.Fixed64):
                    _context.BucketCounts.Add(reader.ReadFixed64());
                    break;
                case (6, ProtoWireType.LengthDelimited):
                    ReadPackedFixed64(ref reader, _context.BucketCounts);
                    break;
                case (7, ProtoWireType.Fixed64):
                    if (boundFields == 1)
                    {
                        ReadPackedDoubles(packedBounds, _context.Bounds);
                    }

                    _context.Bounds.Add(reader.ReadDouble());
                    boundFields += 2;
                    break;
                case (7, ProtoWireType.LengthDelimited):
                    // One packed field (the usual case) is memoized whole; more fields concatenate, as protobuf merges them.
                    if (boundFields++ == 1)
                    {
                        ReadPackedDoubles(packedBounds, _context.Bounds);
                    }

                    packedBounds = ReadPacked(ref reader);
                    if (boundFields > 1)
                    {
                        ReadPackedDoubles(packedBounds, _context.Bounds);
                    }

                    break;
                case (10, ProtoWireType.Varint):
                    flags = reader.ReadVarint();
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }

            fieldStart = reader.Position;
        }

        var attributes = DecodeAttributes(point, 9, attributeFields);
        _context.Exit();
        var bounds = boundFields == 1 ? OtlpDecodeContext.MemoizedBounds(packedBounds) : OtlpDecodeContext.Drain(_context.Bounds);
        var bucketCounts = OtlpDecodeContext.Drain(_context.BucketCounts);
        if ((flags & NoRecordedValue) == 0)
        {
            _context.Metric.HistogramPoints.Add(new OtlpHistogramPoint(attributes, start, time, count, sum, bounds, bucketCounts));
        }
    }

    /// <summary>An <c>ExponentialHistogram</c> or <c>Summary</c>: the points are counted (to be rejected), not decoded.</summary>
    private void CountPoints(ProtoReader reader, bool hasTemporality)
    {
        _context.Enter(reader.Offset);
        var metric = _context.Metric;
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch (field, wireType)
            {
                case (1, ProtoWireType.LengthDelimited):
                    _context.Count(reader.Offset);
                    reader.Skip(wireType);
                    metric.UnsupportedPointCount++;
                    break;
                case (2, ProtoWireType.Varint) when hasTemporality:
                    metric.SetTemporality((long)reader.ReadVarint());
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        _context.Exit();
    }

    private static void ReadPackedFixed64(ref ProtoReader reader, List<ulong> values)
    {
        var packed = ReadPacked(ref reader);
        values.EnsureCapacity(values.Count + (packed.Length / 8));
        for (var i = 0; i < packed.Length; i += 8)
        {
            values.Add(BinaryPrimitives.ReadUInt64LittleEndian(packed[i..]));
        }
    }

    private static void ReadPackedDoubles(ReadOnlySpan<byte> packed, List<double> values)
    {
        values.EnsureCapacity(values.Count + (packed.Length / 8));
        for (var i = 0; i < packed.Length; i += 8)
        {
            values.Add(BinaryPrimitives.ReadDoubleLittleEndian(packed[i..]));
        }
    }

    private static ReadOnlySpan<byte> ReadPacked(ref ProtoReader reader)
    {
        var start = reader.Offset;
        var packed = reader.ReadBytes(out _);
        if (packed.Length % 8 != 0)
        {
            throw new OtlpDecodeException(start, $"a packed 64-bit field has {packed.Length} bytes, not a multiple of 8");
        }

        return packed;
    }

    private string ReadString(ref ProtoReader reader)
    {
        var utf8 = reader.ReadBytes(out var origin);
        return _context.Strings.FromUtf8(utf8, origin);
    }

    /// <summary>
    /// A data point's attributes (its fields <paramref name="field"/>, located by the first pass over the point): when
    /// they are consecutive, the memoized set of the same bytes, else decoded (and memoized when no value is an array
    /// or a map, whose messages and depth vary). Called while the point is entered, as decoding them inline was.
    /// </summary>
    private OtlpAttribute[] DecodeAttributes(ProtoReader point, int field, FieldRange fields)
    {
        if (fields.Count == 0)
        {
            return [];
        }

        if (!fields.Consecutive)
        {
            return DecodeAttributeFields(point, field);
        }

        var encoded = point.Bytes(fields.Start, fields.End);
        if (_context.TryGetAttributeSet(encoded, out var cached))
        {
            return cached;
        }

        var messagesBefore = _context.Messages;
        _context.SawStructuredValue = false;
        var attributes = DecodeAttributeFields(point.Slice(fields.Start, fields.End), field);
        if (!_context.SawStructuredValue)
        {
            OtlpDecodeContext.AddAttributeSet(encoded, attributes, _context.Messages - messagesBefore);
        }

        return attributes;
    }

    private OtlpAttribute[] DecodeAttributeFields(ProtoReader reader, int attributeField)
    {
        while (reader.TryReadTag(out var field, out var wireType))
        {
            if (field == attributeField && wireType == ProtoWireType.LengthDelimited)
            {
                _context.Attributes.Add(DecodeAttribute(reader.ReadMessage()));
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return OtlpDecodeContext.Drain(_context.Attributes);
    }

    /// <summary>A top-level <c>KeyValue</c>: its key and its value rendered to text (see <see cref="OtlpMetricsRequest"/>).</summary>
    private OtlpAttribute DecodeAttribute(ProtoReader reader)
    {
        _context.Enter(reader.Offset);
        var key = "";
        var value = "";
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch (field, wireType)
            {
                case (1, ProtoWireType.LengthDelimited):
                    key = ReadString(ref reader);
                    break;
                case (2, ProtoWireType.LengthDelimited):
                    value = RenderValue(reader.ReadMessage());
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        _context.Exit();
        return new OtlpAttribute(key, value);
    }

    private string RenderValue(ProtoReader reader)
    {
        _context.Enter(reader.Offset);
        var value = AnyValue.Find(ref reader);
        var text = value.Case switch
        {
            AnyValueCase.String => _context.Strings.FromUtf8(value.Payload, value.Origin),
            AnyValueCase.Bool => value.Scalar != 0 ? "true" : "false",
            AnyValueCase.Int => _context.Strings.FromInt64((long)value.Scalar),
            AnyValueCase.Double => OtlpDecodeContext.FormatDouble(BitConverter.UInt64BitsToDouble(value.Scalar)),
            AnyValueCase.Bytes => Convert.ToBase64String(value.Payload),
            AnyValueCase.Array or AnyValueCase.KeyValueList => RenderJson(value),
            _ => "",
        };
        _context.Exit();
        return text;
    }

    private string RenderJson(AnyValue value)
    {
        _context.SawStructuredValue = true;
        var writer = _context.BeginJson();
        try
        {
            WriteStructured(writer, value);
        }
        catch (ArgumentException e)
        {
            // Utf8JsonWriter refuses single strings of more than ~125 MB; only a host with a huge body cap gets here.
            throw new OtlpDecodeException(value.Origin, $"an attribute value cannot be rendered: {e.Message}");
        }

        return _context.EndJson(value.Origin);
    }

    private void WriteValue(Utf8JsonWriter writer, ProtoReader reader)
    {
        _context.Enter(reader.Offset);
        var value = AnyValue.Find(ref reader);
        switch (value.Case)
        {
            case AnyValueCase.String:
                writer.WriteStringValue(ValidUtf8(value.Payload, value.Origin));
                break;
            case AnyValueCase.Bool:
                writer.WriteBooleanValue(value.Scalar != 0);
                break;
            case AnyValueCase.Int:
                writer.WriteNumberValue((long)value.Scalar);
                break;
            case AnyValueCase.Double:
                OtlpDecodeContext.WriteDouble(writer, BitConverter.UInt64BitsToDouble(value.Scalar));
                break;
            case AnyValueCase.Bytes:
                writer.WriteBase64StringValue(value.Payload);
                break;
            case AnyValueCase.Array or AnyValueCase.KeyValueList:
                WriteStructured(writer, value);
                break;
            default:
                writer.WriteNullValue();
                break;
        }

        _context.Exit();
    }

    /// <summary>An <c>ArrayValue</c> as a JSON array, or a <c>KeyValueList</c> as a JSON object (keys in wire order).</summary>
    private void WriteStructured(Utf8JsonWriter writer, AnyValue value)
    {
        var reader = new ProtoReader(value.Payload, value.Origin);
        _context.Enter(reader.Offset);
        var isArray = value.Case == AnyValueCase.Array;
        if (isArray)
        {
            writer.WriteStartArray();
        }
        else
        {
            writer.WriteStartObject();
        }

        while (reader.TryReadTag(out var field, out var wireType))
        {
            if (field != 1 || wireType != ProtoWireType.LengthDelimited)
            {
                reader.Skip(wireType);
            }
            else if (isArray)
            {
                WriteValue(writer, reader.ReadMessage());
            }
            else
            {
                WriteMember(writer, reader.ReadMessage());
            }
        }

        if (isArray)
        {
            writer.WriteEndArray();
        }
        else
        {
            writer.WriteEndObject();
        }

        _context.Exit();
    }

    /// <summary>A nested <c>KeyValue</c>; the key is found first because JSON needs it before the value.</summary>
    private void WriteMember(Utf8JsonWriter writer, ProtoReader reader)
    {
        _context.Enter(reader.Offset);
        var scan = reader;
        ReadOnlySpan<byte> key = [];
        var keyOrigin = reader.Offset;
        var value = reader;
        var hasValue = false;
        while (scan.TryReadTag(out var field, out var wireType))
        {
            switch (field, wireType)
            {
                case (1, ProtoWireType.LengthDelimited):
                    key = scan.ReadBytes(out keyOrigin);
                    break;
                case (2, ProtoWireType.LengthDelimited):
                    value = scan.ReadMessage();
                    hasValue = true;
                    break;
                default:
                    scan.Skip(wireType);
                    break;
            }
        }

        writer.WritePropertyName(ValidUtf8(key, keyOrigin));
        if (hasValue)
        {
            WriteValue(writer, value);
        }
        else
        {
            writer.WriteNullValue();
        }

        _context.Exit();
    }

    private static ReadOnlySpan<byte> ValidUtf8(ReadOnlySpan<byte> utf8, int origin) =>
        Utf8.IsValid(utf8) ? utf8 : throw new OtlpDecodeException(origin, "a string is not valid UTF-8");

    /// <summary>Where a point's attribute fields are (positions within the point) and whether nothing else lies between them.</summary>
    private struct FieldRange
    {
        public int Count;
        public int Start;
        public int End;
        public bool Consecutive;

        public void Add(int start, int end)
        {
            if (Count == 0)
            {
                Start = start;
                Consecutive = true;
            }
            else if (start != End)
            {
                Consecutive = false;
            }

            End = end;
            Count++;
        }
    }

    private enum AnyValueCase
    {
        Empty,
        String,
        Bool,
        Int,
        Double,
        Array,
        KeyValueList,
        Bytes,
    }

    /// <summary>The case of an <c>AnyValue</c>'s <c>value</c> oneof that counts: the last one on the wire.</summary>
    private readonly ref struct AnyValue
    {
        private AnyValue(AnyValueCase valueCase, ReadOnlySpan<byte> payload, int origin, ulong scalar)
        {
            Case = valueCase;
            Payload = payload;
            Origin = origin;
            Scalar = scalar;
        }

        public AnyValueCase Case { get; }

        /// <summary>The string, bytes, array or map payload.</summary>
        public ReadOnlySpan<byte> Payload { get; }

        public int Origin { get; }

        /// <summary>The bool, int or double bits.</summary>
        public ulong Scalar { get; }

        public static AnyValue Find(ref ProtoReader reader)
        {
            var found = default(AnyValue);
            while (reader.TryReadTag(out var field, out var wireType))
            {
                var origin = reader.Offset;
                switch (field, wireType)
                {
                    case (1, ProtoWireType.LengthDelimited):
                        found = new(AnyValueCase.String, reader.ReadBytes(out origin), origin, 0);
                        break;
                    case (2, ProtoWireType.Varint):
                        found = new(AnyValueCase.Bool, [], origin, reader.ReadVarint());
                        break;
                    case (3, ProtoWireType.Varint):
                        found = new(AnyValueCase.Int, [], origin, reader.ReadVarint());
                        break;
                    case (4, ProtoWireType.Fixed64):
                        found = new(AnyValueCase.Double, [], origin, reader.ReadFixed64());
                        break;
                    case (5, ProtoWireType.LengthDelimited):
                        found = new(AnyValueCase.Array, reader.ReadBytes(out origin), origin, 0);
                        break;
                    case (6, ProtoWireType.LengthDelimited):
                        found = new(AnyValueCase.KeyValueList, reader.ReadBytes(out origin), origin, 0);
                        break;
                    case (7, ProtoWireType.LengthDelimited):
                        found = new(AnyValueCase.Bytes, reader.ReadBytes(out origin), origin, 0);
                        break;
                    default:
                        reader.Skip(wireType);
                        break;
                }
            }

            return found;
        }
    }
}
