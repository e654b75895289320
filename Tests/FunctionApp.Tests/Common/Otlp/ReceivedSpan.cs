using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace FunctionApp.Tests.Common.Otlp;

/// <summary>
/// One received span, flattened with its resource and scope. Ids are lower-case hex, as
/// <see cref="System.Diagnostics.ActivityTraceId.ToHexString"/> writes them; <see cref="ParentSpanId"/> is null for a
/// root span.
/// </summary>
public sealed record ReceivedSpan(
    string Name,
    Span.Types.SpanKind Kind,
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    IReadOnlyDictionary<string, object?> Attributes,
    IReadOnlyList<ReceivedSpanEvent> Events,
    Status.Types.StatusCode StatusCode,
    string StatusMessage,
    ulong StartTimeUnixNano,
    ulong EndTimeUnixNano,
    IReadOnlyDictionary<string, object?> ResourceAttributes,
    string ScopeName,
    string ScopeVersion)
{
    public static IEnumerable<ReceivedSpan> Flatten(ExportTraceServiceRequest request)
    {
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var resource = OtlpAttributes.ToDictionary(resourceSpans.Resource?.Attributes ?? []);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                foreach (var span in scopeSpans.Spans)
                {
                    yield return new ReceivedSpan(
                        span.Name,
                        span.Kind,
                        Hex(span.TraceId)!,
                        Hex(span.SpanId)!,
                        Hex(span.ParentSpanId),
                        OtlpAttributes.ToDictionary(span.Attributes),
                        [.. span.Events.Select(e => new ReceivedSpanEvent(e.Name, e.TimeUnixNano, OtlpAttributes.ToDictionary(e.Attributes)))],
                        span.Status?.Code ?? Status.Types.StatusCode.Unset,
                        span.Status?.Message ?? "",
                        span.StartTimeUnixNano,
                        span.EndTimeUnixNano,
                        resource,
                        scopeSpans.Scope?.Name ?? "",
                        scopeSpans.Scope?.Version ?? "");
                }
            }
        }
    }

    private static string? Hex(ByteString id) => id.IsEmpty ? null : Convert.ToHexStringLower(id.Span);
}

public sealed record ReceivedSpanEvent(string Name, ulong TimeUnixNano, IReadOnlyDictionary<string, object?> Attributes);
