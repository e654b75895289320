using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Json;
using Telemetry.Prometheus;

namespace Telemetry.Aggregation.Otlp;

/// <summary>
/// The state of one decode, shared by the protobuf and JSON decoders: the message budget and depth, the string cache,
/// and one scratch list per nesting level. Messages at one level never overlap in time (a sub-message is decoded
/// completely before its parent continues), so each level's list is drained into an exact-size array when its message
/// ends and reused by the next one. It also holds the process-wide memo of decoded attribute sets and bucket bounds
/// (<see cref="TryGetAttributeSet"/>, <see cref="MemoizedBounds"/>).
/// </summary>
internal sealed class OtlpDecodeContext(OtlpDecoderLimits limits) : IDisposable
{
    /// <summary>Attribute sets (and bound lists) memoized before the table starts over.</summary>
    internal const int MaxMemoEntries = 8192;

    /// <summary>The longest encoded attribute set (or bound list) memoized, in bytes.</summary>
    internal const int MaxMemoBytes = 4096;

    private static readonly Memo<AttributeSet> AttributeSets = new();
    private static readonly Memo<double[]> BoundLists = new();

    private readonly OtlpDecoderLimits _limits = limits;
    private int _messages;
    private int _depth;
    private ArrayBufferWriter<byte>? _jsonBuffer;
    private Utf8JsonWriter? _json;

    public OtlpStringCache Strings { get; } = new();

    public List<OtlpScopeMetrics> Scopes { get; } = [];

    public List<OtlpMetric> Metrics { get; } = [];

    public List<OtlpAttribute> Attributes { get; } = [];

    public List<double> Bounds { get; } = [];

    public List<ulong> BucketCounts { get; } = [];

    public OtlpMetricBuilder Metric { get; } = new();

    /// <summary>Counts a message against <see cref="OtlpDecoderLimits.MaxMessages"/> and enters one nesting level.</summary>
    public void Enter(long position)
    {
        if (++_messages > _limits.MaxMessages)
        {
            throw new OtlpDecodeException(position, $"the request holds more than {_limits.MaxMessages} messages");
        }

        if (++_depth > _limits.MaxDepth)
        {
            throw new OtlpDecodeException(position, $"messages are nested more than {_limits.MaxDepth} deep");
        }
    }

    public void Exit() => _depth--;

    /// <summary>Messages counted so far.</summary>
    public int Messages => _messages;

    /// <summary>Set when an attribute value was an array or a map (rendered as JSON): such sets are not memoized.</summary>
    public bool SawStructuredValue { get; set; }

    /// <summary>
    /// A data point's attributes decoded before from exactly these bytes (its consecutive attribute fields, tags
    /// included), when counting their messages keeps within the limits; the caller decodes them otherwise (which
    /// fails where a first decode would). The array is shared: nobody may change it.
    /// </summary>
    public bool TryGetAttributeSet(ReadOnlySpan<byte> encoded, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out OtlpAttribute[] attributes)
    {
        // Each attribute enters at most two levels (KeyValue, AnyValue: memoized sets hold no arrays or maps).
        if (encoded.Length <= MaxMemoBytes && AttributeSets.TryGet(encoded, out var set)
            && _messages + set.Messages <= _limits.MaxMessages && _depth + 2 <= _limits.MaxDepth)
        {
            _messages += set.Messages;
            attributes = set.Attributes;
            return true;
        }

        attributes = null;
        return false;
    }

    /// <summary>Memoizes an attribute set decoded from <paramref name="encoded"/> with <paramref name="messages"/> messages.</summary>
    public static void AddAttributeSet(ReadOnlySpan<byte> encoded, OtlpAttribute[] attributes, int messages)
    {
        if (encoded.Length <= MaxMemoBytes)
        {
            AttributeSets.Add(encoded, new AttributeSet(attributes, messages));
        }
    }

