using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Telemetry.Aggregation.Otlp;

/// <summary>The <c>google.rpc.Code</c> values an OTLP/HTTP error body (<c>google.rpc.Status</c>) carries.</summary>
public enum OtlpStatusCode
{
    /// <summary>With 400: the body cannot be decoded.</summary>
    InvalidArgument = 3,

    /// <summary>With 413 or 429: too large, or throttled.</summary>
    ResourceExhausted = 8,

    /// <summary>With 415: an unsupported Content-Type or Content-Encoding.</summary>
    Unimplemented = 12,

    /// <summary>With 500.</summary>
    Internal = 13,

    /// <summary>With 503.</summary>
    Unavailable = 14,
}

/// <summary>
/// Response bodies for OTLP/HTTP metrics (opentelemetry-proto <c>docs/specification.md</c>, "OTLP/HTTP Response";
/// aggregation.md §4.2), in the request's encoding: an <c>ExportMetricsServiceResponse</c> with 200, a
/// <c>google.rpc.Status</c> with 4xx/5xx.
/// </summary>
public static class OtlpMetricsResponse
{
    private static readonly byte[] EmptyJsonObject = "{}"u8.ToArray();

    /// <summary>Full success: <c>partial_success</c> unset, i.e. zero bytes of protobuf or <c>{}</c>.</summary>
    public static ReadOnlyMemory<byte> Success(OtlpEncoding encoding) =>
        encoding == OtlpEncoding.Json ? EmptyJsonObject : ReadOnlyMemory<byte>.Empty;

    /// <summary>
    /// A 200 body for a request of which <paramref name="rejectedDataPoints"/> points were refused (the client must not
    /// retry them), with an English <paramref name="errorMessage"/>; zero rejected with a message is a warning. Zero and
    /// no message is <see cref="Success"/>.
    /// </summary>
    public static ReadOnlyMemory<byte> Encode(OtlpEncoding encoding, long rejectedDataPoints, string? errorMessage)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rejectedDataPoints);
        var message = errorMessage ?? "";
        if (rejectedDataPoints == 0 && message.Length == 0)
        {
            return Success(encoding);
        }

        return encoding == OtlpEncoding.Json
            ? PartialSuccessJson(rejectedDataPoints, message)
            : PartialSuccessProtobuf(rejectedDataPoints, message);
    }

    /// <summary>A 4xx/5xx body: <c>google.rpc.Status { code, message }</c>.</summary>
    public static ReadOnlyMemory<byte> EncodeStatus(OtlpEncoding encoding, OtlpStatusCode code, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (encoding == OtlpEncoding.Json)
        {
            var buffer = new ArrayBufferWriter<byte>(64 + message.Length);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteNumber("code"u8, (int)code);
                if (message.Length > 0)
                {
                    writer.WriteString("message"u8, message);
                }

                writer.WriteEndObject();
            }

            return buffer.WrittenMemory;
        }

        // Status: 1 code (int32, varint), 2 message (string).
        var messageBytes = Encoding.UTF8.GetByteCount(message);
        var body = new byte[1 + VarintSize((ulong)code) + (messageBytes > 0 ? 1 + VarintSize((ulong)messageBytes) + messageBytes : 0)];
        var position = 0;
        body[position++] = 0x08;
        position += WriteVarint(body.AsSpan(position), (ulong)code);
        WriteString(body.AsSpan(position), 0x12, message, messageBytes);
        return body;
    }

    private static byte[] PartialSuccessProtobuf(long rejectedDataPoints, string message)
    {
        // ExportMetricsServiceResponse: 1 partial_success; ExportMetricsPartialSuccess: 1 rejected_data_points (int64,
        // varint), 2 error_message (string). Proto3 leaves zero and empty fields out.
        var messageBytes = Encoding.UTF8.GetByteCount(message);
        var inner = (rejectedDataPoints > 0 ? 1 + VarintSize((ulong)rejectedDataPoints) : 0)
            + (messageBytes > 0 ? 1 + VarintSize((ulong)messageBytes) + messageBytes : 0);
        var body = new byte[1 + VarintSize((ulong)inner) + inner];
        var position = 0;
        body[position++] = 0x0A;
        position += WriteVarint(body.AsSpan(position), (ulong)inner);
        if (rejectedDataPoints > 0)
        {
            body[position++] = 0x08;
            position += WriteVarint(body.AsSpan(position), (ulong)rejectedDataPoints);
        }

        WriteString(body.AsSpan(position), 0x12, message, messageBytes);
        return body;
    }

    private static ReadOnlyMemory<byte> PartialSuccessJson(long rejectedDataPoints, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(96 + message.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("partialSuccess"u8);
            if (rejectedDataPoints > 0)
            {
                // int64 is a decimal string in proto3 JSON.
                Span<byte> digits = stackalloc byte[20];
                rejectedDataPoints.TryFormat(digits, out var written, default, CultureInfo.InvariantCulture);
                writer.WriteString("rejectedDataPoints"u8, digits[..written]);
            }

            if (message.Length > 0)
            {
                writer.WriteString("errorMessage"u8, message);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    private static void WriteString(Span<byte> destination, byte tag, string value, int byteCount)
    {
        if (byteCount == 0)
        {
            return;
        }

        destination[0] = tag;
        var position = 1 + WriteVarint(destination[1..], (ulong)byteCount);
        Encoding.UTF8.GetBytes(value, destination[position..]);
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

    private static int WriteVarint(Span<byte> destination, ulong value)
    {
        var position = 0;
        while (value >= 0x80)
        {
            destination[position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[position++] = (byte)value;
        return position;
    }
}
