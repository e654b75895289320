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

    /// <summary>The storage connection string app setting (the Functions host's own account).</summary>
    public const string StorageSetting = "AzureWebJobsStorage";

    /// <summary>The app setting naming this companion's shard (else <c>WEBSITE_INSTANCE_ID</c>, else a generated id kept in a local file).</summary>
    public const string InstanceIdSetting = "COMPANION_INSTANCE_ID";

    /// <summary>The App Service instance id, stable for one worker of the function app.</summary>
    public const string WebsiteInstanceIdSetting = "WEBSITE_INSTANCE_ID";

    public AggregatorOptions Aggregator { get; init; } = new();

    /// <summary>
    /// The storage account (a connection string) that keeps the state durable: this instance's shard in
    /// <c>companion-state/shards/&lt;instance-id&gt;.bin</c>, every shard merged on <c>/metrics</c>. Null: the
    /// <c>AzureWebJobsStorage</c> settings when <see cref="ReadEnvironment"/> (a connection string, or the identity-based
    /// <c>__accountName</c> / <c>__blobServiceUri</c> form), else in memory only.
    /// </summary>
    public string? StorageConnectionString { get; init; }

    /// <summary>This companion's shard id (null: from <c>COMPANION_INSTANCE_ID</c>, <c>WEBSITE_INSTANCE_ID</c>, or the id file).</summary>
    public string? InstanceId { get; init; }

    /// <summary>Where a standalone companion keeps its generated shard id, so a restart continues its own shard.</summary>
    public string InstanceIdFile { get; init; } = ".companion-instance-id";

    /// <summary>The container of the durable state.</summary>
    public string StorageContainer { get; init; } = "companion-state";

    /// <summary>How often the shard is written when it changed (and always on shutdown).</summary>
    public TimeSpan PersistInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long <c>/metrics</c> reuses its read of the other shards.</summary>
    public TimeSpan MergeCacheDuration { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Whether <see cref="CompanionHost.Build"/> fills the storage settings left null from the environment.</summary>
    public bool ReadEnvironment { get; init; } = true;
}
