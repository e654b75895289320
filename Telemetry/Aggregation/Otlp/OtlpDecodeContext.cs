using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Telemetry.Prometheus;

namespace Telemetry.Aggregation.Otlp;

/// <summary>
/// The state of one decode, shared by the protobuf and JSON decoders: the message budget and depth, the string cache,
/// and one scratch list per nesting level. Messages at one level never overlap in time (a sub-message is decoded
/// completely before its parent continues), so each level's list is drained into an exact-size array when its message
/// ends and reused by the next one.
/// </summary>
internal sealed class OtlpDecodeContext(OtlpDecoderLimits limits) : IDisposable
{
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
}
