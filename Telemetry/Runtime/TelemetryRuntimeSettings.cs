using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Telemetry.Configuration;
using Telemetry.Instrumentation;

namespace Telemetry.Runtime;

/// <summary>How the gateway exports: per invocation (flush before each response completes) or in the background.</summary>
public enum FlushMode
{
    /// <summary>Batch processors and periodic readers export on their own schedule (standalone default).</summary>
    Background,

    /// <summary>Every request's spans and metrics are exported before its response completes (Functions default).</summary>
    Invocation,
}

/// <summary>What the gateway tells the telemetry runtime besides the parsed namespace.</summary>
public sealed record TelemetryRuntimeSettings
{
    /// <summary>The app setting choosing <see cref="FlushMode"/>: <c>invocation</c> or <c>background</c>.</summary>
    public const string FlushModeVariable = "GATEWAY_TELEMETRY_FLUSH";

    /// <summary>The app setting bounding what a request waits for its flush, as a Go duration (<c>500ms</c>, <c>2s</c>).</summary>
    public const string FlushBudgetVariable = "GATEWAY_TELEMETRY_FLUSH_BUDGET";

    /// <summary>
    /// The app setting spacing flush rounds, as a duration (<c>2ms</c>, <c>0</c>): under load, a round starts no sooner
    /// than this after the previous one started, so more requests share it.
    /// </summary>
    public const string FlushMinimumIntervalVariable = "GATEWAY_TELEMETRY_FLUSH_MIN_INTERVAL";

    /// <summary>The app settings naming the aggregating companion, used when a prometheus exporter has no <c>companion_url</c>.</summary>
    public const string CompanionUrlVariable = "METRICS_COMPANION_URL";

    /// <summary>The companion's function key, used when a prometheus exporter has no <c>companion_key</c>.</summary>
    public const string CompanionKeyVariable = "METRICS_COMPANION_KEY";

    /// <summary>What a request waits for its flush at most, unless <see cref="FlushBudgetVariable"/> says otherwise.</summary>
    public static readonly TimeSpan DefaultFlushBudget = TimeSpan.FromSeconds(1);

    /// <summary>The least time between the starts of two flush rounds, unless <see cref="FlushMinimumIntervalVariable"/> says otherwise.</summary>
    public static readonly TimeSpan DefaultFlushMinimumInterval = TimeSpan.Zero;

    /// <summary>True when running as an Azure Functions custom handler.</summary>
    public bool FunctionsMode { get; init; }

    /// <summary>The config's root <c>name</c>: a fallback for <c>service.name</c>.</summary>
    public string? ConfigName { get; init; }

    /// <summary>The gateway's version: the fallback for <c>service.version</c>.</summary>
    public string GatewayVersion { get; init; } = "";

    /// <summary>The <c>OTEL_*</c> environment.</summary>
    public TelemetryEnvironment Environment { get; init; } = TelemetryEnvironment.Empty;

    /// <summary>Reads app settings other than <c>OTEL_*</c> (flush mode, budget, companion); null = the process environment.</summary>
    public Func<string, string?>? GetSetting { get; init; }

    /// <summary>The instrumentation scope name. Tests give each gateway its own.</summary>
    public string SourcesName { get; init; } = TelemetrySources.DefaultName;

    /// <summary>Overrides the flush mode (otherwise the app setting, else invocation in Functions mode, background standalone).</summary>
    public FlushMode? FlushMode { get; init; }

    /// <summary>Overrides the flush budget.</summary>
    public TimeSpan? FlushBudget { get; init; }

    /// <summary>Overrides the least time between the starts of two flush rounds.</summary>
    public TimeSpan? FlushMinimumInterval { get; init; }

    /// <summary>Extra trace exporters (tests: in-memory). Their presence counts as "traces are exported".</summary>
    public Action<TracerProviderBuilder>? ConfigureTracing { get; init; }

    /// <summary>Extra metric readers (tests: in-memory). Their presence counts as "metrics are exported".</summary>
    public Action<MeterProviderBuilder>? ConfigureMetrics { get; init; }

    public ILoggerFactory? LoggerFactory { get; init; }
}
