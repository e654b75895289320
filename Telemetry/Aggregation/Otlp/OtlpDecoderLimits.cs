namespace Telemetry.Aggregation.Otlp;

/// <summary>
/// Bounds on the decoder's own work. Input size is the host's cap (413); these stop a small body from costing a lot:
/// a 2-byte empty data point still becomes an object, so the number of messages bounds the allocation, and the depth
/// bounds the recursion through nested <c>AnyValue</c> arrays and maps.
/// </summary>
public sealed record OtlpDecoderLimits
{
    /// <summary>The largest <see cref="MaxDepth"/>: the decoders recurse once per level, and the stack is finite.</summary>
    public const int MaxAllowedDepth = 256;

    private readonly int _maxMessages = 1_000_000;
    private readonly int _maxDepth = 64;

    public static OtlpDecoderLimits Default { get; } = new();

    /// <summary>
    /// The most messages (resources, scopes, metrics, data points, attributes, attribute values, …) one request may
    /// hold. A busy gateway pushes a few hundred thousand at most; beyond this the request is refused as a whole.
    /// </summary>
    public int MaxMessages
    {
        get => _maxMessages;
        init => _maxMessages = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Give a positive message count.");
    }

    /// <summary>How deep messages may nest; the metric data path itself is 8 deep, the rest is for nested attribute values.</summary>
    public int MaxDepth
    {
        get => _maxDepth;
        init => _maxDepth = value is > 0 and <= MaxAllowedDepth
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"Give a depth from 1 to {MaxAllowedDepth}.");
    }
}
