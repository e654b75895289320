namespace FunctionApp.Tests.Common.Otlp;

/// <summary>What an <see cref="OtlpReceiver"/> answers an export with.</summary>
public enum OtlpReceiverFaultKind
{
    /// <summary>Accept the data: HTTP 200 with an empty response message, gRPC OK.</summary>
    Healthy,

    /// <summary>Wait <see cref="OtlpReceiverFault.Duration"/>, then accept (a slow collector).</summary>
    Delay,

    /// <summary>Refuse as overloaded: HTTP 503 / gRPC UNAVAILABLE, both retryable.</summary>
    Unavailable,

    /// <summary>Refuse as throttled: HTTP 429 / gRPC RESOURCE_EXHAUSTED, both retryable.</summary>
    Throttled,
}

/// <summary>
/// A receiver behaviour. <see cref="RetryAfter"/> (for the refusals) becomes the HTTP <c>Retry-After</c> header in whole
/// seconds, or a <c>google.rpc.RetryInfo</c> in the gRPC <c>grpc-status-details-bin</c> trailer: where the OTLP exporters
/// look for the throttle delay.
/// </summary>
public sealed record OtlpReceiverFault(OtlpReceiverFaultKind Kind, TimeSpan Duration = default, TimeSpan? RetryAfter = null)
{
    public static OtlpReceiverFault Healthy { get; } = new(OtlpReceiverFaultKind.Healthy);

    /// <summary>Holds each export for <paramref name="delay"/> (cut short when the receiver stops), then accepts it.</summary>
    public static OtlpReceiverFault Delay(TimeSpan delay) => new(OtlpReceiverFaultKind.Delay, delay);

    public static OtlpReceiverFault Unavailable(TimeSpan? retryAfter = null) => new(OtlpReceiverFaultKind.Unavailable, RetryAfter: retryAfter);

    public static OtlpReceiverFault Throttled(TimeSpan? retryAfter = null) => new(OtlpReceiverFaultKind.Throttled, RetryAfter: retryAfter);

    /// <summary>Whether the data of an export answered this way counts as received.</summary>
    public bool Accepts => Kind is OtlpReceiverFaultKind.Healthy or OtlpReceiverFaultKind.Delay;
}
