using System.Diagnostics;
using System.Globalization;
using Telemetry.Instrumentation;

namespace Telemetry.Functions;

/// <summary>
/// Resource attributes describing where the gateway runs (our addition; KrakenD has none of these). In Functions mode:
/// <c>cloud.provider</c>, <c>cloud.platform</c>, <c>cloud.region</c>, <c>faas.name</c>, <c>faas.instance</c>,
/// <c>faas.max_memory</c>, from the app settings the Functions host sets. In both modes: a <c>service.instance.id</c>
/// unique to this process, so replicas of one service can be told apart.
/// </summary>
public static class FunctionsResource
{
    /// <summary>The function app's name.</summary>
    public const string SiteNameVariable = "WEBSITE_SITE_NAME";

    /// <summary>The id of the instance (VM) running this worker.</summary>
    public const string InstanceIdVariable = "WEBSITE_INSTANCE_ID";

    /// <summary>The container's name where there is no <see cref="InstanceIdVariable"/> (Linux Consumption).</summary>
    public const string ContainerNameVariable = "CONTAINER_NAME";

    /// <summary>The memory available to the app, in megabytes.</summary>
    public const string MemoryLimitVariable = "WEBSITE_MEMORY_LIMIT_MB";

    /// <summary>The Azure region's display name, e.g. <c>West Europe</c>.</summary>
    public const string RegionVariable = "REGION_NAME";

    public const string CloudRegionKey = "cloud.region";
    public const string FaasMaxMemoryKey = "faas.max_memory";
    public const string AzureProvider = "azure";
    public const string FunctionsPlatform = "azure_functions";

    /// <summary>Created once per process.</summary>
    public static string ServiceInstanceId { get; } = Guid.NewGuid().ToString();

    /// <summary>
    /// The attributes to add to the resource. <c>faas.name</c> falls back to <paramref name="serviceName"/>,
    /// <c>faas.instance</c> to the machine name; <c>cloud.region</c> and <c>faas.max_memory</c> are left out when their
    /// setting is missing or invalid.
    /// </summary>
    /// <param name="functionsMode">False (standalone): only <c>service.instance.id</c>.</param>
    /// <param name="serviceName">The resolved <c>service.name</c>.</param>
    /// <param name="getVariable">Reads an app setting (the process environment in production).</param>
    public static IReadOnlyList<KeyValuePair<string, object>> CreateAttributes(bool functionsMode, string serviceName, Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        var attributes = new List<KeyValuePair<string, object>>(8);
        if (functionsMode)
        {
            string? Get(string name) => getVariable(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

            attributes.Add(new(TelemetryAttributes.CloudProvider, AzureProvider));
            attributes.Add(new(TelemetryAttributes.CloudPlatform, FunctionsPlatform));
            if (Get(RegionVariable) is { } region)
            {
                attributes.Add(new(CloudRegionKey, ToRegionId(region)));
            }

            attributes.Add(new(TelemetryAttributes.FaasName, Get(SiteNameVariable) ?? serviceName));
            attributes.Add(new(TelemetryAttributes.FaasInstance, Get(InstanceIdVariable) ?? Get(ContainerNameVariable) ?? Environment.MachineName));
            if (long.TryParse(Get(MemoryLimitVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var megabytes) && megabytes is > 0 and <= long.MaxValue / (1024 * 1024))
            {
                attributes.Add(new(FaasMaxMemoryKey, megabytes * 1024 * 1024));
            }
        }

        attributes.Add(new(TelemetryAttributes.ServiceInstanceId, ServiceInstanceId));
        return attributes;
    }

    /// <summary>
    /// Azure's region id, which the semantic conventions ask for: the display name lower-cased without spaces
    /// (<c>West Europe</c> → <c>westeurope</c>). An id is left as it is.
    /// </summary>
    private static string ToRegionId(string region) => region.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant();
}

/// <summary>The Azure Functions attributes of every span of an invocation.</summary>
public static class FunctionsSpanAttributes
{
    /// <summary>The gateway is only ever invoked through HTTP triggers.</summary>
    public const string HttpTrigger = "http";

    /// <summary>Puts <c>faas.invocation_id</c> and <c>faas.trigger=http</c> on a recording span when the invocation is known.</summary>
    public static void Add(Activity? activity, FunctionsInvocation? invocation)
    {
        if (activity is { IsAllDataRequested: true } && invocation is not null)
        {
            activity.SetTag(TelemetryAttributes.FaasInvocationId, invocation.InvocationId);
            activity.SetTag(TelemetryAttributes.FaasTrigger, HttpTrigger);
        }
    }
}
