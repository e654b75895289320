using System.Diagnostics;
using System.Diagnostics.Metrics;
using Telemetry.Configuration;

namespace Telemetry.Instrumentation;

/// <summary>
/// The one <see cref="ActivitySource"/> and one <see cref="Meter"/> every layer records with, both named
/// <see cref="DefaultName"/> as in KrakenD (reference §3), so the scope (<c>otel_scope_name</c>) matches its
/// dashboards. One instance per gateway: tests give each gateway its own name so parallel tests never see each
/// other's measurements.
/// </summary>
public sealed class TelemetrySources : IDisposable
{
    /// <summary>KrakenD's instrumentation scope name, with no version.</summary>
    public const string DefaultName = "io.krakend.krakend-otel";

    public TelemetrySources(HistogramOptions histograms, string name = DefaultName)
    {
        ArgumentNullException.ThrowIfNull(histograms);
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        ActivitySource = new ActivitySource(name);
        Meter = new Meter(name);
        TimeBuckets = [.. histograms.TimeBuckets];
        SizeBuckets = [.. histograms.SizeBuckets];
    }

    private readonly Dictionary<Type, object> _instruments = [];

    public string Name { get; }

    public ActivitySource ActivitySource { get; }

    public Meter Meter { get; }

    /// <summary>Bucket boundaries of every duration histogram, in seconds (§4.1, or <c>histograms.time_buckets</c>).</summary>
    public IReadOnlyList<double> TimeBuckets { get; }

    /// <summary>Bucket boundaries of every size histogram, in bytes (§4.1, or <c>histograms.size_buckets</c>).</summary>
    public IReadOnlyList<double> SizeBuckets { get; }

    /// <summary>A float seconds histogram with the time buckets as instrument advice (no view needed).</summary>
    public Histogram<double> CreateTimeHistogram(string name, string? unit = null, string? description = null) =>
        Meter.CreateHistogram(name, unit, description, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = TimeBuckets });

    /// <summary>An integer bytes histogram with the size buckets as instrument advice.</summary>
    public Histogram<long> CreateSizeHistogram(string name, string? unit = null, string? description = null) =>
        Meter.CreateHistogram(name, unit, description, tags: null, advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [.. SizeBuckets.Select(static b => (long)b)] });

    /// <summary>
    /// The instrument set of type <typeparamref name="T"/>, created once per sources: a meter must not hold two
    /// instruments of the same name, and every endpoint or backend of a layer records into the same ones.
    /// </summary>
    public T Instruments<T>(Func<TelemetrySources, T> create)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(create);
        lock (_instruments)
        {
            if (!_instruments.TryGetValue(typeof(T), out var existing))
            {
                existing = create(this);
                _instruments.Add(typeof(T), existing);
            }

            return (T)existing;
        }
    }

    public void Dispose()
    {
        ActivitySource.Dispose();
        Meter.Dispose();
    }
}

/// <summary>Attribute keys and values shared by the layers (reference §4, §5).</summary>
public static class TelemetryAttributes
{
    public const string Stage = "krakend.stage";
    public const string StageGlobal = "global";
    public const string StageProxy = "proxy";
    public const string StageBackend = "backend";
    public const string StageBackendRequest = "backend-request";

    public const string HttpRequestMethod = "http.request.method";
    public const string HttpRoute = "http.route";
    public const string HttpResponseStatusCode = "http.response.status_code";
    public const string HttpRequestBodySize = "http.request.body.size";
    public const string HttpResponseBodySize = "http.response.body.size";
    public const string UrlFull = "url.full";
    public const string UrlScheme = "url.scheme";
    public const string ServerAddress = "server.address";
    public const string ServerPort = "server.port";
    public const string ClientAddress = "client.address";
    public const string UserAgentOriginal = "user_agent.original";
    public const string EndpointRoute = "krakend.endpoint.route";
    public const string EndpointMethod = "krakend.endpoint.method";
    public const string ClientName = "clientname";
    public const string Error = "error";
    public const string Canceled = "canceled";
    public const string Complete = "complete";

    /// <summary>Prefix of reported request headers (§5.7): the header name follows, lower-cased.</summary>
    public const string RequestHeaderPrefix = "http.request.header.";

    /// <summary>Prefix of reported response headers (§5.7).</summary>
    public const string ResponseHeaderPrefix = "http.response.header.";

    // Azure Functions context (our addition), on every span and in the resource.
    public const string FaasInvocationId = "faas.invocation_id";
    public const string FaasTrigger = "faas.trigger";
    public const string FaasName = "faas.name";
    public const string FaasInstance = "faas.instance";
    public const string CloudProvider = "cloud.provider";
    public const string CloudPlatform = "cloud.platform";
    public const string ServiceInstanceId = "service.instance.id";
}
