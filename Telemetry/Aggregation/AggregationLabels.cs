using System.Text;
using Telemetry.Aggregation.Otlp;
using Telemetry.Prometheus;

namespace Telemetry.Aggregation;

/// <summary>
/// Labels as the aggregator keys and renders them. Point attributes become labels through
/// <see cref="PrometheusNaming.Labels"/> (§3.4: sanitised keys, colliding keys joined with <c>;</c>), plus
/// <c>otel_scope_name</c>/<c>otel_scope_version</c> like KrakenD's Go exporter. Resource attributes never become series
/// labels; only the stable ones (<see cref="IsStableResourceAttribute"/>) reach <c>target_info</c>, so
/// <c>service.instance.id</c>, <c>faas.instance</c>, <c>host.*</c>, <c>process.*</c>, <c>container.*</c> and
/// <c>k8s.pod.*</c> are never exposed.
/// </summary>
internal static class AggregationLabels
{
    public const string InstanceIdAttribute = "service.instance.id";

    /// <summary>The instance id of a resource, or null when it has none (its points are rejected).</summary>
    public static string? InstanceId(IReadOnlyList<OtlpAttribute> resourceAttributes)
    {
        foreach (var attribute in resourceAttributes)
        {
            if (attribute.Key == InstanceIdAttribute && attribute.Value.Length > 0)
            {
                return attribute.Value;
            }
        }

        return null;
    }

    /// <summary>Resource attributes that are the same on every instance of a deployment (allow-list).</summary>
    public static bool IsStableResourceAttribute(string key) =>
        key is "service.name" or "service.namespace" or "service.version" or "deployment.environment" or "deployment.environment.name" or "faas.name"
        || key.StartsWith("cloud.", StringComparison.Ordinal);

    /// <summary>The stable resource attributes (<see cref="IsStableResourceAttribute"/>), in their order.</summary>
    public static OtlpAttribute[] StableAttributes(IReadOnlyList<OtlpAttribute> resourceAttributes)
    {
        var count = 0;
        for (var i = 0; i < resourceAttributes.Count; i++)
        {
            if (IsStableResourceAttribute(resourceAttributes[i].Key))
            {
                count++;
            }
        }

        if (count == 0)
        {
            return [];
        }

        var stable = new OtlpAttribute[count];
        count = 0;
        for (var i = 0; i < resourceAttributes.Count; i++)
        {
            if (IsStableResourceAttribute(resourceAttributes[i].Key))
            {
                stable[count++] = resourceAttributes[i];
            }
        }

        return stable;
    }

    /// <summary>The <c>target_info</c> labels of one instance: its stable resource attributes only.</summary>
    public static MetricLabel[] TargetLabels(IReadOnlyList<OtlpAttribute> resourceAttributes)
    {
        List<KeyValuePair<string, object?>>? stable = null;
        foreach (var attribute in resourceAttributes)
        {
            if (IsStableResourceAttribute(attribute.Key))
            {
                (stable ??= []).Add(new(attribute.Key, attribute.Value));
            }
        }

        return stable is null ? [] : [.. PrometheusNaming.Labels(stable)];
    }

    /// <summary>
    /// A point's labels sorted by name, or null when it has more than <paramref name="maxLabels"/> attribute labels.
    /// Values longer than <paramref name="maxValueLength"/> are truncated (counted in <paramref name="truncated"/>).
    /// </summary>
    public static MetricLabel[]? Build(
        IReadOnlyList<OtlpAttribute> attributes,
        bool histogram,
        string scopeName,
        string scopeVersion,
        int maxLabels,
        int maxValueLength,
        ref int truncated)
    {
        List<MetricLabel> labels;
        if (attributes.Count == 0)
        {
            labels = new(2);
        }
        else
        {
            var pairs = new KeyValuePair<string, object?>[attributes.Count];
            for (var i = 0; i < pairs.Length; i++)
            {
                pairs[i] = new(attributes[i].Key, attributes[i].Value);
            }

            labels = PrometheusNaming.Labels(pairs);

            // As the in-process exporter: attributes colliding with the scope labels, or with "le" on a histogram, are dropped.
            labels.RemoveAll(l => l.Name is OpenTelemetryTranslator.ScopeNameLabel or OpenTelemetryTranslator.ScopeVersionLabel || (histogram && l.Name == "le"));
            if (labels.Count > maxLabels)
            {
                return null;
            }

            for (var i = 0; i < labels.Count; i++)
            {
                if (labels[i].Value.Length > maxValueLength)
                {
                    labels[i] = labels[i] with { Value = Truncate(labels[i].Value, maxValueLength) };
                    truncated++;
                }
            }
        }

        labels.Add(new(OpenTelemetryTranslator.ScopeNameLabel, scopeName));
        labels.Add(new(OpenTelemetryTranslator.ScopeVersionLabel, scopeVersion));
        labels.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return [.. labels];
    }

    /// <summary>An unambiguous key for a sorted label set (length-prefixed names and values).</summary>
    public static string Key(MetricLabel[] labels)
    {
        var builder = new StringBuilder(labels.Length * 24);
        foreach (var label in labels)
        {
            builder.Append(label.Name.Length).Append(':').Append(label.Name).Append(label.Value.Length).Append(':').Append(label.Value);
        }

        return builder.ToString();
    }

    private static string Truncate(string value, int length)
    {
        // Never split a surrogate pair: the label value must stay valid UTF-8.
        if (length > 0 && char.IsHighSurrogate(value[length - 1]))
        {
            length--;
        }

        return value[..length];
    }
}
