using System.Globalization;
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
    /// Names and values longer than <paramref name="maxValueLength"/> (the scope's too) are shortened by
    /// <see cref="Bound"/> (counted in <paramref name="truncated"/>), so distinct ones stay distinct series.
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
                if (labels[i].Name.Length > Math.Max(maxValueLength, MinNameLength) || labels[i].Value.Length > maxValueLength)
                {
                    labels[i] = new MetricLabel(Bound(labels[i].Name, Math.Max(maxValueLength, MinNameLength), '_'), Bound(labels[i].Value, maxValueLength, '~'));
                    truncated++;
                }
            }
        }

        if (scopeName.Length > MinNameLength || scopeVersion.Length > MinNameLength)
        {
            (scopeName, scopeVersion) = (Bound(scopeName, MinNameLength, '~'), Bound(scopeVersion, MinNameLength, '~'));
            truncated++;
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

    /// <summary>How long label names, metric names and scope names may be, whatever the label value limit (they are short in practice).</summary>
    public const int MinNameLength = 256;

    /// <summary>
    /// <paramref name="text"/> when it is at most <paramref name="length"/> long; otherwise its first
    /// <paramref name="length"/> characters (never splitting a surrogate pair), <paramref name="separator"/> and eight hex
    /// digits of a hash of the whole text. Two long texts that share their beginning stay apart, so their counts never
    /// collide; memory per label stays bounded.
    /// </summary>
    public static string Bound(string text, int length, char separator)
    {
        if (text.Length <= length)
        {
            return text;
        }

        var cut = length > 0 && char.IsHighSurrogate(text[length - 1]) ? length - 1 : length;
        var hash = 2166136261u; // FNV-1a over the UTF-16 code units: stable across processes and versions
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{text.AsSpan(0, cut)}{separator}{hash:x8}");
    }
}
