namespace Telemetry.Aggregation.Otlp;

/// <summary>
/// Malformed input, thrown deep in the recursive decoders and turned into an <see cref="OtlpDecodeResult"/> at the
/// entry point; it never leaves <see cref="OtlpMetricsDecoder"/>.
/// </summary>
internal sealed class OtlpDecodeException : Exception
{
    public OtlpDecodeException()
    {
    }

    public OtlpDecodeException(string message)
        : base(message)
    {
    }

    public OtlpDecodeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public OtlpDecodeException(long position, string reason)
        : base(reason)
    {
        Position = position;
    }

    /// <summary>The byte offset in the body where the problem was found, or -1.</summary>
    public long Position { get; } = -1;
}
