using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Telemetry.Layers.BackendRequest;

/// <summary>
/// The connection phases of one round trip (<c>detailed_connection</c>, §4.5, §5.5), measured from what .NET's
/// <see cref="SocketsHttpHandler"/> publishes, since it has no per-request hook like Go's <c>httptrace</c>:
/// <list type="bullet">
/// <item><see cref="GetConnSeconds"/>: <c>http.client.request.time_in_queue</c> (meter <c>System.Net.Http</c>), the time
/// the request waited for a connection: the setup of a new one (DNS, TCP, TLS) or a busy one freeing up. 0 when a
/// pooled idle connection was taken at once (the handler records nothing then).</item>
/// <item><see cref="DnsSeconds"/>: <c>dns.lookup.duration</c> (meter <c>System.Net.NameResolution</c>) of the
/// connection opened on behalf of this request. 0 when it opened none, or the host is an IP literal.</item>
/// <item><see cref="TlsSeconds"/>: the <c>Experimental.System.Net.Security.TlsHandshake</c> activity of that
/// connection. 0 with plain HTTP or when it opened no connection.</item>
/// </list>
/// The handler records these in the flow that asked for the connection, which carries the request's
/// <see cref="ExecutionContext"/>; an <see cref="AsyncLocal{T}"/> set around the send ties them to the request. A
/// connection opened for one request and handed to another (when a busy connection freed up first) is reported by
/// the request that opened it, or by nobody if that request is already done. No handler setting is needed.
/// </summary>
internal sealed class ConnectionTimings
{
    private const string HttpMeter = "System.Net.Http";
    private const string TimeInQueue = "http.client.request.time_in_queue";
    private const string NameResolutionMeter = "System.Net.NameResolution";
    private const string DnsLookupDuration = "dns.lookup.duration";
    private const string SecuritySource = "Experimental.System.Net.Security";
    private const string TlsHandshake = "Experimental.System.Net.Security.TlsHandshake";

    private static readonly AsyncLocal<ConnectionTimings?> CurrentTimings = new();
    private static readonly object GetConnState = new();
    private static readonly object DnsState = new();
    private static int _listening;

    private double _getConnSeconds;
    private double _dnsSeconds;
    private double _tlsSeconds;

    public double GetConnSeconds => Volatile.Read(ref _getConnSeconds);

    public double DnsSeconds => Volatile.Read(ref _dnsSeconds);

    public double TlsSeconds => Volatile.Read(ref _tlsSeconds);

    /// <summary>Starts the process-wide listeners once. They act only inside a round trip that called <see cref="Begin"/>.</summary>
    public static void EnsureListening()
    {
        if (Interlocked.Exchange(ref _listening, 1) != 0)
        {
            return;
        }

        // Both listeners live as long as the process: they are shared by every gateway in it.
#pragma warning disable CA2000
        var meters = new MeterListener
        {
            InstrumentPublished = static (instrument, listener) =>
            {
                if (instrument.Name == TimeInQueue && instrument.Meter.Name == HttpMeter)
                {
                    listener.EnableMeasurementEvents(instrument, GetConnState);
                }
                else if (instrument.Name == DnsLookupDuration && instrument.Meter.Name == NameResolutionMeter)
                {
                    listener.EnableMeasurementEvents(instrument, DnsState);
                }
            },
        };
#pragma warning restore CA2000
        meters.SetMeasurementEventCallback<double>(static (_, seconds, _, state) =>
        {
            if (CurrentTimings.Value is { } timings)
            {
                if (ReferenceEquals(state, GetConnState))
                {
                    Add(ref timings._getConnSeconds, seconds);
                }
                else
                {
                    Add(ref timings._dnsSeconds, seconds);
                }
            }
        });
        meters.Start();

        ActivitySource.AddActivityListener(new ActivityListener
        {
            ShouldListenTo = static source => source.Name == SecuritySource,

            // The handshake activity is only created (never recorded) inside one of our round trips.
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => CurrentTimings.Value is null ? ActivitySamplingResult.None : ActivitySamplingResult.PropagationData,
            ActivityStopped = static activity =>
            {
                if (activity.OperationName == TlsHandshake && CurrentTimings.Value is { } timings)
                {
                    Add(ref timings._tlsSeconds, activity.Duration.TotalSeconds);
                }
            },
        });
    }

    /// <summary>A new measurement for the calling flow; call it inside the async method that sends the request.</summary>
    public static ConnectionTimings Begin()
    {
        var timings = new ConnectionTimings();
        CurrentTimings.Value = timings;
        return timings;
    }

    private static void Add(ref double location, double value)
    {
        var current = Volatile.Read(ref location);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref location, current + value, current);
            if (seen.Equals(current))
            {
                return;
            }

            current = seen;
        }
    }
}
