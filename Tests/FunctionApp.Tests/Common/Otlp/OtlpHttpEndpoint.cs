using System.Globalization;
using System.IO.Compression;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using RpcStatus = FunctionApp.Tests.Common.Otlp.Rpc.Status;

namespace FunctionApp.Tests.Common.Otlp;

/// <summary>OTLP/HTTP with binary protobuf bodies (opentelemetry-proto <c>docs/specification.md</c>, "OTLP/HTTP").</summary>
internal static class OtlpHttpEndpoint
{
    private const string ProtobufContentType = "application/x-protobuf";

    /// <summary>The spec's recommended cap on a request body after decompression.</summary>
    private const int MaxBodyBytes = 64 * 1024 * 1024;

    public static async Task HandleAsync(OtlpReceiver receiver, HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "";
        OtlpReceivedSignal? signal = path.EndsWith("/v1/traces", StringComparison.Ordinal) ? OtlpReceivedSignal.Traces
            : path.EndsWith("/v1/metrics", StringComparison.Ordinal) ? OtlpReceivedSignal.Metrics
            : null;
        if (signal is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        if (!string.Equals(request.ContentType?.Split(';')[0].Trim(), ProtobufContentType, StringComparison.OrdinalIgnoreCase))
        {
            await WriteStatusAsync(context, StatusCodes.Status415UnsupportedMediaType, 3, $"only {ProtobufContentType} is accepted");
            return;
        }

        byte[] body;
        try
        {
            body = await ReadBodyAsync(request, context.RequestAborted);
        }
        catch (InvalidDataException e)
        {
            await WriteStatusAsync(context, StatusCodes.Status400BadRequest, 3, e.Message);
            return;
        }

        if (body.Length > MaxBodyBytes)
        {
            await WriteStatusAsync(context, StatusCodes.Status413PayloadTooLarge, 8, "request body too large");
            return;
        }

        ExportTraceServiceRequest? traces = null;
        ExportMetricsServiceRequest? metrics = null;
        try
        {
            if (signal == OtlpReceivedSignal.Traces)
            {
                traces = ExportTraceServiceRequest.Parser.ParseFrom(body);
            }
            else
            {
                metrics = ExportMetricsServiceRequest.Parser.ParseFrom(body);
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            await WriteStatusAsync(context, StatusCodes.Status400BadRequest, 3, e.Message);
            return;
        }

        var answer = await receiver.ReceiveAsync(signal.Value, context, traces, metrics);
        switch (answer.Kind)
        {
            case OtlpReceiverFaultKind.Unavailable:
                await WriteRefusalAsync(context, StatusCodes.Status503ServiceUnavailable, 14, answer.RetryAfter);
                break;
            case OtlpReceiverFaultKind.Throttled:
                await WriteRefusalAsync(context, StatusCodes.Status429TooManyRequests, 8, answer.RetryAfter);
                break;
            default:
                // A full success: an empty response message, i.e. a zero-length protobuf body.
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentType = ProtobufContentType;
                break;
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var encoding = request.Headers.ContentEncoding.ToString();
        var gzip = string.Equals(encoding, "gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && encoding.Length > 0 && !string.Equals(encoding, "identity", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"unsupported Content-Encoding \"{encoding}\"");
        }

        await using var source = gzip ? new GZipStream(request.Body, CompressionMode.Decompress) : request.Body;
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                break;
            }
        }

        return buffer.ToArray();
    }

    private static Task WriteRefusalAsync(HttpContext context, int statusCode, int grpcCode, TimeSpan? retryAfter)
    {
        if (retryAfter is { } delay)
        {
            context.Response.Headers.RetryAfter = ((long)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return WriteStatusAsync(context, statusCode, grpcCode, "refused by the test receiver's fault mode");
    }

    /// <summary>An error answer: the status code and a <c>google.rpc.Status</c> body, as the spec asks.</summary>
    private static async Task WriteStatusAsync(HttpContext context, int statusCode, int grpcCode, string message)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = ProtobufContentType;
        await context.Response.Body.WriteAsync(new RpcStatus { Code = grpcCode, Message = message }.ToByteArray(), context.RequestAborted);
    }
}
