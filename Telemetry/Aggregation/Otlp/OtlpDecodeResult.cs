using System.Diagnostics.CodeAnalysis;

namespace Telemetry.Aggregation.Otlp;

/// <summary>
/// What <see cref="OtlpMetricsDecoder"/> made of a request body: the decoded <see cref="Request"/>, or an
/// <see cref="Error"/> (English, safe to echo to the client) that the host answers with <c>400 Bad Request</c>.
/// </summary>
public sealed class OtlpDecodeResult
{
    private OtlpDecodeResult(OtlpMetricsRequest? request, string? error)
    {
        Request = request;
        Error = error;
    }

    public OtlpMetricsRequest? Request { get; }

    public string? Error { get; }

    [MemberNotNullWhen(true, nameof(Request))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Request is not null;

    public static OtlpDecodeResult Success(OtlpMetricsRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new(request, null);
    }

    public static OtlpDecodeResult Failure(string error)
    {
        ArgumentException.ThrowIfNullOrEmpty(error);
        return new(null, error);
    }
}
