using Telemetry.Aggregation;

namespace FunctionApp.Companion;

/// <summary>How the aggregating companion serves: its two routes, its limits, and the aggregator's own options.</summary>
public sealed record CompanionOptions
{
    /// <summary>The companion's port when run standalone without <c>-p</c>.</summary>
    public const int DefaultPort = 9091;

    /// <summary>The app setting that makes the binary the companion under the Functions host.</summary>
    public const string RoleSetting = "GATEWAY_ROLE";

    /// <summary>The app setting that moves the OTLP ingest route (default <c>/v1/metrics</c>).</summary>
    public const string IngestPathSetting = "COMPANION_INGEST_PATH";

    /// <summary>Where OTLP/HTTP metric pushes arrive (the OTLP default signal path).</summary>
    public string IngestPath { get; init; } = "/v1/metrics";

    /// <summary>Where Prometheus scrapes.</summary>
    public string MetricsPath { get; init; } = "/metrics";

    /// <summary>The largest push accepted, compressed and after decompression (413 beyond).</summary>
    public int MaxBodyBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Pushes decoded at once; beyond that the companion answers 503 with <c>Retry-After</c>.</summary>
    public int MaxConcurrentPushes { get; init; } = 64;

    /// <summary>What a client is told to wait when the companion is busy.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(1);

    public AggregatorOptions Aggregator { get; init; } = new();
}
