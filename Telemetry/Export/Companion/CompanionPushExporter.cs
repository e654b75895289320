using System.Globalization;
using System.Net.Http.Headers;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Telemetry.Export.Companion;

/// <summary>
/// Pushes this gateway instance's metrics to the aggregating companion as OTLP/HTTP protobuf: cumulative values, but
/// only of the series that changed since the companion last acknowledged them, plus every series at least every
/// <see cref="FullRefreshInterval"/>. So a push is small and idempotent (the companion keeps the newest point per
/// instance and series), a failed push is repaired by the next one (a series stays pending until acknowledged), and
/// the full refresh doubles as the heartbeat that keeps an idle instance from being retired.
/// </summary>
public sealed class CompanionPushExporter : BaseExporter<Metric>
{
    /// <summary>The default period of the full refresh (the companion retires instances silent for 30 minutes).</summary>
    public static readonly TimeSpan DefaultFullRefreshInterval = TimeSpan.FromMinutes(5);

    private static readonly MediaTypeHeaderValue Protobuf = new("application/x-protobuf");

    private readonly Uri _endpoint;
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly HttpMessageInvoker _http;
    private readonly ProtobufWriter _writer = new();
    private readonly Dictionary<string, PushedSeries> _series = new(StringComparer.Ordinal);
    private readonly List<PushedSeries> _inPush = [];
    private char[] _key = new char[256];
    private long _lastFullPush = long.MinValue;
    private IEnumerable<KeyValuePair<string, object>>? _resource;

    public CompanionPushExporter(Uri endpoint, IReadOnlyDictionary<string, string> headers, TimeSpan timeout, TimeProvider? time = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(headers);
        _endpoint = endpoint;
        _headers = [.. headers];
        _timeout = timeout;
        _time = time ?? TimeProvider.System;
        _http = new HttpMessageInvoker(handler ?? new SocketsHttpHandler
        {
            ConnectTimeout = timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ActivityHeadersPropagator = null,
            UseCookies = false,
        });
    }

    /// <summary>How often every series is pushed, changed or not.</summary>
    public TimeSpan FullRefreshInterval { get; init; } = DefaultFullRefreshInterval;

    /// <summary>Requests sent to the companion (acknowledged or not).</summary>
    public long Pushes { get; private set; }

    /// <summary>Data points in the last request sent.</summary>
    public int LastPushPoints { get; private set; }

    public override ExportResult Export(in Batch<Metric> batch)
    {
        using var suppress = SuppressInstrumentationScope.Begin();
        var now = _time.GetTimestamp();
        var full = _lastFullPush == long.MinValue || _time.GetElapsedTime(_lastFullPush, now) >= FullRefreshInterval;
        _writer.Reset();
        _inPush.Clear();
        var resourceMetrics = -1;
        var scope = -1;
        Metric? scopeOf = null;
        foreach (var metric in batch)
        {
            if (!OtlpMetricsEncoder.IsSupported(metric))
            {
                continue;
            }

            (int Metric, int Data)? open = null;
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var series = Track(metric, point);
                var value = PointValue.Of(metric, point);
                if (!full && series.Acknowledged == value)
                {
                    continue;
                }

                series.Pending = value;
                _inPush.Add(series);
                if (resourceMetrics < 0)
                {
                    resourceMetrics = OtlpMetricsEncoder.BeginResourceMetrics(_writer, _resource ??= ParentProvider?.GetResource().Attributes ?? []);
                }

                if (scopeOf is null || scopeOf.MeterName != metric.MeterName || scopeOf.MeterVersion != metric.MeterVersion)
                {
                    if (scope >= 0)
                    {
                        _writer.EndMessage(scope);
                    }

                    scope = OtlpMetricsEncoder.BeginScope(_writer, metric);
                    scopeOf = metric;
                }

                open ??= OtlpMetricsEncoder.BeginMetric(_writer, metric);
                OtlpMetricsEncoder.WritePoint(_writer, metric, point);
            }

            if (open is { } positions)
            {
                OtlpMetricsEncoder.EndMetric(_writer, metric, positions);
            }
        }

        if (resourceMetrics < 0)
        {
            // Nothing changed (or nothing recorded yet): no request at all.
            return ExportResult.Success;
        }

        _writer.EndMessage(scope);
        _writer.EndMessage(resourceMetrics);
        if (!Send())
        {
            return ExportResult.Failure;
        }

        foreach (var series in _inPush)
        {
            series.Acknowledged = series.Pending;
        }

        if (full)
        {
            _lastFullPush = now;
        }

        return ExportResult.Success;
    }

    private bool Send()
    {
        Pushes++;
        LastPushPoints = _inPush.Count;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ReadOnlyMemoryContent(_writer.Written) };
            request.Content.Headers.ContentType = Protobuf;
            foreach (var (name, value) in _headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using var timeout = new CancellationTokenSource(_timeout);
            using var response = _http.Send(request, timeout.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return false;
        }
    }

    /// <summary>The series record of a point, found by its meter, name and attributes without allocating when known.</summary>
    private PushedSeries Track(Metric metric, in MetricPoint point)
    {
        var length = 0;
        Append(ref length, metric.MeterName);
        Append(ref length, "\u001f");
        Append(ref length, metric.Name);
        foreach (var tag in point.Tags)
        {
            Append(ref length, "\u001e");
            Append(ref length, tag.Key);
            Append(ref length, "\u001d");
            AppendValue(ref length, tag.Value);
        }

        var key = _key.AsSpan(0, length);
        var lookup = _series.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.TryGetValue(key, out var series))
        {
            series = new PushedSeries();
            _series.Add(key.ToString(), series);
        }

        return series;
    }

    private void Append(ref int length, ReadOnlySpan<char> text)
    {
        if (length + text.Length > _key.Length)
        {
            Array.Resize(ref _key, Math.Max(_key.Length * 2, length + text.Length));
        }

        text.CopyTo(_key.AsSpan(length));
        length += text.Length;
    }

    private void AppendValue(ref int length, object? value)
    {
        switch (value)
        {
            case null:
                return;
            case string text:
                Append(ref length, text);
                return;
            case ISpanFormattable formattable:
                int written;
                while (!formattable.TryFormat(_key.AsSpan(length), out written, default, CultureInfo.InvariantCulture))
                {
                    Array.Resize(ref _key, _key.Length * 2);
                }

                length += written;
                return;
            default:
                Append(ref length, Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _http.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>What the companion last acknowledged of one series, and what the push in flight carries.</summary>
    private sealed class PushedSeries
    {
        public PointValue? Acknowledged { get; set; }

        public PointValue? Pending { get; set; }
    }

    /// <summary>What identifies a point's state: its value (sum, last value or histogram sum), histogram count and run start.</summary>
    private readonly record struct PointValue(double Value, long Count, long StartTicks)
    {
        public static PointValue Of(Metric metric, in MetricPoint point) => metric.MetricType switch
        {
            MetricType.LongSum or MetricType.LongSumNonMonotonic => new(point.GetSumLong(), 0, point.StartTime.UtcTicks),
            MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => new(point.GetSumDouble(), 0, point.StartTime.UtcTicks),
            MetricType.LongGauge => new(point.GetGaugeLastValueLong(), 0, point.StartTime.UtcTicks),
            MetricType.DoubleGauge => new(point.GetGaugeLastValueDouble(), 0, point.StartTime.UtcTicks),
            _ => new(point.GetHistogramSum(), point.GetHistogramCount(), point.StartTime.UtcTicks),
        };
    }
}
