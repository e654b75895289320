using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Telemetry.Aggregation.Otlp;

/// <summary>
/// Decodes an OTLP/JSON <c>ExportMetricsServiceRequest</c> (aggregation.md §4.3) with <see cref="Utf8JsonReader"/>,
/// no serializer. Field names are lowerCamelCase or the original proto names; 64-bit integers are decimal strings or
/// numbers; doubles may also be <c>"NaN"</c>/<c>"Infinity"</c>/<c>"-Infinity"</c>; enums are integers or names; bytes are
/// base64. Unknown fields are ignored, <c>null</c> means "not set", and a second member of a oneof is an error, as in
/// Google.Protobuf's <c>JsonParser</c>.
/// </summary>
internal sealed class OtlpJsonDecoder(OtlpDecodeContext context)
{
    private const int StackBufferBytes = 256;

    private readonly OtlpDecodeContext _context = context;

    /// <summary>Bytes the key look-ahead of nested maps may still skip (see <see cref="WriteMember"/>).</summary>
    private long _lookaheadBudget;

    private enum ValueCase
    {
        Unknown,
        String,
        Bool,
        Int,
        Double,
        Array,
        KeyValueList,
        Bytes,
    }

    public OtlpMetricsRequest Decode(ReadOnlySpan<byte> body, int maxDepth)
    {
        var resources = new List<OtlpResourceMetrics>();
        if (body.IsEmpty)
        {
            return new OtlpMetricsRequest(resources);
        }

        _lookaheadBudget = (2L * body.Length) + (64 * 1024);

        // Each message level is an object, plus an array for a repeated field.
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = (2 * maxDepth) + 2 });
        Read(ref reader);
        ExpectObject(ref reader, "the request");
        while (NextProperty(ref reader))
        {
            if (Is(ref reader, "resourceMetrics"u8, "resource_metrics"u8))
            {
                Read(ref reader);
                var isArray = IsArray(ref reader, "resourceMetrics");
                while (isArray && NextElement(ref reader, "resourceMetrics"))
                {
                    resources.Add(DecodeResourceMetrics(ref reader));
                }
            }
            else
            {
                reader.Skip();
            }
        }

        if (reader.Read())
        {
            throw new OtlpDecodeException(reader.TokenStartIndex, "there is more after the request object");
        }

        return new OtlpMetricsRequest(resources);
    }

    private OtlpResourceMetrics DecodeResourceMetrics(ref Utf8JsonReader reader)
    {
        _context.Enter(reader.TokenStartIndex);
        OtlpAttribute[] resourceAttributes = [];
        while (NextProperty(ref reader))
        {
            if (Is(ref reader, "resource"u8, "resource"u8))
            {
                Read(ref reader);
                if (reader.TokenType != JsonTokenType.Null)
                {
                    resourceAttributes = DecodeResource(ref reader);
                }
            }
            else if (Is(ref reader, "scopeMetrics"u8, "scope_metrics"u8))
            {
                Read(ref reader);
                var isArray = IsArray(ref reader, "scopeMetrics");
                while (isArray && NextElement(ref reader, "scopeMetrics"))
                {
                    _context.Scopes.Add(DecodeScopeMetrics(ref reader));
                }
            }
            else
            {
                reader.Skip();
            }
        }

        _context.Exit();
        return new OtlpResourceMetrics(resourceAttributes, OtlpDecodeContext.Drain(_context.Scopes));
    }

    private OtlpAttribute[] DecodeResource(ref Utf8JsonReader reader)
    {
        ExpectObject(ref reader, "resource");
        _context.Enter(reader.TokenStartIndex);
        while (NextProperty(ref reader))
        {
            if (Is(ref reader, "attributes"u8, "attributes"u8))
            {
                ReadAttributes(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        _context.Exit();
        return OtlpDecodeContext.Drain(_context.Attributes);
    }

    private OtlpScopeMetrics DecodeScopeMetrics(ref Utf8JsonReader reader)
    {
        _context.Enter(reader.TokenStartIndex);
        string name = "", version = "";
        while (NextProperty(ref reader))
        {
            if (Is(ref reader, "scope"u8, "scope"u8))
            {
                Read(ref reader);
                if (reader.TokenType != JsonTokenType.Null)
                {
                    DecodeScope(ref reader, ref name, ref version);
                }
            }
            else if (Is(ref reader, "metrics"u8, "metrics"u8))
            {
                Read(ref reader);
                var isArray = IsArray(ref reader, "metrics");
                while (isArray && NextElement(ref reader, "metrics"))
                {
                    if (DecodeMetric(ref reader) is { } metric)
                    {
                        _context.Metrics.Add(metric);
                    }
                }
            }
            else
            {
                reader.Skip();
            }
        }

        _context.Exit();
        return new OtlpScopeMetrics(name, version, OtlpDecodeContext.Drain(_context.Metrics));
    }

    private void DecodeScope(ref Utf8JsonReader reader, ref string name, ref string version)
    {
        ExpectObject(ref reader, "scope");
        _context.Enter(reader.TokenStartIndex);
        while (NextProperty(ref reader))
        {
            if (Is(ref reader, "name"u8, "name"u8))
            {
                Read(ref reader);
                name = ReadString(ref reader, "scope.name");
            }
            else if (Is(ref reader, "version"u8, "version"u8))
            {
                Read(ref reader);
                version = ReadString(ref reader, "scope.version");
            }
            else
            {
                reader.Skip();
            }
        }

        _context.Exit();
    }

    private OtlpMetric? DecodeMetric(ref Utf8JsonReader reader)
    {
        _context.Enter(reader.TokenStartIndex);
        var metric = _context.Metric;
        metric.Reset();
        while (NextProperty(ref reader))
        {
            OtlpMetricKind kind;
            if (Is(ref reader, "name"u8, "name"u8))
            {
                Read(ref reader);
                metric.Name = ReadString(ref reader, "name");
                continue;
            }
            else if (Is(ref reader, "description"u8, "description"u8))
            {
                Read(ref reader);
                metric.Description = ReadString(ref reader, "description");
                continue;
            }
            else if (Is(ref reader, "unit"u8, "unit"u8))
            {
                Read(ref reader);
                metric.Unit = ReadString(ref reader, "unit");
                continue;
            }
            else if (Is(ref reader, "gauge"u8, "gauge"u8))
            {
                kind = OtlpMetricKind.Gauge;
            }
            else if (Is(ref reader, "sum"u8, "sum"u8))
            {
                kind = OtlpMetricKind.Sum;
            }
            else if (Is(ref reader, "histogram"u8, "histogram"u8))
            {
                kind = OtlpMetricKind.Histogram;
            }
            else if (Is(ref reader, "exponentialHistogram"u8, "exponential_histogram"u8))
            {
                kind = OtlpMetricKind.ExponentialHistogram;
            }
            else if (Is(ref reader, "summary"u8, "summary"u8))
            {
                kind = OtlpMetricKind.Summary;
            }
            else
            {
                reader.Skip();
                continue;
            }

            Read(ref reader);
            if (reader.TokenType == JsonTokenType.Null)
            {
                continue;
            }

            if (metric.Kind is not null)
            {
                throw new OtlpDecodeException(reader.TokenStartIndex, "a metric has more than one of gauge, sum, histogram, exponentialHistogram and summary");
            }

            metric.Begin(kind);
            DecodeData(ref reader, kind);
        }

        _context.Exit();
        return metric.Build();
    }

    /// <summary>A <c>Gauge</c>, <c>Sum</c>, <c>Histogram</c>, <c>ExponentialHistogram</c> or <c>Summary</c> object.</summary>
    private void DecodeData(ref Utf8JsonReader reader, OtlpMetricKind kind)
    {
        ExpectObject(ref reader, "metric data");
        _context.Enter(reader.TokenStartIndex);
        var metric = _context.Metric;
        while (NextProperty(ref reader))
        {
            if (Is(ref reader, "dataPoints"u8, "data_points"u8))
            {
                Read(ref reader);
                var isArray = IsArray(ref reader, "dataPoints");
                while (isArray && NextElement(ref reader, "dataPoints"))
                {
                    switch (kind)
                    {
                        case OtlpMetricKind.Gauge or OtlpMetricKind.Sum:
                            DecodeNumberPoint(ref reader);
                            break;
                        case OtlpMetricKind.Histogram:
                            DecodeHistogramPoint(ref reader);
                            break;
                        default:
                            _context.Count(reader.TokenStartIndex);
                            reader.Skip();
                            metric.UnsupportedPointCount++;
                            break;
                    }
                }
            }
            else if (kind is not (OtlpMetricKind.Gauge or OtlpMetricKind.Summary) && Is(ref reader, "aggregationTemporality"u8, "aggregation_temporality"u8))
            {
                Read(ref reader);
                metric.SetTemporality(ReadTemporality(ref reader));
            }
            else if (kind == OtlpMetricKind.Sum && Is(ref reader, "isMonotonic"u8, "is_monotonic"u8))
            {
                Read(ref reader);
                metric.IsMonotonic = ReadBool(ref reader, "isMonotonic");
            }
            else
            {
                reader.Skip();
            }
        }

        _context.Exit();
    }

    private void DecodeNumberPoint(ref Utf8JsonReader reader)
    {
        _context.Enter(reader.TokenStartIndex);
        ulong start = 0, time = 0, flags = 0;
        double value = 0;
        var hasValue = false;
        while (NextProperty(ref reader))
        {
            if (Is(ref reader, "attributes"u8, "attributes"u8))
            {
                ReadAttributes(ref reader);
            }
            else if (Is(ref reader, "startTimeUnixNano"u8, "start_time_unix_nano"u8))
            {
                Read(ref reader);
                start = ReadUInt64(ref reader, "startTimeUnixNano");
            }
            else if (Is(ref reader, "timeUnixNano"u8, "time_unix_nano"u8))
            {
                Read(ref reader);
                time = ReadUInt64(ref reader, "timeUnixNano");
            }
            else if (Is(ref reader, "asDouble"u8, "as_double"u8))
            {
                Read(ref reader);
                if (reader.TokenType != JsonTokenType.Null)
                {
                    EnsureFirstValue(ref reader, ref hasValue);
                    value = ReadDouble(ref reader, "asDouble");
                }
            }
            else if (Is(ref reader, "asInt"u8, "as_int"u8))
            {
                Read(ref reader);
                if (reader.TokenType != JsonTokenType.Null)
                {
                    EnsureFirstValue(ref reader, ref hasValue);
                    value = ReadInt64(ref reader, "asInt");
                }
            }
            else if (Is(ref reader, "flags"u8, "flags"u8))
            {
                Read(ref reader);
                flags = ReadUInt64(ref reader, "flags");
            }
            else
            {
                reader.Skip();
            }
        }

        _context.Exit();
        var attributes = OtlpDecodeContext.Drain(_context.Attributes);
        if ((flags & 1) == 0)
        {
            _context.Metric.NumberPoints.Add(new OtlpNumberPoint(attributes, start, time, value));
        }
    }

    private static void EnsureFirstValue(ref Utf8JsonReader reader, ref bool hasValue)
    {
        if (hasValue)
        {
            throw new OtlpDecodeException(reader.TokenStartIndex, "a data point has both asDouble and asInt");
        }

        hasValue = true;
    }

    private void DecodeHistogramPoint(ref Utf8JsonReader reader)
    {
        _context.Enter(reader.TokenStartIndex);
        ulong start = 0, time = 0, count = 0, flags = 0;
        double? sum = null;
        while (NextProperty(ref reader))
        {
            if (Is(ref reader, "attributes"u8, "attributes"u8))
            {
                ReadAttributes(ref reader);
            }
            else if (Is(ref reader, "startTimeUnixNano"u8, "start_time_unix_nano"u8))
            {
                Read(ref reader);
                start = ReadUInt64(ref reader, "startTimeUnixNano");
            }
            else if (Is(ref reader, "timeUnixNano"u8, "time_unix_nano"u8))
            {
                Read(ref reader);
                time = ReadUInt64(ref reader, "timeUnixNano");
            }
            else if (Is(ref reader, "count"u8, "count"u8))
            {
                Read(ref reader);
                count = ReadUInt64(ref reader, "count");
            }
            else if (Is(ref reader, "sum"u8, "sum"u8))
            {
                Read(ref reader);
                sum = reader.TokenType == JsonTokenType.Null ? null : ReadDouble(ref reader, "sum");
            }
            else if (Is(ref reader, "bucketCounts"u8, "bucket_counts"u8))
            {
                Read(ref reader);
                var isArray = IsArray(ref reader, "bucketCounts");
                while (isArray && NextScalar(ref reader, "bucketCounts"))
                {
                    _context.BucketCounts.Add(ReadUInt64(ref reader, "bucketCounts"));
                }
            }
            else if (Is(ref reader, "explicitBounds"u8, "explicit_bounds"u8))
            {
                Read(ref reader);
                var isArray = IsArray(ref reader, "explicitBounds");
                while (isArray && NextScalar(ref reader, "explicitBounds"))
                {
                    _context.Bounds.Add(ReadDouble(ref reader, "explicitBounds"));
                }
            }
            else if (Is(ref reader, "flags"u8, "flags"u8))
            {
                Read(ref reader);
                flags = ReadUInt64(ref reader, "flags");
            }
            else
            {
                reader.Skip();
            }
        }

        _context.Exit();
        var attributes = OtlpDecodeContext.Drain(_context.Attributes);
        var bounds = OtlpDecodeContext.Drain(_context.Bounds);
        var bucketCounts = OtlpDecodeContext.Drain(_context.BucketCounts);
        if ((flags & 1) == 0)
        {
            _context.Metric.HistogramPoints.Add(new OtlpHistogramPoint(attributes, start, time, count, sum, bounds, bucketCounts));
        }
    }

    /// <summary>Reads an <c>attributes</c> array (the reader is on its property name) into the attribute scratch list.</summary>
    private void ReadAttributes(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        var isArray = IsArray(ref reader, "attributes");
        while (isArray && NextElement(ref reader, "attributes"))
        {
            _context.Attributes.Add(DecodeAttribute(ref reader));
        }
    }

    private OtlpAttribute DecodeAttribute(ref Utf8JsonReader reader)
    {
        _context.Enter(reader.TokenStartIndex);
        string key = "", value = "";
        while (NextProperty(ref reader))
        {
            if (Is(ref reader, "key"u8, "key"u8))
            {
                Read(ref reader);
                key = ReadString(ref reader, "key");
            }
            else if (Is(ref reader, "value"u8, "value"u8))
            {
                Read(ref reader);
                value = reader.TokenType == JsonTokenType.Null ? "" : RenderValue(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        _context.Exit();
        return new OtlpAttribute(key, value);
    }

    /// <summary>A top-level <c>AnyValue</c> object rendered to text (see <see cref="OtlpMetricsRequest"/>).</summary>
    private string RenderValue(ref Utf8JsonReader reader)
    {
        ExpectObject(ref reader, "an attribute value");
        _context.Enter(reader.TokenStartIndex);
        string? text = null;
        while (NextProperty(ref reader))
        {
            var valueCase = MatchValueCase(ref reader);
            if (valueCase == ValueCase.Unknown)
            {
                reader.Skip();
                continue;
            }

            Read(ref reader);
            if (reader.TokenType == JsonTokenType.Null)
            {
                continue;
            }

            if (text is not null)
            {
                throw MoreThanOneValue(ref reader);
            }

            text = valueCase switch
            {
                ValueCase.String => ReadString(ref reader, "stringValue"),
                ValueCase.Bool => ReadBool(ref reader, "boolValue") ? "true" : "false",
                ValueCase.Int => _context.Strings.FromInt64(ReadInt64(ref reader, "intValue")),
                ValueCase.Double => OtlpDecodeContext.FormatDouble(ReadDouble(ref reader, "doubleValue")),
                ValueCase.Bytes => Convert.ToBase64String(ReadBase64(ref reader)),
                _ => RenderJson(ref reader, valueCase),
            };
        }

        _context.Exit();
        return text ?? "";
    }

    private string RenderJson(ref Utf8JsonReader reader, ValueCase valueCase)
    {
        var start = reader.TokenStartIndex;
        var writer = _context.BeginJson();
        try
        {
            WriteStructured(writer, ref reader, valueCase);
        }
        catch (ArgumentException e)
        {
            // Utf8JsonWriter refuses single strings of more than ~125 MB; only a host with a huge body cap gets here.
            throw new OtlpDecodeException(start, $"an attribute value cannot be rendered: {e.Message}");
        }

        return _context.EndJson(start);
    }

    /// <summary>A nested <c>AnyValue</c> object (or null) as JSON.</summary>
    private void WriteValue(Utf8JsonWriter writer, ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            writer.WriteNullValue();
            return;
        }

        ExpectObject(ref reader, "an attribute value");
        _context.Enter(reader.TokenStartIndex);
        var written = false;
        while (NextProperty(ref reader))
        {
            var valueCase = MatchValueCase(ref reader);
            if (valueCase == ValueCase.Unknown)
            {
                reader.Skip();
                continue;
            }

            Read(ref reader);
            if (reader.TokenType == JsonTokenType.Null)
            {
                continue;
            }

            if (written)
            {
                throw MoreThanOneValue(ref reader);
            }

            written = true;
            switch (valueCase)
            {
                case ValueCase.String:
                    WriteString(writer, ref reader);
                    break;
                case ValueCase.Bool:
                    writer.WriteBooleanValue(ReadBool(ref reader, "boolValue"));
                    break;
                case ValueCase.Int:
                    writer.WriteNumberValue(ReadInt64(ref reader, "intValue"));
                    break;
                case ValueCase.Double:
                    OtlpDecodeContext.WriteDouble(writer, ReadDouble(ref reader, "doubleValue"));
                    break;
                case ValueCase.Bytes:
                    writer.WriteBase64StringValue(ReadBase64(ref reader));
                    break;
                default:
                    WriteStructured(writer, ref reader, valueCase);
                    break;
            }
        }

        if (!written)
        {
            writer.WriteNullValue();
        }

        _context.Exit();
    }

    /// <summary>An <c>ArrayValue</c> or <c>KeyValueList</c> object (<c>{"values":[…]}</c>) as a JSON array or object.</summary>
    private void WriteStructured(Utf8JsonWriter writer, ref Utf8JsonReader reader, ValueCase valueCase)
    {
        ExpectObject(ref reader, valueCase == ValueCase.Array ? "arrayValue" : "kvlistValue");
        _context.Enter(reader.TokenStartIndex);
        var isArray = valueCase == ValueCase.Array;
        if (isArray)
        {
            writer.WriteStartArray();
        }
        else
        {
            writer.WriteStartObject();
        }

        while (NextProperty(ref reader))
        {
            if (!Is(ref reader, "values"u8, "values"u8))
            {
                reader.Skip();
                continue;
            }

            Read(ref reader);
            if (!IsArray(ref reader, "values"))
            {
                continue;
            }

            if (isArray)
            {
                while (NextInArray(ref reader))
                {
                    WriteValue(writer, ref reader);
                }
            }
            else
            {
                while (NextElement(ref reader, "values"))
                {
                    WriteMember(writer, ref reader);
                }
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

    /// <summary>
    /// A nested <c>KeyValue</c>. JSON needs the key before the value, so a look-ahead finds the first <c>"key"</c>: free
    /// in the usual key-first order, but a value-first member makes it skip the value's subtree, once per nesting level;
    /// a budget keeps deliberately nested value-first maps from costing more than a couple of passes over the body.
    /// </summary>
    private void WriteMember(Utf8JsonWriter writer, ref Utf8JsonReader reader)
    {
        _context.Enter(reader.TokenStartIndex);
        var scan = reader;
        var key = "";
        while (NextProperty(ref scan))
        {
            if (Is(ref scan, "key"u8, "key"u8))
            {
                Read(ref scan);
                key = ReadString(ref scan, "key");
                break;
            }

            var before = scan.BytesConsumed;
            scan.Skip();
            _lookaheadBudget -= scan.BytesConsumed - before;
            if (_lookaheadBudget < 0)
            {
                throw new OtlpDecodeException(reader.TokenStartIndex, "nested kvlistValue members put their value before their key too often");
            }
        }

        writer.WritePropertyName(key);
        var written = false;
        while (NextProperty(ref reader))
        {
            if (Is(ref reader, "value"u8, "value"u8))
            {
                if (written)
                {
                    throw new OtlpDecodeException(reader.TokenStartIndex, "a key-value pair has more than one value");
                }

                Read(ref reader);
                WriteValue(writer, ref reader);
                written = true;
            }
            else
            {
                reader.Skip();
            }
        }

        if (!written)
        {
            writer.WriteNullValue();
        }

        _context.Exit();
    }

    private static ValueCase MatchValueCase(ref Utf8JsonReader reader) =>
        Is(ref reader, "stringValue"u8, "string_value"u8) ? ValueCase.String
        : Is(ref reader, "intValue"u8, "int_value"u8) ? ValueCase.Int
        : Is(ref reader, "boolValue"u8, "bool_value"u8) ? ValueCase.Bool
        : Is(ref reader, "doubleValue"u8, "double_value"u8) ? ValueCase.Double
        : Is(ref reader, "arrayValue"u8, "array_value"u8) ? ValueCase.Array
        : Is(ref reader, "kvlistValue"u8, "kvlist_value"u8) ? ValueCase.KeyValueList
        : Is(ref reader, "bytesValue"u8, "bytes_value"u8) ? ValueCase.Bytes
        : ValueCase.Unknown;

    private static OtlpDecodeException MoreThanOneValue(ref Utf8JsonReader reader) =>
        new(reader.TokenStartIndex, "an attribute value has more than one of stringValue, boolValue, intValue, doubleValue, arrayValue, kvlistValue and bytesValue");

    private static bool Is(ref Utf8JsonReader reader, ReadOnlySpan<byte> camelCase, ReadOnlySpan<byte> protoName) =>
        reader.ValueTextEquals(camelCase) || (protoName != camelCase && reader.ValueTextEquals(protoName));

    private static void Read(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new OtlpDecodeException(reader.BytesConsumed, "the JSON ends early");
        }
    }

    private static void ExpectObject(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new OtlpDecodeException(reader.TokenStartIndex, $"{what} must be a JSON object");
        }
    }

    /// <summary>Advances to the next property name of the current object; false at its end.</summary>
    private static bool NextProperty(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            return false;
        }

        if (reader.ValueIsEscaped)
        {
            // ValueTextEquals throws InvalidOperationException on some invalid escapes (a lone low surrogate): check
            // the rare escaped name once here, so matching it can never throw.
            Unescape(ref reader);
        }

        return true;
    }

    /// <summary>
    /// Whether a repeated field's value (the reader is on it) has elements to visit: true for an array, false for null.
    /// </summary>
    private static bool IsArray(ref Utf8JsonReader reader, string field) => reader.TokenType switch
    {
        JsonTokenType.StartArray => true,
        JsonTokenType.Null => false,
        _ => throw new OtlpDecodeException(reader.TokenStartIndex, $"{field} must be a JSON array"),
    };

    /// <summary>Advances to the next element of the current array; false at its end.</summary>
    private static bool NextInArray(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        return reader.TokenType != JsonTokenType.EndArray;
    }

    /// <summary>Like <see cref="NextInArray"/> for a repeated message field, whose elements must be objects.</summary>
    private static bool NextElement(ref Utf8JsonReader reader, string field)
    {
        if (!NextInArray(ref reader))
        {
            return false;
        }

        ExpectObject(ref reader, $"each element of {field}");
        return true;
    }

    /// <summary>Like <see cref="NextInArray"/> for a repeated scalar field.</summary>
    private static bool NextScalar(ref Utf8JsonReader reader, string field)
    {
        if (!NextInArray(ref reader))
        {
            return false;
        }

        if (reader.TokenType is not (JsonTokenType.Number or JsonTokenType.String))
        {
            throw new OtlpDecodeException(reader.TokenStartIndex, $"each element of {field} must be a number or a string");
        }

        return true;
    }

    private string ReadString(ref Utf8JsonReader reader, string field)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return "";
            case JsonTokenType.String when !reader.ValueIsEscaped:
                return _context.Strings.FromUtf8(reader.ValueSpan, reader.TokenStartIndex);
            case JsonTokenType.String:
                return _context.Strings.FromChars(Unescape(ref reader));
            default:
                throw new OtlpDecodeException(reader.TokenStartIndex, $"{field} must be a string");
        }
    }

    private static void WriteString(Utf8JsonWriter writer, ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new OtlpDecodeException(reader.TokenStartIndex, "stringValue must be a string");
        }

        if (reader.ValueIsEscaped)
        {
            writer.WriteStringValue(Unescape(ref reader));
        }
        else if (Utf8.IsValid(reader.ValueSpan))
        {
            writer.WriteStringValue(reader.ValueSpan);
        }
        else
        {
            throw new OtlpDecodeException(reader.TokenStartIndex, "a string is not valid UTF-8");
        }
    }

    private static string Unescape(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            // Invalid UTF-8 or a lone surrogate escape.
            throw new OtlpDecodeException(reader.TokenStartIndex, e.Message);
        }
    }

    private static bool ReadBool(ref Utf8JsonReader reader, string field) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False or JsonTokenType.Null => false,
        _ => throw new OtlpDecodeException(reader.TokenStartIndex, $"{field} must be true or false"),
    };

    private static ulong ReadUInt64(ref Utf8JsonReader reader, string field)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return 0;
            case JsonTokenType.Number when reader.TryGetUInt64(out var number):
                return number;
            case JsonTokenType.Number when reader.TryGetDouble(out var real) && IsInteger(real, 0, 18446744073709551615.0):
                // An exponent form such as 1e9 is an integer in proto3 JSON.
                return (ulong)real;
            case JsonTokenType.String:
                {
                    Span<byte> buffer = stackalloc byte[32];
                    if (TryGetRawString(in reader, buffer, out var text) && Utf8Parser.TryParse(text, out ulong parsed, out var used) && used == text.Length)
                    {
                        return parsed;
                    }

                    break;
                }
        }

        throw new OtlpDecodeException(reader.TokenStartIndex, $"{field} must be an unsigned 64-bit integer, as a string or a number");
    }

    private static long ReadInt64(ref Utf8JsonReader reader, string field)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return 0;
            case JsonTokenType.Number when reader.TryGetInt64(out var number):
                return number;
            case JsonTokenType.Number when reader.TryGetDouble(out var real) && IsInteger(real, -9223372036854775808.0, 9223372036854775807.0):
                return (long)real;
            case JsonTokenType.String:
                {
                    Span<byte> buffer = stackalloc byte[32];
                    if (TryGetRawString(in reader, buffer, out var text) && Utf8Parser.TryParse(text, out long parsed, out var used) && used == text.Length)
                    {
                        return parsed;
                    }

                    break;
                }
        }

        throw new OtlpDecodeException(reader.TokenStartIndex, $"{field} must be a signed 64-bit integer, as a string or a number");
    }

    private static bool IsInteger(double value, double min, double max) =>
        value == Math.Floor(value) && value >= min && value < max;

    private static double ReadDouble(ref Utf8JsonReader reader, string field)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return 0;
            case JsonTokenType.Number when reader.TryGetDouble(out var number) && double.IsFinite(number):
                return number;
            case JsonTokenType.String:
                {
                    Span<byte> buffer = stackalloc byte[32];
                    if (!TryGetRawString(in reader, buffer, out var text))
                    {
                        break;
                    }

                    if (text.SequenceEqual("NaN"u8))
                    {
                        return double.NaN;
                    }

                    if (text.SequenceEqual("Infinity"u8))
                    {
                        return double.PositiveInfinity;
                    }

                    if (text.SequenceEqual("-Infinity"u8))
                    {
                        return double.NegativeInfinity;
                    }

                    if (Utf8Parser.TryParse(text, out double parsed, out var used) && used == text.Length && double.IsFinite(parsed))
                    {
                        return parsed;
                    }

                    break;
                }
        }

        throw new OtlpDecodeException(reader.TokenStartIndex, $"{field} must be a number, or \"NaN\", \"Infinity\" or \"-Infinity\"");
    }

    private static long ReadTemporality(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return 0;
            case JsonTokenType.Number when reader.TryGetInt32(out var number):
                return number;
            case JsonTokenType.String:
                {
                    Span<byte> buffer = stackalloc byte[64];
                    if (!TryGetRawString(in reader, buffer, out var name))
                    {
                        break;
                    }

                    if (name.SequenceEqual("AGGREGATION_TEMPORALITY_UNSPECIFIED"u8))
                    {
                        return (long)OtlpTemporality.Unspecified;
                    }

                    if (name.SequenceEqual("AGGREGATION_TEMPORALITY_DELTA"u8))
                    {
                        return (long)OtlpTemporality.Delta;
                    }

                    if (name.SequenceEqual("AGGREGATION_TEMPORALITY_CUMULATIVE"u8))
                    {
                        return (long)OtlpTemporality.Cumulative;
                    }

                    break;
                }
        }

        throw new OtlpDecodeException(reader.TokenStartIndex, "aggregationTemporality must be an integer or an AggregationTemporality name");
    }

    /// <summary>A base64 <c>bytes</c> value; proto3 JSON accepts the standard and the URL-safe alphabet, padded or not.</summary>
    private static byte[] ReadBase64(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new OtlpDecodeException(reader.TokenStartIndex, "bytesValue must be a base64 string");
        }

        var text = Unescape(ref reader);
        var length = text.Length;
        var padded = (length + 3) / 4 * 4;
        var chars = ArrayPool<char>.Shared.Rent(Math.Max(padded, 1));
        var bytes = ArrayPool<byte>.Shared.Rent(Math.Max(padded / 4 * 3, 1));
        try
        {
            for (var i = 0; i < length; i++)
            {
                chars[i] = text[i] switch
                {
                    '-' => '+',
                    '_' => '/',
                    var c => c,
                };
            }

            chars.AsSpan(length, padded - length).Fill('=');
            if (!Convert.TryFromBase64Chars(chars.AsSpan(0, padded), bytes, out var written))
            {
                throw new OtlpDecodeException(reader.TokenStartIndex, "bytesValue is not valid base64");
            }

            return bytes.AsSpan(0, written).ToArray();
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>The unescaped UTF-8 of a short string token (a number or a name); false if it does not fit.</summary>
    private static bool TryGetRawString(in Utf8JsonReader reader, Span<byte> buffer, out ReadOnlySpan<byte> text)
    {
        if (!reader.ValueIsEscaped)
        {
            text = reader.ValueSpan;
            return true;
        }

        if (reader.ValueSpan.Length <= buffer.Length)
        {
            try
            {
                var written = reader.CopyString(buffer);
                text = buffer[..written];
                return true;
            }
            catch (InvalidOperationException)
            {
                // An invalid escape; the caller reports the field.
            }
        }

        text = default;
        return false;
    }
}
