using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace FunctionApp.Tests.Common.Otlp;

public enum OtlpReceiverProtocol
{
    /// <summary>OTLP/gRPC over cleartext HTTP/2 (prior knowledge), as the SDK's exporter speaks it to <c>http://</c>.</summary>
    Grpc,

    /// <summary>OTLP/HTTP: <c>POST …/v1/traces</c> and <c>…/v1/metrics</c>, <c>application/x-protobuf</c>, gzip accepted.</summary>
    HttpProtobuf,
}

/// <summary>
/// A real OTLP receiver (a stand-in collector) on a free loopback port: Kestrel with Grpc.AspNetCore's
/// <c>TraceService</c>/<c>MetricsService</c>, or the OTLP/HTTP routes. It keeps every export request with its headers,
/// flattens what it accepted into <see cref="Spans"/> and <see cref="MetricPoints"/>, and can misbehave on purpose
/// (<see cref="SetFault"/>, <see cref="StopAsync"/>).
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    /// <summary>Long enough for a loaded CI machine; the waits return as soon as their condition holds.</summary>
    public static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly List<OtlpReceivedExport> _exports = [];
    private readonly List<ReceivedSpan> _spans = [];
    private readonly List<ReceivedMetricPoint> _metricPoints = [];
    private readonly CancellationTokenSource _disposing = new();
    private readonly string _basePath;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private OtlpReceiverFault _fault = OtlpReceiverFault.Healthy;
    private int? _faultsLeft;
    private WebApplication? _app;
    private bool _disposed;

    private OtlpReceiver(OtlpReceiverProtocol protocol, string basePath)
    {
        Protocol = protocol;
        _basePath = basePath;
    }

    public OtlpReceiverProtocol Protocol { get; }

    public int Port { get; private set; }

    /// <summary>The base URI an OTLP exporter is given (<c>http://127.0.0.1:port</c> plus any base path), no signal path.</summary>
    public Uri Endpoint => new($"http://127.0.0.1:{Port}{_basePath}");

    /// <summary>Whether the port is closed (<see cref="StopAsync"/>): connections are refused.</summary>
    public bool IsStopped => _app is null;

    /// <summary>Export requests received so far, answered in whatever way.</summary>
    public int ExportCount
    {
        get
        {
            lock (_gate)
            {
                return _exports.Count;
            }
        }
    }

    /// <summary>Every export request so far, in arrival order.</summary>
    public IReadOnlyList<OtlpReceivedExport> Exports => Snapshot(_exports);

    /// <summary>The spans of every accepted trace export.</summary>
    public IReadOnlyList<ReceivedSpan> Spans => Snapshot(_spans);

    /// <summary>The data points of every accepted metric export.</summary>
    public IReadOnlyList<ReceivedMetricPoint> MetricPoints => Snapshot(_metricPoints);

    /// <summary>
    /// Starts a receiver on <c>127.0.0.1:0</c>. With OTLP/HTTP, <paramref name="basePath"/> (e.g. <c>/otlp</c>) is part
    /// of <see cref="Endpoint"/>; the receiver answers <c>POST</c> to any path ending in <c>/v1/traces</c> or
    /// <c>/v1/metrics</c> and records the path, so a test can check which one the exporter chose.
    /// </summary>
    public static async Task<OtlpReceiver> StartAsync(OtlpReceiverProtocol protocol, string basePath = "")
    {
        if (basePath.Length > 0 && (basePath[0] != '/' || basePath[^1] == '/'))
        {
            throw new ArgumentException("A base path starts with '/' and does not end with one.", nameof(basePath));
        }

        if (basePath.Length > 0 && protocol == OtlpReceiverProtocol.Grpc)
        {
            throw new ArgumentException("gRPC routes by service method; a base path is for OTLP/HTTP only.", nameof(basePath));
        }

        var receiver = new OtlpReceiver(protocol, basePath);
        await receiver.ListenAsync(port: 0);
        return receiver;
    }

    /// <summary>
    /// Answers every following export with <paramref name="fault"/>; with <paramref name="times"/>, only that many,
    /// then healthy again.
    /// </summary>
    public void SetFault(OtlpReceiverFault fault, int? times = null)
    {
        ArgumentNullException.ThrowIfNull(fault);
        if (times is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(times), "Give a positive count, or none for 'until changed'.");
        }

        lock (_gate)
        {
            _fault = fault;
            _faultsLeft = times;
        }
    }

    /// <summary>The "collector down" fault: closes the port (connections are refused) until <see cref="RestartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await StopAppAsync(app);
        }
    }

    /// <summary>Listens again on the same port, after <see cref="StopAsync"/>.</summary>
    public async Task RestartAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_app is null)
        {
            await ListenAsync(Port);
        }
    }

    /// <summary>Returns once <paramref name="condition"/> holds for this receiver; a <see cref="TimeoutException"/> otherwise.</summary>
    public async Task WaitForAsync(Func<OtlpReceiver, bool> condition, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        using var timer = new CancellationTokenSource(timeout ?? DefaultWaitTimeout);
        while (true)
        {
            // Take the change signal before checking, so a change in between wakes the wait instead of being lost.
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            if (condition(this))
            {
                return;
            }

            try
            {
                await changed.WaitAsync(timer.Token);
            }
            catch (OperationCanceledException) when (timer.IsCancellationRequested)
            {
                throw new TimeoutException($"The OTLP receiver did not reach the expected state within {timeout ?? DefaultWaitTimeout}. {Describe()}");
            }
        }
    }

    /// <summary>The first accepted span matching <paramref name="match"/>, waiting for it if need be.</summary>
    public async Task<ReceivedSpan> WaitForSpanAsync(Func<ReceivedSpan, bool> match, TimeSpan? timeout = null)
    {
        ReceivedSpan? found = null;
        await WaitForAsync(r => (found = r.Spans.FirstOrDefault(match)) is not null, timeout);
        return found!;
    }

    /// <summary>The first accepted metric point matching <paramref name="match"/>, waiting for it if need be.</summary>
    public async Task<ReceivedMetricPoint> WaitForMetricPointAsync(Func<ReceivedMetricPoint, bool> match, TimeSpan? timeout = null)
    {
        ReceivedMetricPoint? found = null;
        await WaitForAsync(r => (found = r.MetricPoints.FirstOrDefault(match)) is not null, timeout);
        return found!;
    }

    /// <summary>The first export request (answered in whatever way) matching <paramref name="match"/>.</summary>
    public async Task<OtlpReceivedExport> WaitForExportAsync(Func<OtlpReceivedExport, bool> match, TimeSpan? timeout = null)
    {
        OtlpReceivedExport? found = null;
        await WaitForAsync(r => (found = r.Exports.FirstOrDefault(match)) is not null, timeout);
        return found!;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        // _disposing is cancelled but not disposed: a request still unwinding may read its token.
        _disposed = true;
        await _disposing.CancelAsync();
        await StopAsync();
    }

    /// <summary>
    /// Records one export and decides its answer. A delayed export is recorded on arrival and its data accepted only
    /// after the delay; stopping the receiver cuts the delay short and drops the data.
    /// </summary>
    internal async Task<OtlpReceiverFault> ReceiveAsync(
        OtlpReceivedSignal signal,
        HttpContext context,
        ExportTraceServiceRequest? traces,
        ExportMetricsServiceRequest? metrics)
    {
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        OtlpReceiverFault answer;
        lock (_gate)
        {
            answer = _fault;
            if (_faultsLeft is { } left)
            {
                _faultsLeft = left == 1 ? null : left - 1;
                _fault = left == 1 ? OtlpReceiverFault.Healthy : _fault;
            }

            _exports.Add(new OtlpReceivedExport(signal, context.Request.Path.Value ?? "", headers, traces, metrics, answer));
            if (answer.Kind == OtlpReceiverFaultKind.Healthy)
            {
                Accept(traces, metrics);
            }

            SignalChange();
        }

        if (answer.Kind == OtlpReceiverFaultKind.Delay)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _disposing.Token);
            await Task.Delay(answer.Duration, linked.Token);
            lock (_gate)
            {
                Accept(traces, metrics);
                SignalChange();
            }
        }

        return answer;
    }

    private void Accept(ExportTraceServiceRequest? traces, ExportMetricsServiceRequest? metrics)
    {
        Debug.Assert(_gate.IsHeldByCurrentThread, "called under the gate");
        if (traces is not null)
        {
            _spans.AddRange(ReceivedSpan.Flatten(traces));
        }

        if (metrics is not null)
        {
            _metricPoints.AddRange(ReceivedMetricPoint.Flatten(metrics));
        }
    }

    private void SignalChange()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private List<T> Snapshot<T>(List<T> list)
    {
        lock (_gate)
        {
            return [.. list];
        }
    }

    private string Describe()
    {
        lock (_gate)
        {
            var text = new StringBuilder()
                .Append("Received ").Append(_exports.Count).Append(" export(s)");
            if (_exports.Count > 0)
            {
                text.Append(" (").AppendJoin(", ", _exports.Select(e => $"{e.Signal} {e.Path} → {e.Answer.Kind}")).Append(')');
            }

            text.Append("; spans: [").AppendJoin(", ", _spans.Select(s => s.Name)).Append(']')
                .Append("; metric points: [").AppendJoin(", ", _metricPoints.Select(p => p.Name)).Append(']');
            return text.ToString();
        }
    }

    private async Task ListenAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, port, listen =>
                listen.Protocols = Protocol == OtlpReceiverProtocol.Grpc ? HttpProtocols.Http2 : HttpProtocols.Http1AndHttp2);
        });
        builder.Services.AddSingleton(this);
        if (Protocol == OtlpReceiverProtocol.Grpc)
        {
            builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = null);
        }

        var app = builder.Build();
        if (Protocol == OtlpReceiverProtocol.Grpc)
        {
            app.MapGrpcService<OtlpGrpcTraceService>();
            app.MapGrpcService<OtlpGrpcMetricsService>();
        }
        else
        {
            app.Run(context => OtlpHttpEndpoint.HandleAsync(this, context));
        }

        await app.StartAsync();
        Port = new Uri(app.Urls.First()).Port;
        _app = app;
    }

    private static async Task StopAppAsync(WebApplication app)
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            await app.StopAsync(stop.Token);
        }

        await app.DisposeAsync();
    }
}
