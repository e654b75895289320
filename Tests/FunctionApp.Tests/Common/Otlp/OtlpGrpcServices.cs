using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using RetryInfo = FunctionApp.Tests.Common.Otlp.Rpc.RetryInfo;
using RpcStatus = FunctionApp.Tests.Common.Otlp.Rpc.Status;

namespace FunctionApp.Tests.Common.Otlp;

/// <summary>OTLP/gRPC <c>opentelemetry.proto.collector.trace.v1.TraceService/Export</c>.</summary>
internal sealed class OtlpGrpcTraceService(OtlpReceiver receiver) : TraceService.TraceServiceBase
{
    public override async Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
    {
        var answer = await receiver.ReceiveAsync(OtlpReceivedSignal.Traces, context.GetHttpContext(), request, metrics: null);
        OtlpGrpcAnswer.ThrowIfRefused(answer);
        return new ExportTraceServiceResponse();
    }
}

/// <summary>OTLP/gRPC <c>opentelemetry.proto.collector.metrics.v1.MetricsService/Export</c>.</summary>
internal sealed class OtlpGrpcMetricsService(OtlpReceiver receiver) : MetricsService.MetricsServiceBase
{
    public override async Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context)
    {
        var answer = await receiver.ReceiveAsync(OtlpReceivedSignal.Metrics, context.GetHttpContext(), traces: null, request);
        OtlpGrpcAnswer.ThrowIfRefused(answer);
        return new ExportMetricsServiceResponse();
    }
}

internal static class OtlpGrpcAnswer
{
    /// <summary>
    /// Turns a refusal into its gRPC status. A retry delay travels as a <c>google.rpc.RetryInfo</c> detail of the
    /// <c>grpc-status-details-bin</c> trailer, where the OTLP/gRPC exporters read the throttle delay.
    /// </summary>
    public static void ThrowIfRefused(OtlpReceiverFault answer)
    {
        var code = answer.Kind switch
        {
            OtlpReceiverFaultKind.Unavailable => StatusCode.Unavailable,
            OtlpReceiverFaultKind.Throttled => StatusCode.ResourceExhausted,
            _ => StatusCode.OK,
        };
        if (code == StatusCode.OK)
        {
            return;
        }

        const string message = "refused by the test receiver's fault mode";
        var trailers = new Metadata();
        if (answer.RetryAfter is { } delay)
        {
            var details = new RpcStatus { Code = (int)code, Message = message };
            details.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }));
            trailers.Add("grpc-status-details-bin", details.ToByteArray());
        }

        throw new RpcException(new Status(code, message), trailers);
    }
}
