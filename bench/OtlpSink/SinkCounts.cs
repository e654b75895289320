using System.Globalization;

namespace Bench.OtlpSink;

/// <summary>The OTLP/HTTP signal an export request carries.</summary>
internal enum Signal
{
    Traces,
    Metrics,
    Logs,
}

/// <summary>What arrived so far; updated from many requests at once.</summary>
internal sealed class SinkCounts
{
    private long _traceRequests;
    private long _traceBytes;
    private long _spans;
    private long _metricRequests;
    private long _metricBytes;
    private long _metrics;
    private long _dataPoints;
    private long _logRequests;
    private long _logBytes;
    private long _malformed;
    private long _rejected;

    /// <summary>Counts one export request: <paramref name="wireBytes"/> as received, <paramref name="payload"/> decoded.</summary>
    public void Add(Signal signal, long wireBytes, ReadOnlySpan<byte> payload)
    {
        switch (signal)
        {
            case Signal.Traces:
                Interlocked.Increment(ref _traceRequests);
                Interlocked.Add(ref _traceBytes, wireBytes);
                if (OtlpProtobuf.TryCountSpans(payload, out var spans))
                {
                    Interlocked.Add(ref _spans, spans);
                }
                else
                {
                    Interlocked.Increment(ref _malformed);
                }

                break;
            case Signal.Metrics:
                Interlocked.Increment(ref _metricRequests);
                Interlocked.Add(ref _metricBytes, wireBytes);
                if (OtlpProtobuf.TryCountMetrics(payload, out var metrics, out var points))
                {
                    Interlocked.Add(ref _metrics, metrics);
                    Interlocked.Add(ref _dataPoints, points);
                }
                else
                {
                    Interlocked.Increment(ref _malformed);
                }

                break;
            default:
                Interlocked.Increment(ref _logRequests);
                Interlocked.Add(ref _logBytes, wireBytes);
                break;
        }
    }

    /// <summary>A request that was not application/x-protobuf (answered 415).</summary>
    public void Rejected() => Interlocked.Increment(ref _rejected);

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"trace_requests={Volatile.Read(ref _traceRequests)} trace_bytes={Volatile.Read(ref _traceBytes)} spans={Volatile.Read(ref _spans)} "
        + $"metric_requests={Volatile.Read(ref _metricRequests)} metric_bytes={Volatile.Read(ref _metricBytes)} metrics={Volatile.Read(ref _metrics)} data_points={Volatile.Read(ref _dataPoints)} "
        + $"log_requests={Volatile.Read(ref _logRequests)} log_bytes={Volatile.Read(ref _logBytes)} malformed={Volatile.Read(ref _malformed)} rejected={Volatile.Read(ref _rejected)}");
}
