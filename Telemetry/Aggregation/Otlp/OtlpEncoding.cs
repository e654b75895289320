namespace Telemetry.Aggregation.Otlp;

/// <summary>The two OTLP/HTTP body encodings; the response must use the request's.</summary>
public enum OtlpEncoding
{
    /// <summary><c>application/x-protobuf</c>: binary proto3.</summary>
    Protobuf,

    /// <summary><c>application/json</c>: the proto3 JSON mapping with OTLP's deviations.</summary>
    Json,
}

/// <summary>Content-Type dispatch for OTLP/HTTP (opentelemetry-proto <c>docs/specification.md</c>, "OTLP/HTTP").</summary>
public static class OtlpContentTypes
{
    public const string Protobuf = "application/x-protobuf";

    public const string Json = "application/json";

    /// <summary>The Content-Type of a body in <paramref name="encoding"/>.</summary>
    public static string Of(OtlpEncoding encoding) => encoding == OtlpEncoding.Json ? Json : Protobuf;

    /// <summary>
    /// The encoding a request's <c>Content-Type</c> names, ignoring parameters such as <c>charset</c>; false for a
    /// missing or other media type (the host answers 415).
    /// </summary>
    public static bool TryParse(string? contentType, out OtlpEncoding encoding)
    {
        var mediaType = contentType.AsSpan();
        var semicolon = mediaType.IndexOf(';');
        if (semicolon >= 0)
        {
            mediaType = mediaType[..semicolon];
        }

        mediaType = mediaType.Trim();
        if (mediaType.Equals(Protobuf, StringComparison.OrdinalIgnoreCase))
        {
            encoding = OtlpEncoding.Protobuf;
            return true;
        }

        if (mediaType.Equals(Json, StringComparison.OrdinalIgnoreCase))
        {
            encoding = OtlpEncoding.Json;
            return true;
        }

        encoding = default;
        return false;
    }
}