    /// <summary>Bucket bounds from one packed field (a multiple of 8 bytes), memoized: the array is shared, nobody may change it.</summary>
    public static double[] MemoizedBounds(ReadOnlySpan<byte> packed)
    {
        if (packed.IsEmpty)
        {
            return [];
        }

        if (packed.Length <= MaxMemoBytes && BoundLists.TryGet(packed, out var cached))
        {
            return cached;
        }

        var bounds = new double[packed.Length / 8];
        for (var i = 0; i < bounds.Length; i++)
        {
            bounds[i] = System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(packed[(i * 8)..]);
        }

        if (packed.Length <= MaxMemoBytes)
        {
            BoundLists.Add(packed, bounds);
        }

        return bounds;
    }

    /// <summary>Empties the memo tables (tests).</summary>
    internal static void ClearMemos()
    {
        AttributeSets.Clear();
        BoundLists.Clear();
    }

    /// <summary>Entries in the attribute set memo (tests).</summary>
    internal static int AttributeSetCount => AttributeSets.Count;

    /// <summary>Counts messages the decoder only tallies (exponential histogram and summary points).</summary>
    public void Count(long position)
    {
        if (++_messages > _limits.MaxMessages)
        {
            throw new OtlpDecodeException(position, $"the request holds more than {_limits.MaxMessages} messages");
        }
    }

    /// <summary>A writer for rendering one array or map attribute value as JSON text; end it with <see cref="EndJson"/>.</summary>
    public Utf8JsonWriter BeginJson()
    {
        if (_json is null)
        {
            _jsonBuffer = new ArrayBufferWriter<byte>(256);
            _json = new Utf8JsonWriter(_jsonBuffer, new JsonWriterOptions
            {
                // Label values are not embedded in HTML: keep non-ASCII text readable instead of \uXXXX.
                Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
                MaxDepth = _limits.MaxDepth + 1,
            });
        }
        else
        {
            _jsonBuffer!.ResetWrittenCount();
            _json.Reset(_jsonBuffer);
        }

        return _json;
    }

    public string EndJson(long position)
    {
        _json!.Flush();
        return Strings.FromUtf8(_jsonBuffer!.WrittenSpan, position);
    }

    public void Dispose() => _json?.Dispose();

    public static T[] Drain<T>(List<T> scratch)
    {
        if (scratch.Count == 0)
        {
            return [];
        }

        var items = scratch.ToArray();
        scratch.Clear();
        return items;
    }

    /// <summary>
    /// A double attribute value as the spec's "AnyValue representation for non-OTLP protocols" asks: a JSON number,
    /// written like Go's <c>FormatFloat(v, 'g', -1, 64)</c> so it matches the in-process exporter and KrakenD, and
    /// <c>NaN</c>/<c>Infinity</c>/<c>-Infinity</c>, which JSON numbers cannot express.
    /// </summary>
    public static string FormatDouble(double value) =>
        double.IsFinite(value) ? GoFloat.Format(value) : NonFinite(value);

    /// <summary>The same inside a JSON array or map, where non-finite values are JSON strings.</summary>
    public static void WriteDouble(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteRawValue(GoFloat.Format(value), skipInputValidation: true);
        }
        else
        {
            writer.WriteStringValue(NonFinite(value));
        }
    }

    private static string NonFinite(double value) =>
        double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";

    private sealed record AttributeSet(OtlpAttribute[] Attributes, int Messages);

    /// <summary>A bounded, thread-safe table keyed by encoded bytes; it starts over when full.</summary>
    private sealed class Memo<T>
        where T : class
    {
        private readonly ConcurrentDictionary<byte[], T> _entries = new(OtlpStringCache.ByteContent.Instance);
        private readonly ConcurrentDictionary<byte[], T>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
        private int _count;

        public Memo() => _lookup = _entries.GetAlternateLookup<ReadOnlySpan<byte>>();

        public int Count => _entries.Count;

        public bool TryGet(ReadOnlySpan<byte> key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T value) => _lookup.TryGetValue(key, out value);

        public void Add(ReadOnlySpan<byte> key, T value)
        {
            if (Interlocked.Increment(ref _count) > MaxMemoEntries)
            {
                _entries.Clear();
                Interlocked.Exchange(ref _count, 1);
            }

            if (!_entries.TryAdd(key.ToArray(), value))
            {
                Interlocked.Decrement(ref _count);
            }
        }

        public void Clear()
        {
            _entries.Clear();
            Interlocked.Exchange(ref _count, 0);
        }
    }
}
