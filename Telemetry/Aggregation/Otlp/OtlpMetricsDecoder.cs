using System.Text.Json;

namespace Telemetry.Aggregation.Otlp;

/// <summary>
/// Decodes an OTLP/HTTP metrics export body (already gunzipped, see <see cref="OtlpRequestBody"/>) into an
/// <see cref="OtlpMetricsRequest"/>, without reflection (Native AOT). Never throws for bad input: a malformed body gives
/// a failed <see cref="OtlpDecodeResult"/> whose error the host returns with 400. Data points flagged
/// <c>NO_RECORDED_VALUE</c> are dropped here: they carry no value, only "this series ended", which the companion's
/// expiry already covers.
/// </summary>
public static class OtlpMetricsDecoder
{
    public static OtlpDecodeResult Decode(OtlpEncoding encoding, ReadOnlySpan<byte> body, OtlpDecoderLimits? limits = null) =>
        encoding == OtlpEncoding.Json ? DecodeJson(body, limits) : DecodeProtobuf(body, limits);

    /// <summary>Decodes binary protobuf (<c>application/x-protobuf</c>).</summary>
    public static OtlpDecodeResult DecodeProtobuf(ReadOnlySpan<byte> body, OtlpDecoderLimits? limits = null)
    {
        try
        {
            using var context = new OtlpDecodeContext(limits ?? OtlpDecoderLimits.Default);
            return OtlpDecodeResult.Success(new OtlpProtobufDecoder(context).Decode(body));
        }
        catch (OtlpDecodeException e)
        {
            return OtlpDecodeResult.Failure($"invalid OTLP protobuf at byte {e.Position}: {e.Message}");
        }
    }

    /// <summary>Decodes OTLP/JSON (<c>application/json</c>).</summary>
    public static OtlpDecodeResult DecodeJson(ReadOnlySpan<byte> body, OtlpDecoderLimits? limits = null)
    {
        var effective = limits ?? OtlpDecoderLimits.Default;
        try
        {
            using var context = new OtlpDecodeContext(effective);
            return OtlpDecodeResult.Success(new OtlpJsonDecoder(context).Decode(body, effective.MaxDepth));
        }
        catch (OtlpDecodeException e)
        {
            return OtlpDecodeResult.Failure($"invalid OTLP/JSON at byte {e.Position}: {e.Message}");
        }
        catch (JsonException e)
        {
            // Utf8JsonReader's own syntax and depth errors; their message carries the line and byte position.
            return OtlpDecodeResult.Failure($"invalid OTLP/JSON: {e.Message}");
        }
    }
}
