using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace FunctionApp.Tests.Common.Otlp;

public enum OtlpReceivedSignal
{
    Traces,
    Metrics,
}

/// <summary>
/// One export request as it arrived, whatever it was answered: the request path (the gRPC method path, or the HTTP
/// path with any base path), every request header (case-insensitive; repeated values joined with a comma), the decoded
/// message, and the <see cref="Answer"/> the receiver gave.
/// </summary>
public sealed record OtlpReceivedExport(
    OtlpReceivedSignal Signal,
    string Path,
    IReadOnlyDictionary<string, string> Headers,
    ExportTraceServiceRequest? Traces,
    ExportMetricsServiceRequest? Metrics,
    OtlpReceiverFault Answer);
