using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Telemetry.Instrumentation;

namespace Telemetry.Layers.BackendRequest;

/// <summary>
/// The round-trip instruments of §4.5 in one naming mode. Created once per <see cref="TelemetrySources"/> and mode and
/// shared by every backend; each backend decides from its own flags which of them it records.
/// </summary>
internal sealed class RoundTripInstruments
{
    private static readonly ConditionalWeakTable<TelemetrySources, RoundTripInstruments> Legacy = [];
    private static readonly ConditionalWeakTable<TelemetrySources, RoundTripInstruments> SemanticConvention127 = [];
    private static readonly Lock Gate = new();

    private RoundTripInstruments(TelemetrySources sources, bool semanticConvention127)
    {
        var meter = sources.Meter;
        IsSemanticConvention127 = semanticConvention127;

        // The four counters carry the same names in both modes; in 1.27 mode only detailed_connection records them.
        Started = meter.CreateCounter<long>("http.client.request.started.count");
        Failed = meter.CreateCounter<long>("http.client.request.failed.count");
        Canceled = meter.CreateCounter<long>("http.client.request.canceled.count");
        TimedOut = meter.CreateCounter<long>("http.client.request.timedout.count");
        if (semanticConvention127)
        {
            RequestBodySize = sources.CreateSizeHistogram("http.client.request.body.size", "By", "Size of HTTP client request bodies.");
            Duration = sources.CreateTimeHistogram("http.client.request.duration", "s", "Duration of HTTP client requests.");
            ResponseSize = sources.CreateSizeHistogram("http.client.response.body.size", "By", "Size of HTTP client response bodies.");
            NoContentLength = meter.CreateCounter<long>("http.client.response.no-content-length", "By", "Client received responses that do not have 'Content-Length' value set");
            GetConnDuration = sources.CreateTimeHistogram("http.client.request.get-conn.duration", "s", "Time spent acquiring a client connection");
            DnsDuration = sources.CreateTimeHistogram("http.client.request.dns.duration", "s", "Time spent resolving the DNS name");
            TlsDuration = sources.CreateTimeHistogram("http.client.request.tls.duration", "s", "Time spent on TLS negotiation and connection");
        }
        else
        {
            RequestSize = meter.CreateCounter<long>("http.client.request.size");
            Duration = sources.CreateTimeHistogram("http.client.duration");
            ResponseSize = sources.CreateSizeHistogram("http.client.response.size");
            NoContentLength = meter.CreateCounter<long>("http.client.response.no-content-length");
            GetConnDuration = sources.CreateTimeHistogram("http.client.request.get-conn.duration");
            DnsDuration = sources.CreateTimeHistogram("http.client.request.dns.duration");
            TlsDuration = sources.CreateTimeHistogram("http.client.request.tls.duration");
        }
    }

    public bool IsSemanticConvention127 { get; }

    public Counter<long> Started { get; }

    public Counter<long> Failed { get; }

    public Counter<long> Canceled { get; }

    public Counter<long> TimedOut { get; }

    /// <summary>Legacy <c>http.client.request.size</c> (a counter of Content-Length); null in 1.27 mode.</summary>
    public Counter<long>? RequestSize { get; }

    /// <summary>1.27 <c>http.client.request.body.size</c>; null in legacy mode.</summary>
    public Histogram<long>? RequestBodySize { get; }

    public Histogram<double> Duration { get; }

    public Histogram<long> ResponseSize { get; }

    public Counter<long> NoContentLength { get; }

    public Histogram<double> GetConnDuration { get; }

    public Histogram<double> DnsDuration { get; }

    public Histogram<double> TlsDuration { get; }

    public static RoundTripInstruments For(TelemetrySources sources, bool semanticConvention127)
    {
        var table = semanticConvention127 ? SemanticConvention127 : Legacy;
        lock (Gate)
        {
            if (!table.TryGetValue(sources, out var instruments))
            {
                instruments = new RoundTripInstruments(sources, semanticConvention127);
                table.Add(sources, instruments);
            }

            return instruments;
        }
    }

    /// <summary>True when a listener takes any instrument a backend with these flags would record.</summary>
    public bool AnyEnabled(bool detailed)
    {
        if (Duration.Enabled || ResponseSize.Enabled || (RequestSize?.Enabled ?? false) || (RequestBodySize?.Enabled ?? false))
        {
            return true;
        }

        var counters = !IsSemanticConvention127 || detailed;
        return (counters && (Started.Enabled || Failed.Enabled || Canceled.Enabled || TimedOut.Enabled || NoContentLength.Enabled))
            || (detailed && (GetConnDuration.Enabled || DnsDuration.Enabled || TlsDuration.Enabled));
    }
}

/// <summary>The body-read instruments of §4.6 (<c>http.client.response.read.*</c>), once per <see cref="TelemetrySources"/>.</summary>
internal sealed class ReadInstruments
{
    public const string Prefix = "http.client.response.read.";

    private static readonly ConditionalWeakTable<TelemetrySources, ReadInstruments> Table = [];
    private static readonly Lock Gate = new();

    private ReadInstruments(TelemetrySources sources)
    {
        // The lower-case "b" is KrakenD's unit (§4.6, Q10): kept so the exported names match its dashboards.
        Size = sources.Meter.CreateCounter<long>(Prefix + "size", "b");
        SizeHistogram = sources.CreateSizeHistogram(Prefix + "size-hist", "b");
        Time = sources.Meter.CreateCounter<double>(Prefix + "time", "s");
        TimeHistogram = sources.CreateTimeHistogram(Prefix + "time-hist", "s");
    }

    public Counter<long> Size { get; }

    public Histogram<long> SizeHistogram { get; }

    public Counter<double> Time { get; }

    public Histogram<double> TimeHistogram { get; }

    public bool AnyEnabled => Size.Enabled || SizeHistogram.Enabled || Time.Enabled || TimeHistogram.Enabled;

    public static ReadInstruments For(TelemetrySources sources)
    {
        lock (Gate)
        {
            if (!Table.TryGetValue(sources, out var instruments))
            {
                instruments = new ReadInstruments(sources);
                Table.Add(sources, instruments);
            }

            return instruments;
        }
    }
}
